#!/usr/bin/python3
"""Every modifying operation on the mount fails with EROFS, and the source library is untouched."""

import errno
import os
import stat
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402


class ReadOnlyTest(t.MountedCase):
    @classmethod
    def setUpClass(cls):
        cls.lib = t.library_dir()
        cls.before = t.tree_listing(cls.lib)
        cls.m = cls.mount(cls.lib)
        mp = os.fsencode(cls.m.mp)
        files = t.walk_files(mp)
        if not files:
            raise AssertionError("the mount shows no files")
        cls.root = mp
        cls.file = os.path.join(mp, files[0])
        cls.dir = os.path.dirname(cls.file)            # an album directory
        cls.artist = os.path.dirname(cls.dir)          # an artist directory
        cls.other_file = os.path.join(mp, files[-1])
        cls.file_sha = t.sha256_file(cls.file)
        cls.file_stat = os.stat(cls.file)

    def operations(self):
        f, d, root = self.file, self.dir, self.root
        new = os.path.join(d, b"new file.flac")
        st = self.file_stat
        return [
            ("open O_WRONLY", lambda: os.close(os.open(f, os.O_WRONLY))),
            ("open O_RDWR", lambda: os.close(os.open(f, os.O_RDWR))),
            ("open O_WRONLY|O_APPEND", lambda: os.close(os.open(f, os.O_WRONLY | os.O_APPEND))),
            ("open O_WRONLY|O_TRUNC", lambda: os.close(os.open(f, os.O_WRONLY | os.O_TRUNC))),
            ("open O_CREAT (new file)", lambda: os.close(os.open(new, os.O_CREAT | os.O_WRONLY))),
            ("open O_CREAT|O_EXCL (new file)",
             lambda: os.close(os.open(new, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644))),
            ("mkdir in an album", lambda: os.mkdir(os.path.join(d, b"new dir"))),
            ("mkdir at the root", lambda: os.mkdir(os.path.join(root, b"New Artist"))),
            ("unlink", lambda: os.unlink(f)),
            ("rmdir of an album", lambda: os.rmdir(d)),
            ("rename a file in its directory", lambda: os.rename(f, os.path.join(d, b"renamed.flac"))),
            ("rename a file over another", lambda: os.rename(f, self.other_file)),
            ("rename a file to another directory",
             lambda: os.rename(f, os.path.join(root, b"moved.flac"))),
            ("rename a directory", lambda: os.rename(d, os.path.join(self.artist, b"Renamed"))),
            ("chmod a file", lambda: os.chmod(f, 0o644)),
            ("chmod a directory", lambda: os.chmod(d, 0o755)),
            ("chown a file", lambda: os.chown(f, st.st_uid, st.st_gid)),
            ("chown a file to nobody", lambda: os.chown(f, 65534, 65534)),
            ("truncate to 0", lambda: os.truncate(f, 0)),
            ("truncate to its size", lambda: os.truncate(f, st.st_size)),
            ("utime now", lambda: os.utime(f)),
            ("utime explicit", lambda: os.utime(f, ns=(0, 0))),
            ("utime a directory", lambda: os.utime(d)),
            ("setxattr a new user xattr", lambda: os.setxattr(f, "user.test", b"x")),
            ("setxattr a tag", lambda: os.setxattr(f, "user.musicfs.title", b"x")),
            ("setxattr on a directory", lambda: os.setxattr(d, "user.test", b"x")),
            ("removexattr a tag", lambda: os.removexattr(f, "user.musicfs.origin_path")),
            ("link", lambda: os.link(f, os.path.join(d, b"hardlink.flac"))),
            ("symlink", lambda: os.symlink(b"target", os.path.join(d, b"symlink.flac"))),
            ("mknod a FIFO", lambda: os.mknod(os.path.join(d, b"fifo"), stat.S_IFIFO | 0o644)),
            ("mkfifo", lambda: os.mkfifo(os.path.join(d, b"fifo2"))),
        ]

    def test_modifications_fail_with_erofs(self):
        wrong = []
        for name, op in self.operations():
            code = t.errno_of(op)
            if code != errno.EROFS:
                wrong.append(f"{name}: {t.errname(code)}")
        self.assertEqual(wrong, [], "operations that did not fail with EROFS "
                         f"(on {self.file!r} / {self.dir!r})")

    def test_mount_unchanged_after_attempts(self):
        for _, op in self.operations():
            t.errno_of(op)
        st = os.stat(self.file)
        self.assertEqual((st.st_size, st.st_mode, st.st_mtime_ns, st.st_ino),
                         (self.file_stat.st_size, self.file_stat.st_mode,
                          self.file_stat.st_mtime_ns, self.file_stat.st_ino))
        self.assertEqual(t.sha256_file(self.file), self.file_sha)
        for created in (b"new file.flac", b"new dir", b"renamed.flac", b"hardlink.flac",
                        b"symlink.flac", b"fifo", b"fifo2"):
            self.assertFalse(os.path.lexists(os.path.join(self.dir, created)), created)
        self.assertFalse(os.path.lexists(os.path.join(self.root, b"New Artist")))
        self.assertFalse(os.path.lexists(os.path.join(self.root, b"moved.flac")))

    def test_source_unchanged(self):
        for _, op in self.operations():
            t.errno_of(op)
        after = t.tree_listing(self.lib)
        changed = sorted(p for p in set(self.before) | set(after)
                         if self.before.get(p) != after.get(p))
        self.assertEqual(changed, [], "files of the source library changed")

    def test_statvfs_read_only(self):
        flags = os.statvfs(self.root).f_flag
        self.assertTrue(flags & os.ST_RDONLY, "statvfs does not report a read-only filesystem "
                        "(file managers offer writing)")


if __name__ == "__main__":
    t.require_all()
    t.main(watchdog=100)
