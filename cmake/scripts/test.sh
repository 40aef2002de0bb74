#!/usr/bin/env bash
# Sets everything up, builds with warnings as errors and runs every test with ctest.
#
#   bash cmake/scripts/test.sh [extra ctest arguments]
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

bash "$top/cmake/scripts/install-deps.sh"
cd "$top"
cmake --preset ci >/dev/null
cmake --build "$top/build/ci"
cd "$top"
exec ctest --preset ci "$@"
