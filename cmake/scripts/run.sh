#!/usr/bin/env bash
# Sets everything up and mounts a library in the foreground (Ctrl-C unmounts).
#
#   bash cmake/scripts/run.sh [LIBRARY_DIR [MOUNTPOINT]]
#
# With no LIBRARY_DIR, a small demo library of real FLAC/MP3/Ogg/Opus/M4A/WAV/AIFF files is
# generated first. MOUNTPOINT defaults to ~/musicfs.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

bash "$top/cmake/scripts/install-deps.sh"
cd "$top"
cmake --preset release >/dev/null
cmake --build "$top/build/release"

library=${1:-}
mountpoint=${2:-$HOME/musicfs}
if [[ -z $library ]]; then
  library=${XDG_DATA_HOME:-$HOME/.local/share}/musicfs/demo-library
  echo "Generating a demo library in $library ..."
  bash "$top/tests/data/make-library.sh" "$library" >/dev/null
fi
mkdir -p "$mountpoint"
if mountpoint -q "$mountpoint"; then fusermount3 -u "$mountpoint" 2>/dev/null || true; fi

cat <<EOT
Mounting $library at $mountpoint (Ctrl-C to unmount).
In another terminal:  ls -R "$mountpoint"   or   mpv "$mountpoint"
EOT
exec "$top/build/release/bin/musicfs" mount "$library" "$mountpoint"
