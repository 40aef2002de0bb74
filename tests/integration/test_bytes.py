#!/usr/bin/python3
"""What a player reads through the mount: the original's bytes exactly (sha256, ffmpeg's packet
MD5, `flac -t`, mutagen's view of the tags, reads at odd offsets, mmap, concurrent readers), and
the tags as xattrs."""

import concurrent.futures
import ctypes
import mmap
import os
import random
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402


class BytesTest(t.MountedCase):
    @classmethod
    def setUpClass(cls):
        cls.lib = t.library_dir()
        cls.manifest = t.Manifest(cls.lib)
        cls.m = cls.mount(cls.lib)
        cls.mp = os.fsencode(cls.m.mp)
        # (track, mounted absolute path, original absolute path), via the origin_path xattr.
        by_origin = {}
        for rel in t.walk_files(cls.mp):
            path = os.path.join(cls.mp, rel)
            try:
                by_origin[t.origin_path(path)] = path
            except OSError:
                pass
        cls.pairs = [(track, by_origin[track["path_b"]], cls.manifest.original(track))
                     for track in cls.manifest.tracks if track["path_b"] in by_origin]

    def setUp(self):
        self.assertTrue(self.pairs, "no mounted file could be matched to a track")

    def each(self, check):
        """Runs check(track, mounted, original) for every track; fails listing every problem."""
        problems = []
        for track, mounted, original in self.pairs:
            try:
                problem = check(track, mounted, original)
            except (OSError, AssertionError) as e:
                problem = f"{type(e).__name__}: {e}"
            if problem:
                problems.append(f"{track['expected_path']!r} (from {track['path']!r}): {problem}")
        self.assertEqual(problems, [])

    def test_all_tracks_mounted(self):
        self.assertEqual(len(self.pairs), len(self.manifest.tracks),
                         "some tracks are not in the mount (see test_tree)")

    def test_sha256(self):
        def check(track, mounted, original):
            got, want = t.sha256_file(mounted), t.sha256_file(original)
            if want != track["sha256"]:
                return "the original changed since make-library.sh ran"
            return None if got == want else f"sha256 {got} != original {want}"
        self.each(check)

    def test_ffmpeg_packet_md5(self):
        def check(track, mounted, original):
            got, want = t.ffmpeg_audio_md5(mounted), t.ffmpeg_audio_md5(original)
            return None if got == want else f"ffmpeg {got} != original {want}"
        self.each(check)

    def test_flac_verifies(self):
        def check(track, mounted, original):
            if track["format"] != "flac":
                return None
            r = t.run(["flac", "--silent", "--test", mounted])
            return None if r.returncode == 0 else f"flac -t failed: {r.stderr.strip()}"
        self.each(check)

    def test_mutagen_reads_the_same(self):
        import mutagen

        def tags_of(path):
            f = mutagen.File(path)
            if f is None:
                raise AssertionError("mutagen does not recognise the file")
            tags = {} if f.tags is None else {str(k): repr(v) for k, v in f.tags.items()}
            return f.pprint(), tags

        def check(track, mounted, original):
            (got_info, got), (want_info, want) = tags_of(mounted), tags_of(original)
            if got != want:
                return f"mutagen tags differ:\n  mount:    {got}\n  original: {want}"
            return None if got_info == want_info else f"{got_info!r} != {want_info!r}"
        self.each(check)

    def test_tag_xattrs(self):
        def check(track, mounted, original):
            have = t.xattrs(mounted)
            wrong = []
            for key, value in track["expected_tags"].items():
                want = b"\0".join(v.encode() for v in t.tag_values(value))
                got = have.get("user.musicfs." + key)
                if got != want:
                    wrong.append(f"user.musicfs.{key}={got!r}, expected {want!r}")
            if have.get("user.musicfs.origin_path") != track["path_b"]:
                wrong.append(f"origin_path={have.get('user.musicfs.origin_path')!r}")
            return "; ".join(wrong) or None
        self.each(check)

    def test_xattr_errors(self):
        _, mounted, _ = self.pairs[0]
        with self.assertRaises(OSError) as cm:
            os.getxattr(mounted, "user.musicfs.no_such_tag")
        self.assertEqual(t.errname(cm.exception.errno), "ENODATA")
        # The size query, then a buffer one byte too small: ERANGE, never a truncated value.
        libc = ctypes.CDLL(None, use_errno=True)
        name = b"user.musicfs.origin_path"
        size = libc.getxattr(mounted, name, None, ctypes.c_size_t(0))
        self.assertEqual(size, len(os.getxattr(mounted, name)), "getxattr(size 0) != value length")
        buf = ctypes.create_string_buffer(max(size, 1))
        self.assertEqual(libc.getxattr(mounted, name, buf, ctypes.c_size_t(size - 1)), -1)
        self.assertEqual(t.errname(ctypes.get_errno()), "ERANGE")
        size = libc.listxattr(mounted, None, ctypes.c_size_t(0))
        self.assertGreater(size, 0)
        self.assertEqual(libc.listxattr(mounted, buf, ctypes.c_size_t(1)), -1)
        self.assertEqual(t.errname(ctypes.get_errno()), "ERANGE")

    def test_reads_at_odd_offsets(self):
        rng = random.Random(20240601)

        def check(track, mounted, original):
            size = os.stat(original).st_size
            offsets = [0, 1, 7, 4095, 4096, 4097, 65535, 65536, 131071, 131072, 131073,
                       size // 2, size - 4097, size - 1, size, size + 1, size + 100000]
            offsets += [rng.randrange(0, size + 10) for _ in range(40)]
            fm, fo = os.open(mounted, os.O_RDONLY), os.open(original, os.O_RDONLY)
            try:
                for off in offsets:
                    off = max(off, 0)
                    for length in (1, 13, 4096, 128 * 1024 + 3, 1 << 20):
                        got, want = os.pread(fm, length, off), os.pread(fo, length, off)
                        if got != want:
                            return (f"pread({length}, {off}) gave {len(got)} bytes differing "
                                    f"from the original's {len(want)}")
                # Sequential reads in an awkward chunk size, as a player would.
                os.lseek(fm, 0, os.SEEK_SET)
                chunks = []
                while chunk := os.read(fm, 4093):
                    chunks.append(chunk)
                if b"".join(chunks) != os.pread(fo, size + 1, 0):
                    return "sequential 4093-byte reads differ from the original"
                if os.lseek(fm, 0, os.SEEK_END) != size:
                    return "lseek(SEEK_END) is not the original's size"
            finally:
                os.close(fm)
                os.close(fo)
            return None
        self.each(check)

    def test_mmap(self):
        def check(track, mounted, original):
            with open(mounted, "rb") as fm, open(original, "rb") as fo:
                with mmap.mmap(fm.fileno(), 0, prot=mmap.PROT_READ) as mm:
                    return None if mm[:] == fo.read() else "mmap content differs"
        self.each(check)

    def test_concurrent_readers(self):
        def digest(path):
            return t.sha256_file(path)
        jobs = [(track, mounted) for track, mounted, _ in self.pairs] * 4
        random.Random(7).shuffle(jobs)
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda job: (job[0], digest(job[1])), jobs))
        wrong = [track["expected_path"] for track, got in results if got != track["sha256"]]
        self.assertEqual(wrong, [], "content differs when read by 8 threads at once")


if __name__ == "__main__":
    t.require_all(mutagen=True, tools=("ffmpeg", "flac"))
    t.main(watchdog=280)
