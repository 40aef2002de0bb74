#!/usr/bin/python3
"""kill -9 of a mounted daemon loses nothing: the catalog passes SQLite's integrity check, a
remount of the same state shows the same tree with the same inode numbers (media servers re-index
when inodes change) and reads work; a rescan finds nothing to do, and finds exactly one change
after one file's mtime changes."""

import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402


def snapshot(mp):
    """{relative bytes path: (inode, is_dir, size)} of the whole mounted tree."""
    mp = os.fsencode(mp)
    tree = {b"": (os.lstat(mp).st_ino, True, 0)}
    for dirpath, dirnames, filenames in os.walk(mp):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            tree[os.path.relpath(path, mp)] = (st.st_ino, name in dirnames, st.st_size)
    return tree


def integrity_check(catalog):
    """PRAGMA integrity_check on a copy of the catalog and its WAL, so that the check itself does
    not recover (and thereby repair) the database before the daemon gets to it."""
    tmp = tempfile.mkdtemp(prefix="musicfs-catalog-copy-")
    try:
        for suffix in ("", "-wal"):
            if os.path.exists(catalog + suffix):
                shutil.copy2(catalog + suffix, os.path.join(tmp, "catalog.sqlite3" + suffix))
        db = sqlite3.connect(os.path.join(tmp, "catalog.sqlite3"))
        try:
            return [row[0] for row in db.execute("PRAGMA integrity_check")]
        finally:
            db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class CrashRecoveryTest(unittest.TestCase):
    def setUp(self):
        # A private copy of the library: this test changes an mtime, and other tests run in
        # parallel on the shared one.
        self.tmp = tempfile.mkdtemp(prefix="musicfs-crash-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.lib = os.path.join(self.tmp, "library")
        shutil.copytree(os.fsencode(t.library_dir()), os.fsencode(self.lib), symlinks=True)
        self.state = os.path.join(self.tmp, "state")
        os.mkdir(self.state)
        self.manifest = t.Manifest(self.lib)

    def test_kill_9_and_remount(self):
        # 1. Mount (the first mount scans), look at everything, then kill -9.
        m = t.Mount(self.lib, state_dir=self.state)
        with m:
            before = snapshot(m.mp)
            self.assertGreater(len(before), len(self.manifest.tracks), "the mount looks empty")
            first = t.walk_files(m.mp)[0]
            with open(os.path.join(os.fsencode(m.mp), first), "rb") as f:
                f.read(4096)
            m.expect_clean_exit = False
            m.kill(signal.SIGKILL)
            self.assertEqual(m.wait_exit(10), -signal.SIGKILL, "kill -9 did not kill the daemon")
            # The dead mount: fusermount3 -u (Mount's exit falls back to -uz).
        self.assertFalse(t.is_mounted(m.mp))
        catalog = m.catalog
        self.assertTrue(os.path.isfile(catalog), f"no catalog at {catalog}")

        # 2. The catalog survived.
        self.assertEqual(integrity_check(catalog), ["ok"], "catalog corrupt after kill -9")

        # 3. Remount the same state: same tree, same inode numbers, reads work.
        with t.Mount(self.lib, state_dir=self.state) as m2:
            after = snapshot(m2.mp)
            self.assertEqual(sorted(after), sorted(before), "the tree changed after the crash")
            moved = {p: (before[p][0], after[p][0]) for p in before
                     if p in after and before[p][0] != after[p][0]}
            self.assertEqual(moved, {}, "inode numbers changed after the crash (old, new)")
            wrong = []
            for rel in t.walk_files(m2.mp):
                path = os.path.join(os.fsencode(m2.mp), rel)
                original = os.path.join(os.fsencode(self.lib), t.origin_path(path))
                if t.sha256_file(path) != t.sha256_file(original):
                    wrong.append(rel)
            self.assertEqual(wrong, [], "files read differently after the remount")
        self.assertEqual(integrity_check(catalog), ["ok"], "catalog corrupt after the remount")

        # 4. Nothing changed on disk, so a rescan has nothing to do.
        scan = t.scan_json(self.lib, self.state)
        self.assertEqual((scan["new"], scan["changed"], scan["removed"]), (0, 0, 0),
                         f"rescan after the crash: {scan}")
        self.assertEqual(scan["unchanged"], scan["files"], f"rescan: {scan}")
        # "files" counts every audio file seen, the unreadable ones included.
        self.assertEqual(scan["files"], len(self.manifest.tracks) + len(self.manifest.broken),
                         f"rescan: {scan}")

        # 5. One file's mtime changes: exactly one change.
        track = self.manifest.tracks[0]
        original = self.manifest.original(track)
        st = os.stat(original)
        os.utime(original, ns=(st.st_atime_ns, st.st_mtime_ns + 10 * 10**9))
        scan = t.scan_json(self.lib, self.state)
        self.assertEqual((scan["new"], scan["changed"], scan["removed"]), (0, 1, 0),
                         f"rescan after touching {track['path']!r}: {scan}")
        self.assertEqual(scan["unchanged"], scan["files"] - 1, f"rescan: {scan}")

        # 6. And the tree after all that is still the same.
        with t.Mount(self.lib, state_dir=self.state) as m3:
            again = snapshot(m3.mp)
            self.assertEqual({p: v[0] for p, v in again.items()},
                             {p: v[0] for p, v in before.items()},
                             "paths or inode numbers changed after the rescan")

    def test_kill_9_during_first_scan_then_mount(self):
        """A scan killed midway must leave a catalog that a later mount can use."""
        m = t.Mount(self.lib, state_dir=self.state)
        m.expect_clean_exit = False
        m.spawn()
        try:
            # Kill it as soon as the catalog exists (the scan is under way, or done).
            deadline = time.monotonic() + t.MOUNT_TIMEOUT
            while not os.path.exists(m.catalog) and m.proc.poll() is None \
                    and time.monotonic() < deadline:
                time.sleep(0.005)
            m.kill(signal.SIGKILL)
            m.wait_exit(10)
        finally:
            m.close()
        if os.path.exists(m.catalog):
            self.assertEqual(integrity_check(m.catalog), ["ok"], "catalog corrupt after kill -9")
        # Whatever state the scan was in, an explicit scan completes it.
        scan = t.scan_json(self.lib, self.state)
        self.assertEqual(scan["new"] + scan["unchanged"] + scan["changed"], scan["files"],
                         f"scan after an interrupted scan: {scan}")
        self.assertEqual(scan["files"], len(self.manifest.tracks) + len(self.manifest.broken),
                         f"scan after an interrupted scan: {scan}")
        with t.Mount(self.lib, "--scan", "never", state_dir=self.state) as m2:
            self.assertEqual(len(t.walk_files(m2.mp)), len(self.manifest.tracks))


if __name__ == "__main__":
    t.require_all()
    t.main(watchdog=280)
