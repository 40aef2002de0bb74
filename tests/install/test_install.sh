#!/usr/bin/env bash
# Usage: test_install.sh BUILD_DIR LIBRARY_DIR
set -euo pipefail
build=$1 library=$2
prefix=$(mktemp -d /tmp/musicfs-prefix-XXXXXX)
state=$(mktemp -d /tmp/musicfs-state-XXXXXX)
trap 'rm -rf "$prefix" "$state"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$prefix" >/dev/null

for f in bin/musicfs lib/musicfs/plugins/origin-local.so lib/musicfs/plugins/meta-taglib.so \
         include/musicfs/musicfs.h include/musicfs/plugin.h include/musicfs/origin.h \
         include/musicfs/metadata.h lib/cmake/MusicFS/MusicFSConfig.cmake \
         lib/cmake/MusicFS/MusicFSConfigVersion.cmake lib/cmake/MusicFS/MusicFSTargets.cmake \
         lib/cmake/MusicFS/MusicFSPlugin.cmake lib/cmake/MusicFS/musicfs-plugin.map; do
  [[ -e $prefix/$f ]] || fail "$f is not installed"
done

# The installed binary finds the installed plugins (not the build tree's).
out=$("$prefix/bin/musicfs" plugins)
echo "$out"
for p in origin-local meta-taglib; do
  grep -q "$prefix/lib/musicfs/plugins/$p.so" <<<"$out" || fail "plugin $p not found by the installed binary"
done
grep -q refused <<<"$out" && fail "a plugin was refused"

# Each plugin exports its entry point and nothing else.
for so in "$prefix"/lib/musicfs/plugins/*.so; do
  exported=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRV]$/ {print $3}' | grep -v '^MUSICFS_PLUGIN_1$' | sort -u)
  [[ $exported == musicfs_plugin_entry* ]] && [[ $(wc -l <<<"$exported") -eq 1 ]] \
    || fail "$so exports more than musicfs_plugin_entry: $exported"
done

# And it works end to end.
if [[ -d $library ]]; then
  "$prefix/bin/musicfs" scan --json --state-dir "$state" --library installed "$library" \
    | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["new"] > 10, r; print("scan ok:", r["new"], "files")'
fi
echo "install layout ok"
