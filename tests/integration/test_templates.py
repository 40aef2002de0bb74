#!/usr/bin/python3
"""Templates and views in a mounted tree: views as top-level directories, a template change
applied on remount without moving what did not change (same inode numbers), template errors
in the config refused with their line and column, the standard functions listed."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402

KAZE = "ogg/kaze quartet/Tōkyō Sketches/1 東京.ogg"
SIGUR = "Downloads/Sigur Ros - Agaetis Byrjun (1999) [FLAC]/01. intro.flac"


def write(directory, name, text):
    path = os.path.join(directory, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def files_by_origin(mp):
    """{original path: (mounted path, inode)}."""
    mp = os.fsencode(mp)
    out = {}
    for rel in t.walk_files(mp):
        full = os.path.join(mp, rel)
        out[t.origin_path(full).decode("utf-8", "surrogateescape")] = (
            rel.decode("utf-8", "surrogateescape"), os.stat(full).st_ino)
    return out


class TemplatesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lib = t.library_dir()
        cls.tmp = tempfile.mkdtemp(prefix="musicfs-templates-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)

    def test_views_are_top_level_directories(self):
        config = write(self.tmp, "views.toml", """
[views."Artists".paths]
default = "$albumartist/$album%aunique{}/$track $title"
singleton = "Non-Album/$artist/$title"

[views."Albums by year".paths]
default = "$year/$album/$track $title"

[views."Jazz".paths]
"genre:jazz" = "%upper{$albumartist}/$album/$track $title"
""")
        with t.Mount(self.lib, "--config", config) as m:
            self.assertEqual(sorted(os.listdir(m.mp)), ["Albums by year", "Artists", "Jazz"])
            got = files_by_origin(m.mp)
            self.assertTrue(os.path.isfile(m.path("Artists/Sigur Rós/Ágætis byrjun/01 Intro.flac")))
            self.assertTrue(os.path.isfile(m.path("Albums by year/1999/Ágætis byrjun/01 Intro.flac")))
            self.assertTrue(os.path.isfile(m.path("Jazz/KAZE QUARTET/Tōkyō Sketches/01 東京.ogg")))
            self.assertEqual(os.listdir(m.path("Jazz")), [b"KAZE QUARTET"])  # only jazz
            # Every track once per view that takes it; the origin is the same file.
            self.assertEqual(t.origin_path(m.path("Artists/Kaze Quartet/Tōkyō Sketches/01 東京.ogg")),
                             os.fsencode(KAZE))
            self.assertIn(KAZE, got)

    def test_template_change_on_remount_keeps_unchanged_inodes(self):
        state = tempfile.mkdtemp(prefix="musicfs-state-", dir=self.tmp)
        with t.Mount(self.lib, state_dir=state) as m:
            before = files_by_origin(m.mp)
        self.assertEqual(before[KAZE][0], "Kaze Quartet/Tōkyō Sketches/01 東京.ogg")
        config = write(self.tmp, "jazz.toml", """
[paths]
"genre:Jazz" = "Jazz/$albumartist/$album/$track $title"
""")
        with t.Mount(self.lib, "--config", config, state_dir=state) as m:
            after = files_by_origin(m.mp)
            log = m.log()
        self.assertIn("tree rebuilt", log)
        self.assertEqual(after[KAZE][0], "Jazz/Kaze Quartet/Tōkyō Sketches/01 東京.ogg")
        self.assertEqual(after[SIGUR], before[SIGUR], "an unchanged path must keep its inode")
        moved = [o for o in before if before[o][0] != after[o][0]]
        self.assertEqual(len(moved), 3, moved)  # the three Kaze Quartet tracks
        kept = [o for o in before if before[o][0] == after[o][0] and before[o][1] != after[o][1]]
        self.assertEqual(kept, [], "unchanged paths whose inode changed")

    def check_refused(self, name, text, where, message):
        config = write(self.tmp, name, text)
        mp = tempfile.mkdtemp(prefix="musicfs-mnt-", dir=self.tmp)
        r = t.musicfs("mount", "--config", config, "--state-dir", os.path.join(self.tmp, "s"),
                      self.lib, mp)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(f"{config}:{where}:", r.stderr)
        self.assertIn(message, r.stderr)
        self.assertFalse(t.is_mounted(mp))

    def test_bad_query_refused_with_line_and_column(self):
        self.check_refused("bad-query.toml", '[paths]\ndefault = "$title"\n"year:196x..1969" = "x"\n',
                           "3:1", "'196x' is not a number")

    def test_bad_regex_refused(self):
        self.check_refused("bad-regex.toml", '[paths]\n  "title::(" = "x"\n', "2:3",
                           "not a valid regular expression")

    def test_unknown_view_key_refused(self):
        self.check_refused("bad-view.toml", '[views.Artists]\npath = "x"\n', "2:1",
                           "unknown view key 'path'")

    def test_bad_replacement_refused(self):
        self.check_refused("bad-replace.toml", '[replace]\n"[" = "_"\n', "2:1",
                           "not a valid regular expression")

    def test_standard_functions_listed(self):
        r = t.musicfs("plugins")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("org.musicfs.template.beets", r.stdout)
        for f in ("lower", "upper", "capitalize", "title", "left", "right", "if", "ifdef",
                  "asciify", "time", "first"):
            self.assertIn(f"%{f}{{}}", r.stdout)


if __name__ == "__main__":
    t.require_all()
    t.main(watchdog=100)
