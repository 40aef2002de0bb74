"""Shared helpers for the MusicFS integration tests.

Each test script is a standalone program run with /usr/bin/python3 (standard library + mutagen):
exit 0 = passed, 77 = skipped (CMake SKIP_RETURN_CODE), anything else = failed.

Environment (set by tests/integration/CMakeLists.txt):
  MUSICFS_BIN           the musicfs executable
  MUSICFS_TEST_LIBRARY  the library made by tests/data/make-library.sh (has MANIFEST.json)
  MUSICFS_CORPUS        the public tag edge-case corpus (optional)

Every mount lives in its own temporary directory with its own state directory, is waited for with
a timeout and is always unmounted (lazily if need be) and its daemon reaped, even when the test
fails or hangs: a watchdog force-unmounts everything before CTest's own timeout would kill us and
leave a dead mount behind.
"""

import contextlib
import errno
import faulthandler
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

SKIP = 77
MOUNT_TIMEOUT = 30.0     # seconds until a mount must be ready
EXIT_TIMEOUT = 20.0      # seconds for the daemon to exit once unmounted / signalled
TOOL_TIMEOUT = 120.0     # any other subprocess

PYTHON = "/usr/bin/python3"


# --- skipping ---------------------------------------------------------------------------------

def skip(reason):
    """Ends the test program as skipped: prints why, exits 77."""
    print(f"SKIPPED: {reason}", flush=True)
    sys.exit(SKIP)


def require_tools(*tools):
    for tool in tools:
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed")


def require_fuse():
    if not os.path.exists("/dev/fuse"):
        skip("/dev/fuse does not exist (no FUSE in this environment)")
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        skip("/dev/fuse is not accessible to this user (needs mode 0666 or root)")
    require_tools("fusermount3")


def require_mutagen():
    try:
        import mutagen  # noqa: F401
    except ImportError:
        skip(f"mutagen is not importable by {sys.executable} (run the tests with {PYTHON})")


def musicfs_bin():
    path = os.environ.get("MUSICFS_BIN")
    if not path:
        skip("MUSICFS_BIN is not set (run through ctest)")
    if not os.access(path, os.X_OK):
        skip(f"MUSICFS_BIN={path} is not an executable")
    return path


def library_dir():
    path = os.environ.get("MUSICFS_TEST_LIBRARY")
    if not path:
        skip("MUSICFS_TEST_LIBRARY is not set (run through ctest)")
    if not os.path.isfile(os.path.join(path, "MANIFEST.json")):
        skip(f"{path}/MANIFEST.json is missing: the test library was not generated "
             "(tests/data/make-library.sh; the integration.make_library test)")
    return path


def corpus_dir():
    path = os.environ.get("MUSICFS_CORPUS")
    if not path:
        skip("MUSICFS_CORPUS is not set")
    if not os.path.isdir(path):
        skip(f"the corpus {path} is absent")
    return path


def require_all(mutagen=False, tools=()):
    """The usual preconditions of a test that mounts the test library."""
    require_fuse()
    require_tools(*tools)
    if mutagen:
        require_mutagen()
    musicfs_bin()
    library_dir()


# --- the test library ---------------------------------------------------------------------------

class Manifest:
    """tests/data/make-library.sh's MANIFEST.json. Paths are bytes (one is not UTF-8)."""

    def __init__(self, root):
        self.root = root
        with open(os.path.join(root, "MANIFEST.json"), encoding="utf-8") as f:
            data = json.load(f)
        self.tracks = data["tracks"]
        for t in self.tracks:
            t["path_b"] = os.fsencode(t["path"])
            t["expected_path_b"] = os.fsencode(t["expected_path"])
        self.broken = [os.fsencode(p) for p in data["broken"]]
        self.ignored = [os.fsencode(p) for p in data["ignored"]]

    def original(self, track):
        return os.path.join(os.fsencode(self.root), track["path_b"])

    def by_path(self):
        return {t["path_b"]: t for t in self.tracks}


def tag_values(value):
    """A manifest tag value (string or list) as a list."""
    return value if isinstance(value, list) else [value]


# --- files ----------------------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def ffmpeg_audio_md5(path):
    """MD5 of the first audio stream's packets as ffmpeg demuxes them (no decoding)."""
    r = run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-map", "0:a:0", "-c:a", "copy",
             "-f", "md5", "-"])
    if r.returncode != 0:
        raise AssertionError(f"ffmpeg failed on {os.fsdecode(path)}: {r.stderr.strip()}")
    return r.stdout.strip()


def walk_files(top):
    """All regular files under top (bytes paths, relative), sorted, without following symlinks."""
    top = os.fsencode(top)
    found = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            found.append(os.path.relpath(os.path.join(dirpath, name), top))
    return found


def tree_listing(top):
    """{relative bytes path: (type, size, mtime_ns, mode, sha256 or link target)} of a source tree,
    to prove that nothing in it changed."""
    top = os.fsencode(top)
    listing = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if os.path.islink(full):
                content = os.readlink(full)
            elif os.path.isfile(full):
                content = sha256_file(full)
            else:
                content = None
            listing[os.path.relpath(full, top)] = (st.st_mode, st.st_size, st.st_mtime_ns, content)
    return listing


def xattrs(path):
    """{name: bytes} of the user xattrs of path (not following symlinks)."""
    return {name: os.getxattr(path, name, follow_symlinks=False)
            for name in os.listxattr(path, follow_symlinks=False)}


def origin_path(path):
    return os.getxattr(path, "user.musicfs.origin_path")


def files_by_origin(mountpoint):
    """origin path (str) -> mounted path (bytes), for every file in the mount."""
    out = {}
    for rel in walk_files(mountpoint):
        full = os.path.join(os.fsencode(mountpoint), rel)
        out[os.fsdecode(origin_path(full))] = full
    return out


# --- processes -------------------------------------------------------------------------------------

def run(args, timeout=TOOL_TIMEOUT, **kwargs):
    """subprocess.run with captured text output and a timeout, always."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    kwargs.setdefault("errors", "replace")
    kwargs.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(args, timeout=timeout, **kwargs)


def musicfs(*args, timeout=TOOL_TIMEOUT):
    """Runs `musicfs ARGS` to completion; returns the CompletedProcess."""
    return run([musicfs_bin(), *[os.fspath(a) for a in args]], timeout=timeout)


def scan_json(source, state_dir, library="test", timeout=TOOL_TIMEOUT):
    """`musicfs scan --json`: returns the parsed object; fails with the output otherwise."""
    r = musicfs("scan", "--json", "--state-dir", state_dir, "--library", library, source,
                timeout=timeout)
    if r.returncode != 0:
        raise AssertionError(f"musicfs scan exited {r.returncode}\nstdout:\n{r.stdout}\n"
                             f"stderr:\n{r.stderr}")
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        raise AssertionError(f"musicfs scan --json printed no JSON object ({e}):\n{r.stdout}\n"
                             f"stderr:\n{r.stderr}") from None


def _unescape_mountinfo(field):
    out, i = "", 0
    while i < len(field):
        if field[i] == "\\" and field[i + 1:i + 4].isdigit():
            out += chr(int(field[i + 1:i + 4], 8))
            i += 4
        else:
            out += field[i]
            i += 1
    return out


def mount_entry(mountpoint):
    """The /proc/self/mountinfo line of mountpoint, or None. Unlike os.path.ismount this sends
    no request to the filesystem, so it cannot hang on a stuck daemon."""
    mp = os.path.abspath(mountpoint)  # no realpath: it would stat the mount
    with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 4 and _unescape_mountinfo(fields[4]) == mp:
                return line.strip()
    return None


def is_mounted(mountpoint):
    return mount_entry(mountpoint) is not None


class FuseRequests:
    """Counts the FUSE requests the kernel sends to one mount, by opcode name ("FUSE_READDIR"),
    through a private tracefs instance filtered to the mount's connection, so that concurrent
    tests and mounts do not count. Skips (SkipTest) without root or the fuse tracepoints.

        with t.FuseRequests(mountpoint) as reqs:
            os.listdir(...)
        reqs.counts["FUSE_OPENDIR"]
    """

    TRACEFS = "/sys/kernel/tracing"

    def __init__(self, mountpoint):
        entry = mount_entry(mountpoint)
        if entry is None:
            raise unittest.SkipTest(f"{mountpoint} is not mounted")
        major, minor = (int(x) for x in entry.split()[2].split(":"))
        self.connection = (major << 20) | minor  # the kernel's dev_t, as the tracepoint prints it
        self.counts = {}
        self.instance = None

    def __enter__(self):
        events = os.path.join(self.TRACEFS, "events", "fuse", "fuse_request_send")
        if os.geteuid() != 0 or not os.path.isdir(events):
            raise unittest.SkipTest(f"needs root and the kernel's FUSE tracepoints ({events})")
        self.instance = tempfile.mkdtemp(prefix="musicfs-", dir=os.path.join(self.TRACEFS, "instances"))
        event = os.path.join(self.instance, "events", "fuse", "fuse_request_send")
        try:
            with open(os.path.join(event, "filter"), "w", encoding="ascii") as f:
                f.write(f"connection == {self.connection}")
            with open(os.path.join(event, "enable"), "w", encoding="ascii") as f:
                f.write("1")
        except BaseException:
            os.rmdir(self.instance)
            raise
        return self

    def __exit__(self, *exc):
        try:
            with open(os.path.join(self.instance, "trace"), encoding="utf-8",
                      errors="replace") as f:
                for line in f:
                    if line.startswith("#") or "opcode" not in line:
                        continue
                    # "... fuse_request_send: connection 62 req 8 opcode 27 (FUSE_OPENDIR) len 48"
                    rest = line.rsplit(" opcode ", 1)[1]
                    name = rest.split("(", 1)[1].split(")", 1)[0] if "(" in rest else rest
                    self.counts[name] = self.counts.get(name, 0) + 1
        finally:
            os.rmdir(self.instance)  # tracefs removes an instance with rmdir, contents and all
        return False


def probe(path, timeout):
    """stat(path) in a child process, so that a daemon that does not answer cannot hang us.
    Returns None when it answered, else what went wrong."""
    try:
        r = run(["stat", "--", path], timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"stat {path} got no answer within {timeout:.0f} s"
    return None if r.returncode == 0 else r.stderr.strip()


def _attempt(args, timeout=15):
    """Runs a command; returns None on success, else what went wrong."""
    try:
        r = run(args, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"`{' '.join(args)}` hung for {timeout} s"
    return None if r.returncode == 0 else f"`{' '.join(args)}`: {r.stderr.strip()}"


def unmount(mountpoint, kill_daemon=None):
    """fusermount3 -u; if that fails, a lazy unmount (fusermount3 -uz, then umount -l). When the
    daemon does not answer (fusermount3 hangs), kill_daemon() is called first: a dead daemon
    aborts the connection and unblocks everything. Returns "" or what went wrong."""
    if not is_mounted(mountpoint):
        return ""
    problem = _attempt(["fusermount3", "-u", mountpoint])
    if problem is None and not is_mounted(mountpoint):
        return ""
    problem = problem or "fusermount3 -u left it mounted"
    if "hung" in problem and kill_daemon:
        kill_daemon()
        problem += "; killed the daemon"
    for args in (["fusermount3", "-uz", mountpoint], ["umount", "-l", mountpoint]):
        if not is_mounted(mountpoint):
            break
        failed = _attempt(args)
        if failed:
            problem += "; " + failed
    if is_mounted(mountpoint):
        problem += "; STILL MOUNTED"
    return problem


def musicfs_pids(mountpoint):
    """PIDs of musicfs processes whose command line names mountpoint."""
    target = os.fsencode(os.path.abspath(mountpoint))
    exe = os.path.basename(os.fsencode(os.environ.get("MUSICFS_BIN", "musicfs")))
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == exe and target in argv:
            pids.append(int(entry))
    return pids


# --- mounts ------------------------------------------------------------------------------------------

_active_mounts = []
_active_lock = threading.Lock()


class Mount:
    """`musicfs mount --state-dir S --library NAME [extra] SOURCE MP` as a foreground child.

    with Mount(source) as m:  m.mp is the mount point, m.path(b"Artist/Album") joins onto it.

    The daemon's stdout and stderr go to a log file, printed when the mount fails to come up or
    the test fails. On exit the mount is always undone (fusermount3 -u, then -uz), the daemon
    waited for (SIGKILL after EXIT_TIMEOUT) and the temporary directories removed. Unless
    expect_clean_exit is cleared (a test that kills the daemon on purpose), a daemon that did not
    exit 0 after `fusermount3 -u` fails the test.
    """

    def __init__(self, source, *extra, library="test", state_dir=None, mountpoint=None):
        self.source = None if source is None else os.fspath(source)  # None: origins from --config
        self.extra = [os.fspath(a) for a in extra]
        self.library = library
        self._own_state = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="musicfs-state-")
        self._own_mp = mountpoint is None
        self.mp = mountpoint or tempfile.mkdtemp(prefix="musicfs-mnt-")
        fd, self.log_path = tempfile.mkstemp(prefix="musicfs-log-", suffix=".txt")
        os.close(fd)
        self.proc = None
        self.returncode = None
        self.expect_clean_exit = True
        self.unresponsive = False  # known not to answer requests: kill it before unmounting
        self._log = None

    @property
    def catalog(self):
        return os.path.join(self.state_dir, self.library, "catalog.sqlite3")

    def path(self, *parts):
        return os.path.join(os.fsencode(self.mp), *[os.fsencode(p) for p in parts])

    def args(self):
        source = [] if self.source is None else [self.source]
        return [musicfs_bin(), "mount", "--state-dir", self.state_dir, "--library", self.library,
                *self.extra, *source, self.mp]

    def log(self):
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return "(no log)"

    def describe(self):
        return (f"command: {' '.join(self.args())}\nexit status: {self.returncode}\n"
                f"--- daemon output ---\n{self.log()}--- end of daemon output ---")

    def spawn(self):
        """Starts the daemon without waiting for the mount."""
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(self.args(), stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        with _active_lock:
            _active_mounts.append(self)
        return self

    def start(self):
        """Starts the daemon and waits until the mount is ready."""
        self.spawn()
        deadline = time.monotonic() + MOUNT_TIMEOUT
        while not is_mounted(self.mp):
            if self.proc.poll() is not None:
                self.returncode = self.proc.returncode
                raise AssertionError(f"musicfs mount exited before the mount was ready\n"
                                     f"{self.describe()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.mp} not mounted after {MOUNT_TIMEOUT:.0f} s\n"
                                     f"{self.describe()}")
            time.sleep(0.05)
        # The kernel has the mount; now the daemon must answer requests on it.
        problem = probe(self.mp, max(1.0, deadline - time.monotonic()))
        if problem:
            self.unresponsive = True
            raise AssertionError(f"{self.mp} is mounted but the daemon does not answer: "
                                 f"{problem}\n{self.describe()}")
        if not os.path.ismount(self.mp):
            raise AssertionError(f"{self.mp} is in mountinfo but os.path.ismount is false\n"
                                 f"{self.describe()}")
        return self

    def wait_exit(self, timeout=EXIT_TIMEOUT):
        """Waits for the daemon; returns its exit status or None if it is still running."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.returncode

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def stop(self):
        """Unmounts and reaps the daemon. Returns a list of problems (empty when all was clean)."""
        problems = []
        if self.proc is None:
            return problems
        if self.unresponsive:
            self.kill()
            self.wait_exit(10)
        problem = unmount(self.mp, kill_daemon=self.kill)
        if problem and self.expect_clean_exit:
            problems.append(problem)
        if self.proc.poll() is None and self.wait_exit() is None:
            problems.append(f"daemon still running {EXIT_TIMEOUT:.0f} s after the unmount; "
                            "killed it")
            self.kill()
            self.wait_exit(10)
        self.returncode = self.proc.returncode
        if self.expect_clean_exit and self.returncode != 0:
            problems.append(f"daemon exited with status {self.returncode}, not 0")
        with _active_lock:
            if self in _active_mounts:
                _active_mounts.remove(self)
        if self._log:
            self._log.close()
            self._log = None
        return problems

    def cleanup(self):
        if self._own_mp:
            with contextlib.suppress(OSError):
                if not is_mounted(self.mp):
                    os.rmdir(self.mp)
        if self._own_state:
            shutil.rmtree(self.state_dir, ignore_errors=True)
        with contextlib.suppress(OSError):
            os.unlink(self.log_path)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            self.cleanup()
            raise

    def close(self, show_log=False):
        """stop() + cleanup(); prints the daemon output if show_log or the shutdown was unclean,
        and then fails."""
        try:
            problems = self.stop()
            if show_log or problems:
                print(self.describe(), file=sys.stderr, flush=True)
            if problems:
                raise AssertionError(f"unclean shutdown of {self.mp}: " + "; ".join(problems))
        finally:
            self.cleanup()

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            with contextlib.suppress(AssertionError):
                self.close(show_log=True)
        else:
            self.close()
        return False


class MountedCase(unittest.TestCase):
    """A TestCase whose tests share mounts made in setUpClass with mount(); each mount is closed
    after the class, printing the daemon output if any test of the class failed."""

    any_failed = False

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        outcome = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self).any_failed = True
        return outcome

    @classmethod
    def mount(cls, source, *extra, **kwargs):
        m = Mount(source, *extra, **kwargs).__enter__()
        cls.addClassCleanup(lambda: m.close(show_log=cls.any_failed))
        return m


_guarded_mountpoints = []


def guard_mountpoint(mountpoint):
    """Makes force_cleanup_all() (the watchdog) also kill the musicfs processes of a mount point
    that a test mounts without Mount (e.g. `musicfs mount --daemon`) and unmount it."""
    with _active_lock:
        _guarded_mountpoints.append(mountpoint)


def force_cleanup_all():
    """Kills the daemon of every mount still active, then unmounts it lazily (watchdog, exit).
    Killing first: a stuck daemon would make the unmount itself hang."""
    with _active_lock:
        mounts = list(_active_mounts)
        guarded = list(_guarded_mountpoints)
    for mp in guarded:
        with contextlib.suppress(Exception):
            for pid in musicfs_pids(mp):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            unmount(mp)
    for m in mounts:
        with contextlib.suppress(Exception):
            m.kill()
        with contextlib.suppress(Exception):
            for pid in musicfs_pids(m.mp):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            unmount(m.mp)
        with contextlib.suppress(Exception):
            m.cleanup()


def install_watchdog(seconds):
    """After `seconds`, dump all thread stacks, force-unmount everything (which also unblocks any
    request stuck in the daemon) and exit 1. Call it with less than the CTest TIMEOUT."""
    def fire():
        print(f"\nWATCHDOG: the test ran longer than {seconds} s; stacks:", file=sys.stderr,
              flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        with _active_lock:
            mounts = list(_active_mounts)
        for m in mounts:
            print(m.describe(), file=sys.stderr, flush=True)
        force_cleanup_all()
        os._exit(1)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


def main(watchdog=300):
    """Runs the unittest cases of __main__ and exits 0 (passed), 77 (all skipped) or 1.
    The watchdog (seconds) is MUSICFS_TEST_WATCHDOG when set (CMakeLists.txt sets it to 15 s
    less than the CTest TIMEOUT)."""
    watchdog = float(os.environ.get("MUSICFS_TEST_WATCHDOG", watchdog))
    if watchdog > 0:
        install_watchdog(watchdog)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: (force_cleanup_all(), os._exit(128 + s)))
    try:
        program = unittest.main(module="__main__", exit=False, verbosity=2)
    finally:
        force_cleanup_all()
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.testsRun == 0 or len(result.skipped) == result.testsRun:
        sys.exit(SKIP)
    sys.exit(0)


def errno_of(fn, *args, **kwargs):
    """Calls fn; returns the errno it failed with, or None if it succeeded."""
    try:
        fn(*args, **kwargs)
    except OSError as e:
        return e.errno
    return None


def errname(code):
    return "success" if code is None else errno.errorcode.get(code, str(code))
