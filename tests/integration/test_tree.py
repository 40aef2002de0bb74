#!/usr/bin/python3
"""The mounted tree of the test library: every track once, at the path the naming rules give,
nothing else; sizes and modes right; `ls -R` works."""

import json
import os
import shutil
import stat
import sys
import tempfile
import unittest
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402

SR = "Downloads/Sigur Ros - Agaetis Byrjun (1999) [FLAC]"


class TreeTest(t.MountedCase):
    @classmethod
    def setUpClass(cls):
        cls.lib = t.library_dir()
        cls.manifest = t.Manifest(cls.lib)
        cls.m = cls.mount(cls.lib)
        cls.mp = os.fsencode(cls.m.mp)
        cls.files = t.walk_files(cls.mp)  # relative bytes paths of the mounted files
        cls.origins = defaultdict(list)   # origin_path -> [mounted path]
        cls.origin_errors = []
        for rel in cls.files:
            try:
                cls.origins[t.origin_path(os.path.join(cls.mp, rel))].append(rel)
            except OSError as e:
                cls.origin_errors.append(f"{rel!r}: {e}")

    # --- one mounted file per track, nothing else ----------------------------------------------

    def test_origin_path_xattr_on_every_file(self):
        self.assertEqual(self.origin_errors, [], "user.musicfs.origin_path unreadable")

    def test_every_track_exactly_once(self):
        problems = []
        for track in self.manifest.tracks:
            found = self.origins.get(track["path_b"], [])
            if len(found) != 1:
                problems.append(f"{track['path']!r} appears {len(found)} times: {found}")
        self.assertEqual(problems, [], "tracks of MANIFEST.json not shown exactly once")

    def test_nothing_else_shown(self):
        known = {track["path_b"] for track in self.manifest.tracks}
        extra = {o: p for o, p in self.origins.items() if o not in known}
        self.assertEqual(extra, {}, "mounted files whose original is not a valid audio track")
        for path in self.manifest.broken + self.manifest.ignored:
            self.assertNotIn(path, self.origins, f"{path!r} must not be shown")
        names = {os.path.basename(f) for f in self.files}
        for name in (b"cover.jpg", b"notes.txt", b"MANIFEST.json", b"broken.mp3", b"gone.mp3"):
            self.assertNotIn(name, names)

    def test_tree_is_exactly_the_expected_paths(self):
        expected = {track["expected_path_b"] for track in self.manifest.tracks}
        got = set(self.files)
        self.assertEqual(sorted(got - expected), [], "unexpected paths in the mount")
        self.assertEqual(sorted(expected - got), [], "expected paths missing from the mount")
        wrong = [f"{track['expected_path']!r} shows {self.origins_of(track['expected_path_b'])}, "
                 f"expected {track['path']!r}"
                 for track in self.manifest.tracks
                 if self.origins_of(track["expected_path_b"]) != [track["path_b"]]]
        self.assertEqual(wrong, [], "paths serve the wrong originals")

    def origins_of(self, rel):
        return [o for o, paths in self.origins.items() if rel in paths]

    # --- the naming rules, case by case ---------------------------------------------------------

    def assert_shown(self, mounted, original):
        mounted_b, original_b = os.fsencode(mounted), os.fsencode(original)
        path = os.path.join(self.mp, mounted_b)
        self.assertTrue(os.path.isfile(path), f"{mounted!r} missing; the tree has "
                        f"{self.origins.get(original_b)} for {original!r}")
        self.assertEqual(t.origin_path(path), original_b)

    def test_unicode_album_and_artist(self):
        self.assert_shown("Sigur Rós/Ágætis byrjun/03 Starálfur.flac", SR + "/sr03_staralfur.flac")
        self.assert_shown("Kaze Quartet/Tōkyō Sketches/01 東京.ogg",
                          "ogg/kaze quartet/Tōkyō Sketches/1 東京.ogg")

    def test_extension_lower_cased(self):
        self.assert_shown("Sigur Rós/Ágætis byrjun/02 Svefn-g-englar.flac",
                          SR + "/02 - Svefn-g-englar.FLAC")
        self.assert_shown("Hanna Berg/Field Notes/01 Wind over Reykjanes.wav",
                          "Field Recordings/ZOOM0001.WAV")

    def test_slash_in_title(self):
        self.assert_shown("Neon Harbor/Night Drive/01 Either_Or.mp3",
                          "mp3/NeonHarbor_-_Night_Drive_(2004)_[V2]/nh-01.mp3")

    def test_leading_dot_and_no_track_number(self):
        # beets pads a missing track number to "00", so the title's '.' is not leading.
        self.assert_shown("Neon Harbor/Night Drive/00 .Interlude.mp3",
                          "mp3/NeonHarbor_-_Night_Drive_(2004)_[V2]/nh-xx interlude.mp3")
        hidden = [f for f in self.files if os.path.basename(f).startswith(b".")]
        self.assertEqual(hidden, [], "names starting with '.'")

    def test_album_artist_wins_over_artist(self):
        self.assert_shown("Neon Harbor/Night Drive/02 Coastline.mp3",
                          "mp3/NeonHarbor_-_Night_Drive_(2004)_[V2]/nh-02.mp3")
        self.assert_shown("Various Artists/Codec Sampler/04 Loop Study.aiff",
                          "Compilations/Codec Sampler (2019)/04 ostinato - loop study.aiff")

    def test_compilation_under_compilations(self):
        self.assert_shown("Compilations/Codec Sampler/03 Still.m4a",
                          "Compilations/Codec Sampler (2019)/03 the quiet hours - still.m4a")

    def test_artist_when_no_album_artist(self):
        self.assert_shown("Hanna Berg/Field Notes/01 Wind over Reykjanes.wav",
                          "Field Recordings/ZOOM0001.WAV")

    def test_multi_valued_artist_joined(self):
        self.assert_shown("Mira Sol; Lumen/Collabs/01 Meeting Point.flac", "Unsorted/collab.flac")

    def test_no_tags(self):
        # A singleton; the title comes from the file name, the empty artist component vanishes.
        self.assert_shown("Non-Album/untitled track 7.flac",
                          "Unsorted/untitled track 7.flac")

    def test_non_utf8_file_name_shown_by_its_tags(self):
        self.assert_shown("Byte Order/Encoding Errors/01 Latin-1 Ghost.flac",
                          b"Unsorted/bad\xffname.flac")

    def test_duplicates_disambiguated(self):
        self.assert_shown("Compilations/Codec Sampler/01 Glass.opus",
                          "Compilations/Codec Sampler (2019)/01 lumen - glass.opus")
        self.assert_shown("Compilations/Codec Sampler/01 Glass (2).opus",
                          "Duplicates/glass (48k re-encode).opus")

    def test_symlinked_file_is_a_second_track(self):
        self.assert_shown("Sigur Rós/Ágætis byrjun/02 Svefn-g-englar (2).flac",
                          "Favourites/svefn.flac")

    # --- attributes -----------------------------------------------------------------------------

    def test_sizes_equal_originals(self):
        wrong = []
        for track in self.manifest.tracks:
            for rel in self.origins.get(track["path_b"], []):
                size = os.stat(os.path.join(self.mp, rel)).st_size
                original = os.stat(self.manifest.original(track)).st_size
                if size != original:
                    wrong.append(f"{rel!r}: {size} bytes, original {original}")
        self.assertEqual(wrong, [])

    def test_modes(self):
        wrong = []
        for dirpath, dirnames, filenames in os.walk(self.mp):
            for name in [b""] + dirnames + filenames:
                path = os.path.join(dirpath, name) if name else dirpath
                st = os.lstat(path)
                if name in filenames:
                    ok = stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o444
                else:
                    ok = stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o555
                if not ok:
                    wrong.append(f"{os.path.relpath(path, self.mp)!r}: {oct(st.st_mode)}")
        self.assertEqual(wrong, [], "files must be 0444 regular files, directories 0555")

    def test_inode_numbers_unique(self):
        seen = defaultdict(list)
        for dirpath, dirnames, filenames in os.walk(self.mp):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                seen[os.lstat(path).st_ino].append(os.path.relpath(path, self.mp))
        shared = {ino: paths for ino, paths in seen.items() if len(paths) > 1}
        self.assertEqual(shared, {}, "different paths with the same inode number")

    def test_readdir_agrees_with_lookup(self):
        for dirpath, dirnames, filenames in os.walk(self.mp):
            with os.scandir(dirpath) as it:
                for entry in it:
                    st = os.lstat(entry.path)
                    self.assertEqual(entry.is_dir(follow_symlinks=False),
                                     stat.S_ISDIR(st.st_mode), entry.path)
                    self.assertEqual(entry.inode(), st.st_ino,
                                     f"readdir and stat disagree on the inode of {entry.path!r}")

    def test_ls_recursive(self):
        r = t.run(["ls", "-laR", self.m.mp], timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        self.assertIn("Ágætis byrjun", r.stdout)
        self.assertIn("01 東京.ogg", r.stdout)

    def test_missing_names(self):
        for rel in ("No Such Artist", "Sigur Rós/No Such Album", "Sigur Rós/Ágætis byrjun/99 x.flac"):
            self.assertFalse(os.path.exists(self.m.path(rel)), rel)
        with self.assertRaises(NotADirectoryError):
            os.stat(self.m.path("Sigur Rós/Ágætis byrjun/01 Intro.flac/child"))


class ScanReportTest(unittest.TestCase):
    """What `musicfs scan --json` says about the test library on a first scan."""

    @classmethod
    def setUpClass(cls):
        cls.lib = t.library_dir()
        cls.manifest = t.Manifest(cls.lib)
        cls.state = tempfile.mkdtemp(prefix="musicfs-state-")
        cls.addClassCleanup(shutil.rmtree, cls.state, True)
        cls.scan = t.scan_json(cls.lib, cls.state)

    def test_broken_files_reported_with_a_reason(self):
        reported = {os.fsencode(e["path"]): e.get("reason", "") for e in self.scan["unreadable"]}
        for path in self.manifest.broken:
            self.assertIn(path, reported, f"{path!r} not reported unreadable: {self.scan}")
            self.assertTrue(reported[path].strip(), f"no reason given for {path!r}")
        valid = {track["path_b"] for track in self.manifest.tracks}
        self.assertEqual(sorted(valid & set(reported)), [], "valid tracks reported unreadable")

    def test_counts(self):
        s = self.scan
        self.assertEqual(s["files"], len(self.manifest.tracks) + len(self.manifest.broken), s)
        self.assertEqual((s["new"], s["changed"], s["unchanged"], s["removed"]),
                         (s["files"], 0, 0, 0), s)
        self.assertEqual(os.path.realpath(s["catalog"]),
                         os.path.realpath(os.path.join(self.state, "test", "catalog.sqlite3")))
        self.assertEqual(s["library"], "test")


class RescanTreeTest(unittest.TestCase):
    """A first scan builds the tree from the tracks it has just written instead of reading them
    back; a later scan that changed a track reads them back. Both must give the same tree, down
    to which of the tracks that render to one name gets " (2)": copies of the library, read by
    several threads in whatever order they finish, make every name collide. A scan that changed
    nothing leaves the tree alone."""

    COPIES = 4

    def test_rescan_keeps_every_entry_of_the_first_scans_tree(self):
        tmp = tempfile.mkdtemp(prefix="musicfs-firstscan-")
        self.addCleanup(shutil.rmtree, tmp, True)
        lib = os.path.join(tmp, "lib")
        for i in range(self.COPIES):
            shutil.copytree(t.library_dir(), os.path.join(lib, f"copy-{self.COPIES - i}"),
                            symlinks=True)
        state = os.path.join(tmp, "state")

        def scan():
            r = t.musicfs("scan", "--json", "--log-level", "debug", "--scan-threads", "4",
                          "--state-dir", state, "--library", "test", lib)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            return json.loads(r.stdout), r.stderr

        first, log = scan()
        self.assertIn("(taken from the scan", log, "the first scan read its tracks back")
        self.assertTrue(first["tree"]["rebuilt"], first)
        self.assertGreater(first["tree"]["added"], 0, first)

        # One file touched: read again, same tags, so the tree rebuilt from the catalog keeps
        # every entry.
        touched = os.path.join(lib, "copy-1", SR, "01. intro.flac")
        st = os.stat(touched)
        os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        second, log = scan()
        self.assertEqual(second["changed"], 1, second)
        self.assertIn("(read back", log, "a rescan did not read the tracks back")
        self.assertEqual(second["tree"], {"rebuilt": True, "kept": first["tree"]["added"],
                                          "added": 0, "removed": 0})

        third, log = scan()
        self.assertEqual((third["new"], third["changed"], third["removed"]), (0, 0, 0), third)
        self.assertFalse(third["tree"]["rebuilt"], third)
        self.assertNotIn("rebuilt in", log)


class KernelCacheTest(t.MountedCase):
    """What a walk costs in requests: the kernel opens directories itself (FUSE's no-opendir
    mode: no OPENDIR or RELEASEDIR round trips) and keeps every listing cached, so a second walk
    sends no listing request at all. Observed through the kernel's FUSE tracepoints."""

    @classmethod
    def setUpClass(cls):
        cls.m = cls.mount(t.library_dir())

    def walk(self):
        n = 0
        for top, dirs, files in os.walk(self.m.mp):
            for name in files:
                os.lstat(os.path.join(top, name))
                n += 1
        return n

    def test_walks_open_no_directories_and_list_once(self):
        with t.FuseRequests(self.m.mp) as first:
            files = self.walk()
        self.assertGreater(files, 10)
        listings = first.counts.get("FUSE_READDIRPLUS", 0) + first.counts.get("FUSE_READDIR", 0)
        self.assertGreater(listings, 0, f"the tracepoints saw no listing: {first.counts}")
        # The first OPENDIR after mounting (if the walk made it) learns that the daemon has none.
        self.assertLessEqual(first.counts.get("FUSE_OPENDIR", 0), 1, first.counts)
        self.assertEqual(first.counts.get("FUSE_RELEASEDIR", 0), 0, first.counts)

        with t.FuseRequests(self.m.mp) as second:
            self.assertEqual(self.walk(), files)
        for op in ("FUSE_OPENDIR", "FUSE_RELEASEDIR", "FUSE_READDIR", "FUSE_READDIRPLUS"):
            self.assertEqual(second.counts.get(op, 0), 0, f"second walk: {second.counts}")


class LargeDirectoryTest(t.MountedCase):
    """A directory of thousands of entries: the kernel asks for the first page with attributes
    (READDIRPLUS) and, while nothing looks entries up, for the rest without (plain READDIR, names
    only). Both must give the same entries, inode numbers and types as lookups do."""

    TRACKS = 3000

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="musicfs-large-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        config = os.path.join(cls.tmp, "musicfs.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(f'[[origin]]\nname = "synthetic"\ntype = "synthetic"\ntracks = {cls.TRACKS}\n')
        cls.m = cls.mount(None, "--config", config, "--template", "All/$title")
        cls.all = cls.m.path("All")

    def test_plain_listing_has_every_entry(self):
        names = os.listdir(self.all)
        self.assertEqual(len(names), self.TRACKS)
        self.assertEqual(len(set(names)), self.TRACKS, "duplicate names in the listing")
        self.assertEqual(os.listdir(self.all), names, "a second (cached) listing differs")

    def test_listing_types_and_inodes_match_lookups(self):
        wrong = []
        with os.scandir(self.all) as it:
            entries = list(it)
        self.assertEqual(len(entries), self.TRACKS)
        for e in entries:
            st = os.lstat(e.path)
            if not (e.is_file(follow_symlinks=False) and stat.S_ISREG(st.st_mode)):
                wrong.append(f"{e.name!r}: not a regular file")
            elif e.inode() != st.st_ino:
                wrong.append(f"{e.name!r}: listed as inode {e.inode()}, looked up as {st.st_ino}")
            elif st.st_size <= 0:
                wrong.append(f"{e.name!r}: size {st.st_size}")
        self.assertEqual(wrong[:10], [])
        with os.scandir(self.m.mp) as it:
            self.assertEqual([(e.name, e.is_dir()) for e in it], [("All", True)])

    def test_readahead_raised(self):
        if os.geteuid() != 0:
            self.skipTest("only root can raise a mount's readahead")
        entry = t.mount_entry(self.m.mp)
        self.assertIsNotNone(entry)
        device = entry.split()[2]  # major:minor
        with open(f"/sys/class/bdi/{device}/read_ahead_kb", encoding="ascii") as f:
            self.assertEqual(f.read().strip(), "1024")


if __name__ == "__main__":
    t.require_all()
    t.main(watchdog=100)
