#!/usr/bin/env bash
# Installs what MusicFS needs to build, run and test on Debian 12 (run as root).
# Quiet and quick when everything is already there.
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config
  libfuse3-dev fuse3 libtag1-dev libsqlite3-dev libboost-dev nlohmann-json3-dev libfmt-dev
  libspdlog-dev libcli11-dev libtomlplusplus-dev doctest-dev libicu-dev libmimalloc-dev
  # the demo library generator and the tests' third-party checkers
  flac lame vorbis-tools opus-tools ffmpeg sox python3-mutagen mp3val sqlite3 attr
  abigail-tools  # abidiff: the plugin ABI against its baseline (tests/abi)
  # the path-template oracle (tests/integration/test_templates_beets.py)
  beets
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
