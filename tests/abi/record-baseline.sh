#!/usr/bin/env bash
# record-baseline.sh ABI_H PROBE.so BASELINE_DIR [--force]
#
# Records the ABI of the probe library (abi_probe.c) as BASELINE_DIR/musicfs-abi-<major>.<minor>.abi,
# the version read from ABI_H. Run it through the build, which builds the probe first:
#
#   cmake --build <build dir> --target musicfs_abi_baseline
#
# When: after a deliberate, compatible growth of the ABI (new members at the end of structs, a
# new struct with its probe in abi_probe.c) AND the MFS_ABI_VERSION_MINOR bump that goes with
# it, or for the first baseline of a new major. Commit the new file next to the old ones: the
# abi.abidiff test compares today's headers against every baseline of the current major, so
# older baselines stay as they are. A recorded baseline is a release promise and is never
# rewritten; --force exists only to redo one that was never released.
set -euo pipefail

[[ $# -ge 3 && $# -le 4 ]] || { echo "usage: record-baseline.sh ABI_H PROBE.so BASELINE_DIR [--force]" >&2; exit 2; }
abi_header=$1 probe=$2 baseline_dir=$3 force=${4:-}
command -v abidw >/dev/null 2>&1 || { echo "record-baseline: abidw is not installed (Debian: apt-get install abigail-tools)" >&2; exit 1; }
major=$(sed -n 's/^#define MFS_ABI_VERSION_MAJOR \([0-9][0-9]*\).*/\1/p' "$abi_header")
minor=$(sed -n 's/^#define MFS_ABI_VERSION_MINOR \([0-9][0-9]*\).*/\1/p' "$abi_header")
[[ -n $major && -n $minor ]] || { echo "record-baseline: no MFS_ABI_VERSION_* in $abi_header" >&2; exit 1; }
out=$baseline_dir/musicfs-abi-$major.$minor.abi
if [[ -e $out && $force != --force ]]; then
  echo "record-baseline: $out exists; a released baseline is never rewritten." >&2
  echo "  Did you forget to bump MFS_ABI_VERSION_MINOR? (--force redoes an unreleased one.)" >&2
  exit 1
fi
mkdir -p -- "$baseline_dir"
# No paths of this machine in the file: it is compared on other machines and committed.
abidw --no-corpus-path --no-comp-dir-path --short-locs --out-file "$out.tmp" "$probe"
mv -- "$out.tmp" "$out"
echo "record-baseline: wrote $out; commit it."
