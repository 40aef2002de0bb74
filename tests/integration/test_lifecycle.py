#!/usr/bin/python3
"""Starting and stopping: SIGTERM, SIGINT and `fusermount3 -u` end a foreground mount cleanly;
--daemon returns once the mount is ready; CLI errors exit 2 with one "musicfs: " line on stderr
and leave nothing mounted."""

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402


def drain_until_eof(pipes, timeout):
    """Reads the pipes ({name: file}) until EOF or timeout. Returns ({name: bytes read},
    [names of the pipes still open by someone at the timeout])."""
    out = {name: b"" for name in pipes}
    fds = {pipe.fileno(): name for name, pipe in pipes.items()}
    for fd in fds:
        os.set_blocking(fd, False)
    deadline = time.monotonic() + timeout
    while fds and time.monotonic() < deadline:
        ready, _, _ = select.select(list(fds), [], [], max(0, deadline - time.monotonic()))
        for fd in ready:
            chunk = os.read(fd, 65536)
            if chunk:
                out[fds[fd]] += chunk
            else:
                del fds[fd]
    for pipe in pipes.values():
        pipe.close()
    return out, sorted(fds.values())


class TempDirs:
    def __init__(self, case):
        self.case = case

    def make(self, prefix):
        path = tempfile.mkdtemp(prefix=prefix)
        self.case.addCleanup(self.remove, path)
        return path

    @staticmethod
    def remove(path):
        if t.is_mounted(path):
            t.unmount(path)
        shutil.rmtree(path, ignore_errors=True)


class StopTest(unittest.TestCase):
    def setUp(self):
        self.lib = t.library_dir()

    def mount(self):
        m = t.Mount(self.lib)
        m.__enter__()
        self.addCleanup(m.close)
        # A few requests first, so that the daemon has open state to tear down.
        self.assertTrue(os.listdir(m.mp))
        for rel in t.walk_files(m.mp)[:3]:
            with open(os.path.join(os.fsencode(m.mp), rel), "rb") as f:
                f.read(1000)
        return m

    def assert_stops_cleanly(self, m, how):
        m.expect_clean_exit = False  # checked here, not again when the mount is closed
        status = m.wait_exit()
        self.assertIsNotNone(status, f"daemon still running {t.EXIT_TIMEOUT:.0f} s after {how}\n"
                             f"{m.describe()}")
        self.assertEqual(status, 0, f"exit status after {how}\n{m.describe()}")
        self.assertFalse(t.is_mounted(m.mp), f"still mounted after {how}\n{m.describe()}")
        self.assertEqual(os.listdir(m.mp), [], "the mount point is not empty after unmounting")

    def test_sigterm(self):
        m = self.mount()
        m.kill(signal.SIGTERM)
        self.assert_stops_cleanly(m, "SIGTERM")

    def test_sigint(self):
        m = self.mount()
        m.kill(signal.SIGINT)
        self.assert_stops_cleanly(m, "SIGINT")

    def test_sigterm_while_a_file_is_open(self):
        m = self.mount()
        rel = t.walk_files(m.mp)[0]
        f = open(os.path.join(os.fsencode(m.mp), rel), "rb")
        self.addCleanup(f.close)
        f.read(10)
        m.expect_clean_exit = False
        m.kill(signal.SIGTERM)
        status = m.wait_exit()
        # An open file may keep the kernel mount busy; the daemon must still not hang or crash.
        self.assertIsNotNone(status, f"daemon hangs on SIGTERM with a file open\n{m.describe()}")
        self.assertEqual(status, 0, m.describe())

    def test_fusermount_unmount(self):
        m = self.mount()
        r = t.run(["fusermount3", "-u", m.mp], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assert_stops_cleanly(m, "fusermount3 -u")


class DaemonTest(unittest.TestCase):
    def test_daemon_returns_when_mounted(self):
        self.check_daemon()

    def test_daemon_logs_to_the_file_given(self):
        # The log moves to the file once detached: naming a file also before must work.
        log = os.path.join(TempDirs(self).make("musicfs-log-"), "daemon.log")
        self.check_daemon("--log-file", log, "--log-level", "info")
        with open(log, encoding="utf-8", errors="replace") as f:
            text = f.read()
        self.assertIn("mounted at", text)
        self.assertIn("unmounted", text)

    def check_daemon(self, *extra):
        dirs = TempDirs(self)
        lib, state, mp = t.library_dir(), dirs.make("musicfs-state-"), dirs.make("musicfs-mnt-")
        args = [t.musicfs_bin(), "mount", "--daemon", "--state-dir", state, "--library", "test",
                *extra, lib, mp]
        t.guard_mountpoint(mp)
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        self.addCleanup(lambda: [os.kill(pid, signal.SIGKILL) for pid in t.musicfs_pids(mp)])
        try:
            status = p.wait(timeout=t.MOUNT_TIMEOUT + 30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            self.fail(f"musicfs mount --daemon did not return within {t.MOUNT_TIMEOUT + 30:.0f} s")
        mounted_at_return = t.is_mounted(mp)
        unanswered = t.probe(mp, 10) if mounted_at_return else None
        # The daemon must not keep the caller's stdout/stderr open: `x=$(musicfs mount --daemon
        # ...)` would never finish.
        out, held = drain_until_eof({"stdout": p.stdout, "stderr": p.stderr}, timeout=5)
        err = out["stderr"]
        self.assertEqual(status, 0, f"musicfs mount --daemon exited {status}: {err!r}")
        self.assertTrue(mounted_at_return, "not mounted when musicfs mount --daemon returned")
        self.assertIsNone(unanswered, "mounted, but the daemon does not answer requests")
        self.assertEqual(held, [], "the daemon keeps the caller's pipes open")
        self.assertTrue(os.listdir(mp), f"the daemonised mount is empty ({out})")
        pids = t.musicfs_pids(mp)
        self.assertTrue(pids, "no musicfs process for the mount point after --daemon")

        r = t.run(["fusermount3", "-u", mp], timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        deadline = time.monotonic() + t.EXIT_TIMEOUT
        while t.musicfs_pids(mp) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(t.musicfs_pids(mp), [], "the daemon is still running after fusermount3 -u")
        self.assertFalse(t.is_mounted(mp))


class CliErrorTest(unittest.TestCase):
    """`musicfs mount` usage errors: exit status 2, exactly one line on stderr starting with
    "musicfs: ", nothing mounted, and it returns at once (no daemon left behind)."""

    def setUp(self):
        self.dirs = TempDirs(self)
        self.lib = t.library_dir()
        self.state = self.dirs.make("musicfs-state-")

    def assert_usage_error(self, args, mp, about):
        full = [t.musicfs_bin(), *args]
        try:
            r = t.run(full, timeout=30)
        except subprocess.TimeoutExpired:
            for pid in t.musicfs_pids(mp):
                os.kill(pid, signal.SIGKILL)
            t.unmount(mp)
            self.fail(f"{about}: `{' '.join(full)}` did not exit within 30 s")
        lines = r.stderr.splitlines()
        context = f"{about}: `{' '.join(full)}`\nexit {r.returncode}\nstderr:\n{r.stderr}"
        self.assertEqual(r.returncode, 2, context)
        self.assertEqual(len(lines), 1, "stderr must be exactly one line\n" + context)
        self.assertTrue(lines[0].startswith("musicfs: "), context)
        self.assertGreater(len(lines[0]), len("musicfs: ") + 5, context)
        return lines[0]

    def assert_not_mounted(self, mp):
        self.assertFalse(t.is_mounted(mp), f"{mp} was mounted anyway")
        self.assertEqual(t.musicfs_pids(mp), [], "a musicfs process was left running")

    def mount_args(self, source, mp, *extra):
        return ["mount", "--state-dir", self.state, "--library", "test", *extra, source, mp]

    def test_missing_source(self):
        mp = self.dirs.make("musicfs-mnt-")
        missing = os.path.join(self.state, "no-such-music")
        line = self.assert_usage_error(self.mount_args(missing, mp), mp, "missing source directory")
        self.assertIn("no-such-music", line, "the message should name the missing directory")
        self.assert_not_mounted(mp)

    def test_missing_mountpoint(self):
        mp = os.path.join(self.state, "no-such-mountpoint")
        self.assert_usage_error(self.mount_args(self.lib, mp), mp, "missing mount point")
        self.assertFalse(os.path.exists(mp), "the mount point was created")

    def test_mountpoint_not_empty(self):
        mp = self.dirs.make("musicfs-mnt-")
        with open(os.path.join(mp, "something.txt"), "w") as f:
            f.write("x")
        self.assert_usage_error(self.mount_args(self.lib, mp), mp, "non-empty mount point")
        self.assert_not_mounted(mp)

    def test_mountpoint_already_mounted(self):
        with t.Mount(self.lib) as m:
            before = sorted(os.listdir(m.mp))
            pids_before = set(t.musicfs_pids(m.mp))
            self.assert_usage_error(self.mount_args(self.lib, m.mp), m.mp, "already a mount point")
            self.assertEqual(set(t.musicfs_pids(m.mp)), pids_before,
                             "a second daemon is running for the mount point")
            # The first mount is unharmed.
            self.assertEqual(sorted(os.listdir(m.mp)), before)
            self.assertEqual(t.mount_entry(m.mp).count(" - fuse"), 1)

    def test_malformed_config(self):
        mp = self.dirs.make("musicfs-mnt-")
        config = os.path.join(self.state, "broken.toml")
        with open(config, "w") as f:
            f.write('[mount\nlog-level = = "debug"\n"unterminated\n')
        line = self.assert_usage_error(self.mount_args(self.lib, mp, "--config", config), mp,
                                       "malformed config file")
        self.assertIn("broken.toml", line, "the message should name the config file")
        self.assert_not_mounted(mp)

    def test_unreadable_config(self):
        mp = self.dirs.make("musicfs-mnt-")
        config = os.path.join(self.state, "missing.toml")
        self.assert_usage_error(self.mount_args(self.lib, mp, "--config", config), mp,
                                "missing config file")
        self.assert_not_mounted(mp)

    def test_unknown_option(self):
        mp = self.dirs.make("musicfs-mnt-")
        line = self.assert_usage_error(self.mount_args(self.lib, mp, "--no-such-option"), mp,
                                       "unknown option")
        self.assertIn("no-such-option", line)
        self.assert_not_mounted(mp)

    def test_bad_option_value(self):
        mp = self.dirs.make("musicfs-mnt-")
        self.assert_usage_error(self.mount_args(self.lib, mp, "--scan", "sometimes"), mp,
                                "bad --scan value")
        self.assert_not_mounted(mp)

    def test_list_option_takes_one_value_per_flag(self):
        # `--plugin-dir DIR SOURCE`: the list option must leave the positional alone.
        r = t.musicfs("scan", "--state-dir", self.state, "--library", "lists",
                      "--plugin-dir", self.state, "--plugin-dir", self.state, self.lib)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_missing_mountpoint_argument(self):
        self.assert_usage_error(["mount", "--state-dir", self.state], self.state,
                                "no source and mount point")


class VersionTest(unittest.TestCase):
    def test_version_names_the_allocator_serving_the_process(self):
        # MUSICFS_TEST_ALLOCATOR says what the build links (CMake); --version checks it on a
        # live allocation, so this fails if mimalloc is linked but libc's malloc still serves.
        r = t.musicfs("--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith("musicfs "), r.stdout)
        expected = os.environ.get("MUSICFS_TEST_ALLOCATOR", "system")
        self.assertEqual("(allocator: mimalloc " in r.stdout, expected == "mimalloc",
                         f"built with {expected}: {r.stdout!r}")


if __name__ == "__main__":
    t.require_all()
    t.main(watchdog=280)
