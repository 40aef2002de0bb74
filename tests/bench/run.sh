#!/usr/bin/env bash
# tests/bench/run.sh — the MusicFS benchmark suite (docs/performance.md says what each row means).
#
#   bash tests/bench/run.sh [--quick | --smoke] [--build-dir DIR] [--no-build] [--large N]
#                           [--corpus DIR] [--readahead-kb KB] [--only G,...] [--work DIR] [--keep]
#
# Builds a Release MusicFS in build/bench (or uses --build-dir), builds its own tools (fsbench, a
# minimal low-level FUSE passthrough, a bare TagLib loop), then measures MusicFS and the
# references — the native file system and the passthrough, in the same run — and prints one
# markdown table: operation, MusicFS, reference(s), ratio, target, result. Timings never make it
# fail: it exits 1 only when a benchmark could not be run (the harness is broken), 77 when FUSE
# is not usable here.
#
#   (default)  the issue's sizes: 1 GiB reads, 100,000-entry listings, 10^4 vs --large tracks
#              (default 10^6) for mount time and memory, the generated corpus x100 for the scan
#   --quick    the same rows at about a tenth of the sizes (a few minutes)
#   --smoke    tiny sizes, a few seconds: checks the harness end to end (ctest bench.smoke)
#   --large N  the large synthetic library (mount time, memory, catalog size per track)
#   --corpus DIR  real files to scan (default: tests/data/make-library.sh output)
#   --only G,...  run only these groups: read, tree, flat, scale, scan
#   --readahead-kb KB  also measure sequential reads with this per-mount readahead, set on every
#              FUSE mount compared (MusicFS and the passthroughs alike; root only)
#
# Metadata round trips (stat, open+close, ls, find, mount) run with the client and every daemon
# pinned to CPU 0 (taskset): a wake-up across CPUs costs 30-60 us in these VMs. Every mount lives
# in a temporary directory and is unmounted on exit, also when a benchmark fails.
set -euo pipefail
export LC_ALL=C

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mode=full build_dir= do_build=1 work= keep=0 corpus_src= large= readahead_kb= only=

die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,26p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case $1 in
    --quick) mode=quick ;;
    --smoke) mode=smoke ;;
    --full) mode=full ;;
    --build-dir) build_dir=${2:?}; shift ;;
    --no-build) do_build=0 ;;
    --work) work=${2:?}; shift ;;
    --keep) keep=1 ;;
    --corpus) corpus_src=${2:?}; shift ;;
    --large) large=${2:?}; shift ;;
    --readahead-kb) readahead_kb=${2:?}; shift ;;
    --only) only=${2:?}; shift ;;
    -h | --help) usage 0 ;;
    *) printf 'run.sh: unknown argument %s\n' "$1" >&2; usage 2 ;;
  esac
  shift
done

# --- sizes ------------------------------------------------------------------------------------
case $mode in
  full)
    read_mib=1024 read_rounds=5 calls=200000 rounds=7 flat=100000 tree=100000 small=10000
    large=${large:-1000000} copies=100 cmd_rounds=10 find_rounds=5 scan_rounds=5 beets_rounds=3
    mount_rounds=7 ;;
  quick)
    read_mib=256 read_rounds=3 calls=50000 rounds=5 flat=20000 tree=20000 small=1000
    large=${large:-100000} copies=20 cmd_rounds=5 find_rounds=3 scan_rounds=3 beets_rounds=1
    mount_rounds=5 ;;
  smoke)
    read_mib=8 read_rounds=2 calls=2000 rounds=3 flat=300 tree=300 small=100
    large=${large:-1000} copies=1 cmd_rounds=2 find_rounds=2 scan_rounds=2 beets_rounds=1
    mount_rounds=2 ;;
esac

# --- preconditions ----------------------------------------------------------------------------
skip() { printf 'run.sh: skipped: %s\n' "$*" >&2; exit 77; }
[[ -c /dev/fuse && -r /dev/fuse && -w /dev/fuse ]] || skip "/dev/fuse is not usable here"
command -v fusermount3 >/dev/null || skip "fusermount3 is missing (Debian: fuse3)"
python=/usr/bin/python3
[[ -x $python ]] || python=$(command -v python3 || true)
[[ -n $python ]] || skip "python3 is missing"
is_root=0
[[ $(id -u) -eq 0 ]] && is_root=1
if [[ $mode != smoke && $is_root -eq 1 ]] && ! command -v beet >/dev/null; then
  # Only the full suite compares with beets; it is not a build or CI dependency.
  echo "run.sh: installing beets (Debian package) for the scan comparison" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends beets >/dev/null 2>&1 ||
    echo "run.sh: beets could not be installed; its row will say n/a" >&2
fi

# --- build ------------------------------------------------------------------------------------
build_dir=${build_dir:-$top/build/bench}
if ((do_build)); then
  echo "run.sh: building a Release MusicFS in $build_dir" >&2
  cmake -S "$top" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMUSICFS_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build_dir" >/dev/null
  cmake -S "$top/tests/bench" -B "$build_dir/bench-tools" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$build_dir/bench-tools" >/dev/null
fi
musicfs=$build_dir/bin/musicfs
[[ -x $musicfs ]] || die "$musicfs is missing: build first (or drop --no-build)"
tools=$build_dir/bin
[[ -x $tools/fsbench && -x $tools/passthrough_ll_min && -x $tools/taglib_loop ]] || tools=$build_dir/bench-tools
for t in fsbench passthrough_ll_min taglib_loop; do
  [[ -x $tools/$t ]] || die "$tools/$t is missing: build first (or drop --no-build)"
done
fsbench=$tools/fsbench

# --- work directory and cleanup ---------------------------------------------------------------
if [[ -z $work ]]; then
  work=$(mktemp -d "${TMPDIR:-/tmp}/musicfs-bench.XXXXXX")
else
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
fi
: >"$work/mounts"
: >"$work/pids"
: >"$work/rows.tsv"
: >"$work/details.tsv"

is_mounted() { awk -v m="$1" '$2 == m { found = 1 } END { exit !found }' /proc/self/mounts; }

unmount() {
  local mp=$1
  is_mounted "$mp" || return 0
  fusermount3 -u "$mp" 2>/dev/null || fusermount3 -uz "$mp" 2>/dev/null || umount -l "$mp" 2>/dev/null || true
}

# Ends a process this script started (by its id), politely first.
stop_pid() {
  local pid=$1 i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  sleep 1
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup_all() {
  local mp pid
  while read -r mp; do [[ -n $mp ]] && unmount "$mp"; done <"$work/mounts"
  while read -r pid; do [[ -n $pid ]] && stop_pid "$pid"; done <"$work/pids"
  if ((keep)); then
    echo "run.sh: kept $work" >&2
  else
    rm -rf -- "$work"
  fi
}
trap cleanup_all EXIT
trap 'exit 130' INT TERM

avail_mib=$(df -Pm "$work" | awk 'NR == 2 { print $4 }')
extra_mib=512
[[ $mode == full ]] && extra_mib=4096
need_mib=$((read_mib + 300 + extra_mib))
((avail_mib > need_mib)) || die "$work has $avail_mib MiB free; this run needs about $need_mib MiB"

# --- results ----------------------------------------------------------------------------------
# A row of the table: operation, MusicFS, references, ratio, target, result.
# Fields are separated by US (0x1f): a tab would let `read` merge empty fields.
row() { printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\n' "$1" "$2" "${3:-}" "${4:-}" "${5:-}" "${6:-}" >>"$work/rows.tsv"; }
# A raw measurement: what, median, min, max, unit.
detail() { printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\n' "$@" >>"$work/details.tsv"; }

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# Human units.
ns() { awk -v v="$1" 'BEGIN { if (v >= 10000) printf "%.1f µs", v / 1000; else printf "%.0f ns", v }'; }
secs() { awk -v v="$1" 'BEGIN { if (v < 10) printf "%.1f ms", v * 1000; else printf "%.1f s", v }'; }
gibs() { awk -v v="$1" 'BEGIN { printf "%.2f GiB/s", v }'; }
mib() { awk -v v="$1" 'BEGIN { printf "%.1f MiB", v / 1048576 }'; }
# verdict RATIO OP LIMIT: PASS/FAIL (OP is >= or <=).
verdict() {
  awk -v r="$1" -v op="$2" -v l="$3" 'BEGIN { ok = (op == ">=") ? r >= l : r <= l; print ok ? "PASS" : "FAIL" }'
}

# run_fsbench CMD...: the output of an fsbench command; a failure says what ran and how it
# ended (fsbench names a failing command itself, but not its own death by a signal).
run_fsbench() {
  local rc=0
  "$@" || rc=$?
  ((rc == 0)) && return 0
  if ((rc > 128)); then
    echo "run.sh: $* was killed by signal $((rc - 128))" >&2
  else
    echo "run.sh: $* failed (exit status $rc)" >&2
  fi
  return 1
}

# measure NAME UNIT CMD...: measure_n (below) for a command measuring one target; sets $med
# and leaves the caller's meds alone.
measure() {
  local name=$1 unit=$2 meds=()
  shift 2
  measure_n "$unit" "$name" "$@" || return 1
  med=${meds[0]}
}

# measure_n UNIT "NAME1|NAME2|..." CMD...: an fsbench command measuring several targets (one
# output line each, rounds interleaved); records them and sets the array meds.
measure_n() {
  local unit=$1 names=$2 out i=0 name
  shift 2
  out=$(run_fsbench "$@") || return 1
  meds=()
  IFS='|' read -r -a name_list <<<"$names"
  while read -r med min max; do
    name=${name_list[$i]:-target $i}
    detail "$name" "$med" "$min" "$max" "$unit"
    meds+=("$med")
    i=$((i + 1))
  done <<<"$out"
  ((i == ${#name_list[@]})) || { echo "run.sh: expected ${#name_list[@]} results, got $i" >&2; return 1; }
}

# --- mounts -----------------------------------------------------------------------------------
pin() { taskset -a -p -c 0 "$1" >/dev/null; }
unpin() { taskset -a -p -c "0-$(($(nproc) - 1))" "$1" >/dev/null; }

wait_mounted() {  # MOUNTPOINT PID SECONDS LOG
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    is_mounted "$1" && return 0
    if ! kill -0 "$2" 2>/dev/null; then
      echo "run.sh: the daemon for $1 exited before mounting:" >&2
      tail -n 20 "$4" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "run.sh: $1 was not mounted after $3 s" >&2
  tail -n 20 "$4" >&2
  return 1
}

# mount_musicfs MOUNTPOINT ARGS...: a foreground daemon in the background; sets $pid.
mount_musicfs() {
  local mp=$1
  shift
  mkdir -p "$mp"
  "$musicfs" mount --log-level warn "$@" "$mp" >"$mp.log" 2>&1 &
  pid=$!
  echo "$mp" >>"$work/mounts"
  echo "$pid" >>"$work/pids"
  wait_mounted "$mp" "$pid" 600 "$mp.log"
}

# mount_passthrough MOUNTPOINT SOURCE [OPTIONS]: sets $pid.
mount_passthrough() {
  local mp=$1 src=$2
  shift 2
  mkdir -p "$mp"
  "$tools/passthrough_ll_min" "$@" "$src" "$mp" >"$mp.log" 2>&1 &
  pid=$!
  echo "$mp" >>"$work/mounts"
  echo "$pid" >>"$work/pids"
  wait_mounted "$mp" "$pid" 30 "$mp.log"
}

stop_mount() {  # MOUNTPOINT PID
  unmount "$1"
  stop_pid "$2"
}

# The per-mount readahead (the BDI of the FUSE connection), root only.
bdi_readahead() {  # MOUNTPOINT: the file that holds its readahead
  local minor
  minor=$(awk -v m="$1" '$5 == m { split($3, d, ":"); print d[2] }' /proc/self/mountinfo | tail -n 1)
  echo "/sys/class/bdi/0:$minor/read_ahead_kb"
}
set_readahead() {  # MOUNTPOINT KB
  local f
  f=$(bdi_readahead "$1")
  [[ -w $f ]] || return 1
  echo "$2" >"$f"
}
get_readahead() { cat "$(bdi_readahead "$1")"; }  # MOUNTPOINT

can_drop_caches=0
[[ -w /proc/sys/vm/drop_caches ]] && can_drop_caches=1
# Forgets dentries and inodes (not file data) of every file system: the next walk asks again.
drop_dentries='sync; echo 2 > /proc/sys/vm/drop_caches'

# Runs one benchmark group in a subshell with errexit, so that one failure marks that group as
# broken and the suite goes on. The group's mounts are unmounted by the EXIT trap of the
# subshell; the parent's trap catches anything left.
failed=()
group() {  # KEY NAME FUNCTION
  local key=$1 name=$2 rc=0
  shift 2
  [[ -z $only || ,$only, == *",$key,"* ]] || return 0
  echo "run.sh: $name" >&2
  set +e
  (
    set -eE
    # A command that fails without a message of its own is named, so that the row's ERROR
    # can be traced (set -E: also inside functions).
    trap 'echo "run.sh: line $LINENO: \"$BASH_COMMAND\" failed (exit status $?)" >&2' ERR
    trap 'for m in $(cat "$work/mounts"); do unmount "$m"; done' EXIT
    "$@"
  )
  rc=$?
  set -e
  if ((rc != 0)); then
    failed+=("$name")
    row "$name" "error (see the log above)" "" "" "" "ERROR"
  fi
  return 0
}

synthetic_config() {  # FILE TRACKS
  cat >"$1" <<EOF
[[origin]]
name = "synthetic"
type = "synthetic"
tracks = $2
EOF
}

# scan_synthetic LIBRARY TRACKS: scans into $work/state; prints "seconds files".
scan_synthetic() {
  synthetic_config "$work/$1.toml" "$2"
  "$musicfs" scan --log-level warn --config "$work/$1.toml" --state-dir "$work/state" \
    --library "$1" --json >"$work/$1.scan.json"
  "$python" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["seconds"], j["files"])' \
    "$work/$1.scan.json"
}

lib_args() { echo --config "$work/$1.toml" --state-dir "$work/state" --library "$1"; }

# native_root CATALOG DIR: makes DIR hold an empty directory for each name in the root of the
# catalog's tree; prints how many.
native_root() {
  "$python" - "$1" "$2" <<'PY'
import os, sqlite3, sys
os.makedirs(sys.argv[2], exist_ok=True)
names = [r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT name FROM nodes WHERE parent = 1")]
for n in names:
    os.mkdir(os.path.join(os.fsencode(sys.argv[2]), bytes(n)))
print(len(names))
PY
}

# A FLAC file of SIZE MiB: a real FLAC header with tags, then a frame sync code and random
# bytes (TagLib reads only the header, the FLAC format writer checks that frames start where
# the metadata ends; nobody decodes it).
make_flac() {  # PATH MIB
  "$python" - "$1" "$2" <<'PY'
import os, struct, sys
path, mib = sys.argv[1], int(sys.argv[2])
def block(kind, data, last=False):
    return bytes([(0x80 if last else 0) | kind]) + len(data).to_bytes(3, "big") + data
samples = mib * 1024 * 1024 * 8 // 900000 * 44100
streaminfo = struct.pack(">HH", 4096, 4096) + b"\0" * 6 + \
    ((44100 << 44) | (1 << 41) | (15 << 36) | samples).to_bytes(8, "big") + b"\0" * 16
comments = [b"TITLE=Big Track", b"ARTIST=Bench", b"ALBUMARTIST=Bench", b"ALBUM=Sequential",
            b"TRACKNUMBER=1", b"DATE=2024", b"GENRE=Noise"]
vendor = b"reference libFLAC 1.4.2 20221022"
vc = struct.pack("<I", len(vendor)) + vendor + struct.pack("<I", len(comments)) + \
    b"".join(struct.pack("<I", len(c)) + c for c in comments)
header = b"fLaC" + block(0, streaminfo) + block(4, vc) + block(1, b"\0" * 8192, last=True)
with open(path, "wb") as f:
    f.write(header)
    f.write(b"\xff\xf8")
    left = mib * 1024 * 1024 - len(header) - 2
    while left > 0:
        n = min(left, 8 << 20)
        f.write(os.urandom(n))
        left -= n
PY
}

# =============================================================================================
# 1. Reading: 1 GiB served by the daemon from a local origin; re-read from the page cache;
#    open+close.
# =============================================================================================
bench_read() {
  local src=$work/local-src m_mp=$work/mnt/local p_buf=$work/mnt/pt-buf p_data=$work/mnt/pt-data
  local p_splice=$work/mnt/pt-splice
  mkdir -p "$src/Bench/Sequential" "$work/mnt"
  make_flac "$src/Bench/Sequential/big.flac" "$read_mib"
  # The same bytes as a second track (a hard link: no disk, one page cache), whose tags the
  # user edits: it is served through the overlay (new metadata blocks, then the original's
  # frames), the other one plain.
  ln "$src/Bench/Sequential/big.flac" "$src/Bench/Sequential/big-overlay.flac"
  "$musicfs" scan --log-level warn --state-dir "$work/state" --library local "$src" >/dev/null
  "$musicfs" tag set --log-level warn --state-dir "$work/state" --library local \
    "$src/Bench/Sequential/big-overlay.flac" "title=Big Track overlaid" "comment=edited" >/dev/null
  local m_pid p_buf_pid p_data_pid
  mount_musicfs "$m_mp" --state-dir "$work/state" --library local "$src"
  m_pid=$pid
  mount_passthrough "$p_buf" "$src" --reply buf
  p_buf_pid=$pid
  mount_passthrough "$p_data" "$src" --reply data
  p_data_pid=$pid
  mount_passthrough "$p_splice" "$src" --reply splice
  local p_splice_pid=$pid
  local m_file p_file=Bench/Sequential/big.flac
  m_file=$(cd "$m_mp" && find . -name '*.flac' ! -name '*overlaid*' -print -quit)
  [[ -n $m_file ]] || { echo "run.sh: the local library has no track" >&2; return 1; }
  local o_file
  o_file=$(cd "$m_mp" && find . -name '*overlaid*.flac' -print -quit)
  [[ -n $o_file ]] || { echo "run.sh: the edited track is not in the tree" >&2; return 1; }
  cat "$src/$p_file" >/dev/null  # the origin's bytes in the page cache: we measure FUSE, not disk

  measure "read: native (page cache)" GiB/s "$fsbench" read "$src/$p_file" -r "$read_rounds"
  local native=$med
  # MusicFS raises its mount's readahead (fuse.readahead_kb) when it can; the minimal
  # passthrough gets the same setting. The passthrough_ll pattern runs as libfuse ships it (the
  # kernel's default readahead), and again below with MusicFS's setting.
  local ra ra_default
  ra=$(get_readahead "$m_mp")
  ra_default=$(get_readahead "$p_data")
  set_readahead "$p_buf" "$ra" || true
  measure_n GiB/s "read: MusicFS (daemon, readahead $ra KiB)|read: passthrough, pread+reply_buf (readahead $(get_readahead "$p_buf") KiB)|read: passthrough, reply_data no splice (readahead $ra_default KiB)" \
    "$fsbench" read --evict -r "$read_rounds" "$m_mp/$m_file" "$p_buf/$p_file" "$p_data/$p_file"
  local m=${meds[0]} pb=${meds[1]} pd=${meds[2]}
  local r1 r2
  r1=$(calc "$m / $pb")
  r2=$(calc "$m / $pd")
  row "sequential read, ${read_mib} MiB, daemon-served (local origin; readahead $ra KiB)" "$(gibs "$m")" \
    "passthrough (pread+reply_buf, same readahead) $(gibs "$pb"); passthrough_ll pattern (reply_data, no splice; as shipped: readahead $ra_default KiB) $(gibs "$pd"); native $(gibs "$native")" \
    "${r1}x; ${r2}x" ">= 1.0x; >= 2x" \
    "$(verdict "$r1" '>=' 1.0); $(verdict "$r2" '>=' 2.0)"
  # The same request size for all: the passthrough_ll pattern, and with splice (file -> pipe ->
  # /dev/fuse, no copy in user space).
  if set_readahead "$p_data" "$ra" && set_readahead "$p_splice" "$ra"; then
    measure_n GiB/s "read: MusicFS (daemon, readahead $ra KiB), again|read: passthrough, reply_data no splice (readahead $ra KiB)|read: passthrough, reply_data with splice (readahead $ra KiB)" \
      "$fsbench" read --evict -r "$read_rounds" "$m_mp/$m_file" "$p_data/$p_file" "$p_splice/$p_file"
    m=${meds[0]} pd=${meds[1]}
    local ps=${meds[2]}
    row "sequential read, every FUSE mount with MusicFS's readahead ($ra KiB)" "$(gibs "$m")" \
      "passthrough_ll pattern $(gibs "$pd"); the same with splice $(gibs "$ps")" \
      "$(calc "$m / $pd")x; $(calc "$m / $ps")x" "(information)" ""
    set_readahead "$p_data" "$ra_default"
  fi

  if [[ -n $readahead_kb ]]; then
    if set_readahead "$m_mp" "$readahead_kb" && set_readahead "$p_buf" "$readahead_kb" &&
      set_readahead "$p_data" "$readahead_kb"; then
      measure_n GiB/s "read RA${readahead_kb}: MusicFS|read RA${readahead_kb}: passthrough buf|read RA${readahead_kb}: passthrough data" \
        "$fsbench" read --evict -r "$read_rounds" "$m_mp/$m_file" "$p_buf/$p_file" "$p_data/$p_file"
      m=${meds[0]} pb=${meds[1]} pd=${meds[2]}
      r1=$(calc "$m / $pb")
      r2=$(calc "$m / $pd")
      row "sequential read, readahead ${readahead_kb} KiB on every FUSE mount" "$(gibs "$m")" \
        "passthrough (pread+reply_buf) $(gibs "$pb"); passthrough_ll pattern $(gibs "$pd")" \
        "${r1}x; ${r2}x" "(information)" ""
      set_readahead "$m_mp" "$ra"
    else
      row "sequential read, readahead ${readahead_kb} KiB" "n/a: cannot set read_ahead_kb (root only)" "" "" "" ""
    fi
  fi

  # Re-read: the first pass fills the FUSE file's page cache (keep_cache), the measured ones
  # come from it.
  "$fsbench" read "$m_mp/$m_file" -r 1 >/dev/null
  measure_n GiB/s "re-read: MusicFS (page cache)|re-read: native (page cache)" \
    "$fsbench" read -r "$read_rounds" "$m_mp/$m_file" "$src/$p_file"
  m=${meds[0]} native=${meds[1]}
  r1=$(calc "$m / $native")
  row "sequential re-read from the kernel page cache" "$(gibs "$m")" "native $(gibs "$native")" \
    "${r1}x" ">= 0.85x" "$(verdict "$r1" '>=' 0.85)"

  # The overlay: the edited copy against the plain one, rounds alternating, both through the
  # daemon (the FUSE file's pages dropped before each round). A layout that is not cached, or
  # a served size that is not the layout's, would show here.
  local o_size p_size
  o_size=$(stat -c %s "$m_mp/$o_file")
  p_size=$(stat -c %s "$m_mp/$m_file")
  "$python" - "$m_mp/$o_file" <<'PY' || { echo "run.sh: the overlaid file does not carry the edit" >&2; return 1; }
import sys
with open(sys.argv[1], "rb") as f:
    head = f.read(65536)
sys.exit(0 if b"TITLE=Big Track overlaid" in head else 1)
PY
  # ABBA within each round: the second read of a round tends to be faster than the first.
  measure_n GiB/s "read: overlaid file (1st)|read: same file, plain (1st)|read: same file, plain (2nd)|read: overlaid file (2nd)" \
    "$fsbench" read --evict -r "$read_rounds" "$m_mp/$o_file" "$m_mp/$m_file" "$m_mp/$m_file" "$m_mp/$o_file"
  local ov pl
  ov=$(calc "(${meds[0]} + ${meds[3]}) / 2" 4)
  pl=$(calc "(${meds[1]} + ${meds[2]}) / 2" 4)
  r1=$(calc "$ov / $pl")
  row "overlaid file read vs the same file served plain (${read_mib} MiB FLAC, tags edited)" \
    "$(gibs "$ov")" "plain $(gibs "$pl") (sizes $o_size / $p_size bytes)" "${r1}x" ">= 0.95x" \
    "$(verdict "$r1" '>=' 0.95)"

  # open+close: one FUSE OPEN (and RELEASE) per call; names are cached (60 s), so no LOOKUP.
  pin "$m_pid"
  pin "$p_buf_pid"
  local m_dir m_name
  m_dir=$(dirname "$m_mp/$m_file")
  m_name=$(basename "$m_file")
  measure_n ns "open+close: MusicFS|open+close: passthrough|open+close: native" \
    taskset -c 0 "$fsbench" openclose -n "$((calls / 4))" -r "$rounds" "$m_dir" "$m_name" \
    "$p_buf/Bench/Sequential" big.flac "$src/Bench/Sequential" big.flac
  m=${meds[0]}
  local p=${meds[1]} med=${meds[2]}
  r1=$(calc "$m / $p")
  row "open+close (same CPU)" "$(ns "$m")" "passthrough $(ns "$p"); native $(ns "$med")" "${r1}x" "<= 1.2x" \
    "$(verdict "$r1" '<=' 1.2)"

  stop_mount "$m_mp" "$m_pid"
  stop_mount "$p_buf" "$p_buf_pid"
  stop_mount "$p_data" "$p_data_pid"
  stop_mount "$p_splice" "$p_splice_pid"
  rm -f "$src/$p_file" "$src/Bench/Sequential/big-overlay.flac"
}

# =============================================================================================
# 2. Names and attributes over a synthetic library: stat, ls -f of a 100,000-entry directory,
#    find over a 100,000-track tree. Native references are trees with the same names and sizes.
# =============================================================================================

# Recreates the tree under MOUNTPOINT in DIR: directories, and sparse files of the same sizes.
mirror_tree() {  # MOUNTPOINT DIR
  "$python" - "$1" "$2" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
n = 0
for root, dirs, files in os.walk(src):
    rel = os.path.relpath(root, src)
    out = os.path.join(dst, rel) if rel != "." else dst
    os.makedirs(out, exist_ok=True)
    for f in files:
        size = os.stat(os.path.join(root, f)).st_size
        fd = os.open(os.path.join(out, f), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.ftruncate(fd, size)
        os.close(fd)
        n += 1
print(n)
PY
}

bench_tree() {
  local out secs files
  out=$(scan_synthetic tree "$tree")
  read -r secs files <<<"$out"
  detail "scan synthetic $tree tracks" "$secs" "$secs" "$secs" s
  [[ $files -eq $tree ]] || { echo "run.sh: scanned $files tracks, expected $tree" >&2; return 1; }
  row "scan, synthetic origin, $tree tracks (information)" "$(calc "$files / $secs" 0) tracks/s" \
    "$(secs "$secs") in all" "" "" ""

  local m=$work/mnt/tree m0=$work/mnt/tree-t0 native=$work/native-tree p=$work/mnt/pt-tree p0=$work/mnt/pt-tree-t0
  local m_pid m0_pid p_pid p0_pid
  mount_musicfs "$m" $(lib_args tree)
  m_pid=$pid
  local n
  n=$(mirror_tree "$m" "$native")
  [[ $n -eq $tree ]] || { echo "run.sh: the mounted tree has $n files, expected $tree" >&2; return 1; }
  mount_musicfs "$m0" $(lib_args tree) --attr-timeout 0 --entry-timeout 0
  m0_pid=$pid
  mount_passthrough "$p" "$native"
  p_pid=$pid
  mount_passthrough "$p0" "$native" --attr-timeout 0 --entry-timeout 0
  p0_pid=$pid
  for x in "$m_pid" "$m0_pid" "$p_pid" "$p0_pid"; do pin "$x"; done

  # A file halfway through the tree.
  local file dir name
  file=$(cd "$native" && find . -type f | sort | sed -n "$((tree / 2 + 1))p")
  dir=$(dirname "$file")
  name=$(basename "$file")
  [[ -n $name ]] || return 1

  local mm nn pp r
  measure_n ns "stat cached: MusicFS|stat cached: native|stat cached: passthrough" \
    taskset -c 0 "$fsbench" stat -n "$calls" -r "$rounds" "$m/$dir" "$name" "$native/$dir" "$name" "$p/$dir" "$name"
  mm=${meds[0]} nn=${meds[1]} pp=${meds[2]}
  r=$(calc "$mm / $nn")
  row "stat, kernel-cached (same CPU)" "$(ns "$mm")" "native $(ns "$nn"); passthrough $(ns "$pp")" "${r}x" \
    "<= 1.3x" "$(verdict "$r" '<=' 1.3)"

  measure_n ns "stat uncached: MusicFS|stat uncached: passthrough" \
    taskset -c 0 "$fsbench" stat -n "$((calls / 10))" -r "$rounds" "$m0/$dir" "$name" "$p0/$dir" "$name"
  mm=${meds[0]} pp=${meds[1]}
  r=$(calc "$mm / $pp")
  row "stat, not cached (attr and entry timeout 0, same CPU)" "$(ns "$mm")" "passthrough $(ns "$pp")" "${r}x" \
    "<= 1.2x" "$(verdict "$r" '<=' 1.2)"
  stop_mount "$m0" "$m0_pid"
  stop_mount "$p0" "$p0_pid"

  # find: the first walk (kernel caches dropped: every directory is read with READDIRPLUS) and
  # a repeated one (names and attributes cached).
  local fm fn fp fmw fnw fpw
  if ((can_drop_caches)); then
    measure_n s "find cold: MusicFS|find cold: native|find cold: passthrough" \
      taskset -c 0 "$fsbench" run -r "$find_rounds" --warmup 0 --prepare "$drop_dentries" -- \
      find "$m" -printf '%s\n' --- find "$native" -printf '%s\n' --- find "$p" -printf '%s\n'
    fm=${meds[0]} fn=${meds[1]} fp=${meds[2]}
  fi
  measure_n s "find warm: MusicFS|find warm: native|find warm: passthrough" \
    taskset -c 0 "$fsbench" run -r "$cmd_rounds" -- \
    find "$m" -printf '%s\n' --- find "$native" -printf '%s\n' --- find "$p" -printf '%s\n'
  fmw=${meds[0]} fnw=${meds[1]} fpw=${meds[2]}
  if ((can_drop_caches)); then
    r=$(calc "$fm / $fnw")
    row "find -printf %s, $tree-track tree, first walk (readdirplus; same CPU)" "$(secs "$fm")" \
      "native, cached $(secs "$fnw"); native, dentries dropped $(secs "$fn"); passthrough, dentries dropped $(secs "$fp")" \
      "${r}x" "<= 3x" "$(verdict "$r" '<=' 3)"
  else
    row "find -printf %s, first walk" "n/a: needs root (drop_caches)" "" "" "<= 3x" "n/a"
  fi
  r=$(calc "$fmw / $fnw")
  row "find -printf %s, $tree-track tree, repeated (kernel-cached)" "$(secs "$fmw")" \
    "native $(secs "$fnw"); passthrough $(secs "$fpw")" "${r}x" "(information)" ""

  stop_mount "$m" "$m_pid"
  stop_mount "$p" "$p_pid"
  rm -rf "$native"
}

bench_flat() {
  # The flat library shares the tree library's catalog: mounting it with another template
  # rebuilds only the tree (no file is read again).
  local out secs files
  if [[ -f $work/state/tree/catalog.sqlite3 && $flat -eq $tree ]]; then
    mkdir -p "$work/state/flat"
    cp "$work/state/tree/catalog.sqlite3" "$work/state/flat/"
    [[ -f $work/state/tree/catalog.sqlite3-wal ]] && cp "$work/state/tree/catalog.sqlite3-wal" "$work/state/flat/"
    synthetic_config "$work/flat.toml" "$flat"
  else
    out=$(scan_synthetic flat "$flat")
  fi
  # The directory is one level below the root: the root's inode is pinned by the mount, so
  # dropping the kernel's caches would not drop the root's cached listing.
  local m=$work/mnt/flat native=$work/native-flat p=$work/mnt/pt-flat m_pid p_pid
  mount_musicfs "$m" $(lib_args flat) --template 'All/$title'
  m_pid=$pid
  mkdir -p "$native/All"
  local n
  n=$(ls -f "$m/All" | "$python" -c '
import os, sys
d = sys.argv[1]
n = 0
for name in sys.stdin.read().split("\n"):
    if name in ("", ".", ".."): continue
    os.close(os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT, 0o644)); n += 1
print(n)' "$native/All")
  [[ $n -eq $flat ]] || { echo "run.sh: the flat directory has $n entries, expected $flat" >&2; return 1; }
  mount_passthrough "$p" "$native"
  p_pid=$pid
  pin "$m_pid"
  pin "$p_pid"
  local lm ln lp lmc lnc lpc r
  if ((can_drop_caches)); then
    measure_n s "ls cold: MusicFS|ls cold: native|ls cold: passthrough" \
      taskset -c 0 "$fsbench" run -r "$find_rounds" --warmup 0 --prepare "$drop_dentries" -- \
      ls -f "$m/All" --- ls -f "$native/All" --- ls -f "$p/All"
    lmc=${meds[0]} lnc=${meds[1]} lpc=${meds[2]}
  fi
  measure_n s "ls warm: MusicFS|ls warm: native|ls warm: passthrough" \
    taskset -c 0 "$fsbench" run -r "$cmd_rounds" -- ls -f "$m/All" --- ls -f "$native/All" --- ls -f "$p/All"
  lm=${meds[0]} ln=${meds[1]} lp=${meds[2]}
  r=$(calc "$lm / $ln")
  row "ls -f, $flat-entry directory, repeated (cache_readdir; same CPU)" "$(secs "$lm")" \
    "native $(secs "$ln"); passthrough $(secs "$lp")" "${r}x" "<= 1.0x" "$(verdict "$r" '<=' 1.0)"
  if ((can_drop_caches)); then
    r=$(calc "$lmc / $lnc")
    row "ls -f, $flat-entry directory, first listing (dentries dropped; same CPU)" "$(secs "$lmc")" \
      "native $(secs "$lnc"); passthrough $(secs "$lpc")" "${r}x" "(information)" ""
  fi
  stop_mount "$m" "$m_pid"
  stop_mount "$p" "$p_pid"
  rm -rf "$native"
}

# =============================================================================================
# 3. Scale: mount until the first ls answers (small vs large catalog), daemon memory, catalog
#    size per track.
# =============================================================================================
bench_scale() {
  local out s_secs s_files l_secs l_files
  out=$(scan_synthetic small "$small")
  read -r s_secs s_files <<<"$out"
  out=$(scan_synthetic large "$large")
  read -r l_secs l_files <<<"$out"
  detail "scan synthetic $small tracks" "$s_secs" "$s_secs" "$s_secs" s
  detail "scan synthetic $large tracks" "$l_secs" "$l_secs" "$l_secs" s
  row "scan, synthetic origin, $large tracks (information)" "$(calc "$l_files / $l_secs" 0) tracks/s" \
    "$(secs "$l_secs") in all; $small tracks: $(calc "$s_files / $s_secs" 0) tracks/s" "" "" ""

  cat >"$work/mount_ls.sh" <<'EOF'
#!/bin/sh
# mount_ls.sh MUSICFS MOUNTPOINT ARGS...: mount a library as a daemon, then list its root.
musicfs=$1 mp=$2
shift 2
"$musicfs" mount --daemon --log-level warn "$@" "$mp" && exec ls "$mp"
EOF
  local mp_s=$work/mnt/ml-small mp_l=$work/mnt/ml-large t_small t_large
  mkdir -p "$mp_s" "$mp_l"
  echo "$mp_s" >>"$work/mounts"
  echo "$mp_l" >>"$work/mounts"
  measure_n s "mount until ls: $small tracks|mount until ls: $large tracks" \
    taskset -c 0 "$fsbench" run -r "$mount_rounds" --warmup 1 \
    --prepare "for m in '$mp_s' '$mp_l'; do fusermount3 -u \"\$m\" 2>/dev/null; done; sleep 0.3; true" \
    -- sh "$work/mount_ls.sh" "$musicfs" "$mp_s" $(lib_args small) \
    --- sh "$work/mount_ls.sh" "$musicfs" "$mp_l" $(lib_args large)
  t_small=${meds[0]} t_large=${meds[1]}
  unmount "$mp_s"
  unmount "$mp_l"
  # The same without the listing (whose size grows with the library: the root holds one
  # directory per album artist): until the mounted root answers stat.
  cat >"$work/mount_stat.sh" <<'EOF'
#!/bin/sh
musicfs=$1 mp=$2
shift 2
"$musicfs" mount --daemon --log-level warn "$@" "$mp" && exec stat -c %i "$mp"
EOF
  measure_n s "mount until stat: $small tracks|mount until stat: $large tracks" \
    taskset -c 0 "$fsbench" run -r "$mount_rounds" --warmup 1 \
    --prepare "for m in '$mp_s' '$mp_l'; do fusermount3 -u \"\$m\" 2>/dev/null; done; sleep 0.3; true" \
    -- sh "$work/mount_stat.sh" "$musicfs" "$mp_s" $(lib_args small) \
    --- sh "$work/mount_stat.sh" "$musicfs" "$mp_l" $(lib_args large)
  local st_small=${meds[0]} st_large=${meds[1]}
  unmount "$mp_s"
  unmount "$mp_l"
  local r
  r=$(calc "$t_large / $t_small")
  local ok1 ok2
  ok1=$(verdict "$r" '<=' 1.2)
  ok2=$(verdict "$t_large" '<=' 0.1)
  row "mount until first ls answers, $small vs $large-track catalog (same CPU)" \
    "$(secs "$t_large") at $large" "$(secs "$t_small") at $small" "${r}x" \
    "<= 1.2x; <= 100 ms at $large" "$ok1; $ok2"
  row "mount until the root answers stat, $small vs $large-track catalog (same CPU)" \
    "$(secs "$st_large") at $large" "$(secs "$st_small") at $small" "$(calc "$st_large / $st_small")x" \
    "(information)" ""

  # What the listing costs ls itself: the same ls over native directories that hold the names
  # of each mounted root (read from the catalogs), as empty directories.
  local nat_s=$work/native-root-small nat_l=$work/native-root-large n_s n_l
  n_s=$(native_root "$work/state/small/catalog.sqlite3" "$nat_s")
  n_l=$(native_root "$work/state/large/catalog.sqlite3" "$nat_l")
  measure_n s "ls of a native copy of the root: $small tracks|ls of a native copy of the root: $large tracks" \
    taskset -c 0 "$fsbench" run -r "$mount_rounds" --warmup 1 -- ls "$nat_s" --- ls "$nat_l"
  row "ls alone: the same ls of native directories holding each root's names ($n_s vs $n_l entries; same CPU)" \
    "$(secs "${meds[1]}") with $n_l" "$(secs "${meds[0]}") with $n_s" \
    "$(calc "${meds[1]} / ${meds[0]}")x; listing: +$(secs "$(calc "${meds[1]} - ${meds[0]}" 6)") native, +$(secs "$(calc "($t_large - $st_large) - ($t_small - $st_small)" 6)") MusicFS" \
    "(information)" ""
  rm -rf "$nat_s" "$nat_l"

  # Memory: a foreground daemon of the large library, after its first ls, then after a find
  # over the whole tree.
  mp=$work/mnt/rss
  local m_pid rss_idle rss_find hwm nfiles
  mount_musicfs "$mp" $(lib_args large)
  m_pid=$pid
  ls "$mp" >/dev/null
  sleep 1
  rss_idle=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$m_pid/status")
  nfiles=$(find "$mp" -printf '%s\n' | wc -l)
  rss_find=$(awk '/^VmRSS/ { print $2 * 1024 }' "/proc/$m_pid/status")
  hwm=$(awk '/^VmHWM/ { print $2 * 1024 }' "/proc/$m_pid/status")
  detail "daemon RSS idle, $large tracks" "$rss_idle" "$rss_idle" "$rss_idle" bytes
  detail "daemon RSS after find ($nfiles entries), $large tracks" "$rss_find" "$rss_find" "$hwm" bytes
  row "daemon resident memory, idle, $large-track catalog" "$(mib "$rss_idle")" "" "" "<= 50 MiB" \
    "$(verdict "$(calc "$rss_idle / 1048576")" '<=' 50)"
  row "daemon resident memory after find over the whole tree ($nfiles entries)" "$(mib "$rss_find") (peak $(mib "$hwm"))" \
    "" "" "<= 200 MiB" "$(verdict "$(calc "$rss_find / 1048576")" '<=' 200)"
  stop_mount "$mp" "$m_pid"

  # Catalog size per track, with the WAL folded in.
  local db=$work/state/large/catalog.sqlite3 bytes
  "$python" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$db"
  bytes=$(( $(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) ))
  detail "catalog bytes, $large synthetic tracks" "$bytes" "$bytes" "$bytes" bytes
  row "catalog size on disk, synthetic library ($large tracks, 14 tags each)" \
    "$(calc "$bytes / $large" 0) bytes/track" "$(mib "$bytes") in all" "" "reported" ""
}

# =============================================================================================
# 4. Scanning real files: the generated corpus replicated, warm page cache, against a bare
#    TagLib loop and beets.
# =============================================================================================
bench_scan() {
  local corpus=$work/corpus one
  if [[ -n $corpus_src ]]; then
    one=$corpus_src
  else
    one=$work/library
    bash "$top/tests/data/make-library.sh" "$one" >/dev/null || {
      local rc=$?
      [[ $rc -eq 77 ]] && { row "scan of real files" "n/a: make-library.sh tools missing" "" "" "" "n/a"; return 0; }
      return "$rc"
    }
  fi
  [[ -d $one ]] || { echo "run.sh: corpus $one is missing" >&2; return 1; }
  mkdir -p "$corpus"
  local i
  for ((i = 1; i <= copies; i++)); do cp -a "$one" "$corpus/copy-$(printf %03d "$i")"; done
  rm -f "$corpus"/copy-*/MANIFEST.json
  find "$corpus" -type f -exec cat {} + >/dev/null  # warm page cache

  local loop_out nfiles
  loop_out=$("$tools/taglib_loop" -j 1 "$corpus")
  nfiles=$(awk '{ print $1 }' <<<"$loop_out")
  local t1 t2 ta m1 m2 b r1 r2 st=$work/scan-state
  # MusicFS links an allocator of its own (mimalloc) that speeds up TagLib itself: the loop
  # also runs with it, so that the table shows what MusicFS adds to the same reading.
  local alloc alloc_lib extra=()
  local labels="scan: taglib loop, 1 thread|scan: MusicFS, 1 thread"
  labels+="|scan: taglib loop, 2 threads|scan: MusicFS, 2 threads (default)"
  # awk reads to the end: leaving early can make ldd fail on the closed pipe (pipefail).
  alloc_lib=$(ldd "$musicfs" | awk '/libmimalloc/ && !found { print $3; found = 1 }')
  if [[ -n $alloc_lib ]]; then
    alloc=mimalloc
    labels+="|scan: taglib loop with $alloc, 2 threads"
    extra=(--- env LD_PRELOAD="$alloc_lib" "$tools/taglib_loop" -j 2 "$corpus")
  fi
  measure_n s "$labels" \
    "$fsbench" run -r "$scan_rounds" --prepare "rm -rf '$st'" -- \
    "$tools/taglib_loop" -j 1 "$corpus" \
    --- "$musicfs" scan --log-level error --scan-threads 1 --state-dir "$st" --library corpus "$corpus" \
    --- "$tools/taglib_loop" -j 2 "$corpus" \
    --- "$musicfs" scan --log-level error --state-dir "$st" --library corpus "$corpus" \
    "${extra[@]}"
  t1=${meds[0]} m1=${meds[1]} t2=${meds[2]} m2=${meds[3]}
  [[ -z $alloc_lib ]] || ta=${meds[4]}
  # The catalog the size row measures: fsbench starts each round with another command, so the
  # last command run need not be a MusicFS scan (and the prepare step removed the state).
  rm -rf "$st"
  "$musicfs" scan --log-level error --state-dir "$st" --library corpus "$corpus" >/dev/null
  local db=$st/corpus/catalog.sqlite3 bytes ntracks
  ntracks=$("$python" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from tracks").fetchone()[0])' "$db")
  "$python" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("PRAGMA wal_checkpoint(TRUNCATE)"); c.close()' "$db"
  bytes=$(( $(stat -c %s "$db") + $(stat -c %s "$db-wal" 2>/dev/null || echo 0) ))

  local beets_txt="n/a: beets not installed" rb="n/a" vb="n/a"
  if ((beets_rounds > 0)) && command -v beet >/dev/null; then
    local bdir=$work/beets
    mkdir -p "$bdir"
    cat >"$bdir/config.yaml" <<EOF
directory: $bdir/music
library: $bdir/library.db
plugins: []
import:
  copy: no
  move: no
  write: no
  autotag: no
  resume: no
  incremental: no
  quiet: yes
  log: null
EOF
    measure "scan: beet import -A -C -W" s "$fsbench" run -r "$beets_rounds" --warmup 0 \
      --prepare "rm -f '$bdir/library.db' '$bdir/state.pickle'" -- \
      env BEETSDIR="$bdir" beet -c "$bdir/config.yaml" import -A -C -W -q "$corpus"
    b=$med
    beets_txt="beet import -A -C -W $(secs "$b")"
    rb="$(calc "$b / $m2" 1)x"
    vb=$(verdict "$rb" '>=' 10)
  elif ((beets_rounds == 0)); then
    beets_txt="beets: not run in --$mode mode"
  fi
  r1=$(calc "$t1 / $m1")
  r2=$(calc "$t2 / $m2")
  row "scan of real files ($nfiles files, $ntracks tracks; warm cache), 1 thread each" \
    "$(secs "$m1") ($(calc "$nfiles / $m1" 0) files/s)" "TagLib loop $(secs "$t1")" "${r1}x" ">= 0.8x" \
    "$(verdict "$r1" '>=' 0.8)"
  row "scan of real files, 2 threads each (MusicFS default)" "$(secs "$m2")" \
    "TagLib loop $(secs "$t2"); $beets_txt" "${r2}x; $rb" ">= 0.8x; >= 10x beets" \
    "$(verdict "$r2" '>=' 0.8); $vb"
  if [[ -n $alloc_lib ]]; then
    row "scan of real files, 2 threads each, the loop with MusicFS's allocator ($alloc)" \
      "$(secs "$m2")" "TagLib loop with $alloc $(secs "$ta")" "$(calc "$ta / $m2")x" \
      "(information)" ""
  fi
  row "catalog size on disk, real files" "$(calc "$bytes / $ntracks" 0) bytes/track" \
    "$(mib "$bytes") for $ntracks tracks" "" "reported" ""
}

# =============================================================================================
mkdir -p "$work/mnt" "$work/state"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
start_s=$SECONDS
group read "sequential read, re-read, open+close" bench_read
group tree "stat and find over a synthetic tree" bench_tree
group flat "ls -f of a flat directory" bench_flat
group scale "mount time, memory and catalog size" bench_scale
group scan "scan of real files" bench_scan

# --- the table --------------------------------------------------------------------------------
{
  echo
  echo "MusicFS benchmarks ($mode; $(nproc) CPUs; kernel $(uname -r); $(date -u +%Y-%m-%dT%H:%MZ);" \
    "$((SECONDS - start_s)) s; load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
  echo
  echo "| operation | MusicFS | reference(s) | ratio | target | result |"
  echo "|---|---|---|---|---|---|"
  while IFS=$'\x1f' read -r op m refs ratio target result; do
    echo "| $op | $m | $refs | $ratio | $target | $result |"
  done <"$work/rows.tsv"
  echo
  echo "<details><summary>raw measurements (median, min, max)</summary>"
  echo
  echo "| measurement | median | min | max | unit |"
  echo "|---|---|---|---|---|"
  while IFS=$'\x1f' read -r what a b c unit; do
    echo "| $what | $a | $b | $c | $unit |"
  done <"$work/details.tsv"
  echo
  echo "</details>"
} | tee "$work/results.md"
if ((keep == 0)) && [[ -n ${BENCH_RESULTS:-} ]]; then cp "$work/results.md" "$BENCH_RESULTS"; fi

if ((${#failed[@]})); then
  printf 'run.sh: these benchmarks could not be run: %s\n' "${failed[*]}" >&2
  exit 1
fi
