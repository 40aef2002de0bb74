#!/usr/bin/env bash
# abidiff-check.sh ABI_H PROBE.so BASELINE_DIR
#
# Compares the ABI probe (abi_probe.c, built from today's headers) with abidiff against every
# committed baseline of the same major (BASELINE_DIR/musicfs-abi-<major>.<minor>.abi), and passes
# only when the plugin ABI is unchanged or has grown the one allowed way.
# Exit 0: compatible; 1: broken (the report says why); 77: skipped (no abidiff installed).
#
# abidiff's exit code is a bit mask (man abidiff): 1 error, 2 usage error, 4 ABI_CHANGE,
# 8 ABI_INCOMPATIBLE_CHANGE. 8 (a probe, hence a struct, was removed) always fails. 4 alone
# means "changed, a human must judge": this script is that human, and judges abidiff's leaf
# report (with --harmless, so that renamed members show too) by the ABI's rules
# (sdk/include/musicfs/abi.h):
#   allowed - new members at the END of a struct that starts with struct_size (its size grows,
#             every old member keeps its name, offset and type): readers honour struct_size;
#           - new probe functions (a struct new to the ABI);
#   refused - everything else: a member removed, moved, renamed or retyped, a struct shrunk,
#             mfs_config_entry / mfs_tag changed at all (they sit in arrays without a
#             struct_size, so their size is frozen), a callback signature changed, ...
# libabigail's suppression rules cannot express this (in libabigail 2.2 a [suppress_type] with
# has_data_member_inserted_at = end also hides retyped members), hence the review below.
# Growth also requires MFS_ABI_VERSION_MINOR above the baseline's minor.
set -uo pipefail

[[ $# -eq 3 ]] || { echo "usage: abidiff-check.sh ABI_H PROBE.so BASELINE_DIR" >&2; exit 2; }
abi_header=$1 probe=$2 baseline_dir=$3

if ! command -v abidiff >/dev/null 2>&1; then
  echo "abidiff-check: SKIPPED: abidiff is not installed (Debian: apt-get install abigail-tools)"
  exit 77
fi
[[ -f $probe ]] || { echo "abidiff-check: no probe library at $probe" >&2; exit 1; }
major=$(sed -n 's/^#define MFS_ABI_VERSION_MAJOR \([0-9][0-9]*\).*/\1/p' "$abi_header")
minor=$(sed -n 's/^#define MFS_ABI_VERSION_MINOR \([0-9][0-9]*\).*/\1/p' "$abi_header")
[[ -n $major && -n $minor ]] || { echo "abidiff-check: no MFS_ABI_VERSION_* in $abi_header" >&2; exit 1; }
shopt -s nullglob
baselines=("$baseline_dir"/musicfs-abi-"$major".*.abi)
if ((${#baselines[@]} == 0)); then
  echo "abidiff-check: no baseline for ABI $major.x in $baseline_dir."
  echo "  A new major starts with: cmake --build <build dir> --target musicfs_abi_baseline"
  exit 1
fi

# Reads abidiff's --leaf-changes-only report on stdin. Prints one line per allowed growth
# ("GROWTH ...") and one per refused change ("BREAK ..."). Anything it does not recognise is a
# BREAK: better a false alarm a human waves through than a silent break.
review() {
  awk '
    function brk(why) { print "BREAK " why; }
    /^$/ { next }
    /^Leaf changes summary:/ || /^Changed leaf types summary:/ || /^Removed\/Changed\/Added / { next }
    /^Functions changes summary:/ || /^Variables changes summary:/ { next }
    /^[0-9]+ Added functions?:$/ { mode = "added"; next }
    mode == "added" && /^  \[A\] / { print "GROWTH new " substr($0, 7); next }
    match($0, /^.struct [A-Za-z0-9_]+( at [^'"'"']*)?. changed:$/) {
      s = $0; sub(/^.struct /, "", s); sub(/[ '"'"'].*$/, "", s);
      strct = s; mode = "struct"; oldsize = -1;
      if (strct == "mfs_config_entry" || strct == "mfs_tag")
        brk(strct " changed: it sits in arrays and has no struct_size, so it can never change");
      next
    }
    mode != "" && strct != "" && match($0, /^  type size changed from [0-9]+ to [0-9]+ \(in bits\)$/) {
      split($0, w, " "); oldsize = w[5] + 0; newsize = w[7] + 0;
      if (newsize <= oldsize) brk(strct ": size went from " oldsize " to " newsize " bits");
      next
    }
    mode == "struct" && /^  [0-9]+ data member insertions?:$/ { mode = "insert"; next }
    mode == "insert" && match($0, /^    .*, at offset [0-9]+ \(in bits\)/) {
      line = $0; sub(/^    /, "", line);
      off = line; sub(/^.*, at offset /, "", off); sub(/ .*$/, "", off); off += 0;
      if (oldsize < 0 || off < oldsize)
        brk(strct ": member " line " is not appended at the end (old size " oldsize " bits)");
      else
        print "GROWTH " strct ": appended " line;
      next
    }
    { brk("abidiff reports: " $0) }
  '
}

status=0
for baseline in "${baselines[@]}"; do
  base_minor=$(basename "$baseline" .abi); base_minor=${base_minor##*.}
  report=$(abidiff --harmless --leaf-changes-only "$baseline" "$probe" 2>&1)
  rc=$?
  name=$(basename "$baseline")
  if ((rc == 0)); then
    echo "abidiff-check: $name: no ABI change"
    continue
  fi
  if ((rc & 1)); then
    echo "abidiff-check: $name: abidiff failed (exit $rc):"; echo "$report"
    status=1; continue
  fi
  verdict=$(review <<<"$report")
  if ((rc & 8)) || grep -q '^BREAK' <<<"$verdict"; then
    echo "abidiff-check: $name: INCOMPATIBLE ABI CHANGE (abidiff exit $rc)."
    echo "Plugins built against $name would break. Refused changes:"
    grep '^BREAK' <<<"$verdict" | sed 's/^BREAK /  - /'
    ((rc & 8)) && echo "  - abidiff flags an incompatible change (a removed probe, i.e. a removed struct)"
    echo "abidiff's report:"; echo "$report"
    status=1; continue
  fi
  echo "abidiff-check: $name: compatible growth:"
  sed 's/^GROWTH /  + /' <<<"$verdict"
  if ((minor <= base_minor)); then
    echo "abidiff-check: $name: the ABI grew but MFS_ABI_VERSION_MINOR is still $minor:"
    echo "  bump it in sdk/include/musicfs/abi.h, then record the new baseline (tests/abi/README.md)"
    status=1
  fi
done
exit $status
