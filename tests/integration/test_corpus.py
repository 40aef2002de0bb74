#!/usr/bin/python3
"""The public tag edge-case corpus (hundreds of real files from other tag libraries' test
suites, many deliberately broken): scanning it does not crash or hang and accounts for every
file with a reason, and the mount serves every readable file byte for byte."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402

# Extensions that MusicFS certainly handles (the formats of the test library). A corpus file
# with one of them must end up either in the tree or in the scan's unreadable list.
CORE_EXTENSIONS = {b".flac", b".mp3", b".ogg", b".opus", b".m4a", b".wav", b".aiff"}
READ_TIMEOUT = 60


class CorpusTest(t.MountedCase):
    @classmethod
    def setUpClass(cls):
        cls.corpus = t.corpus_dir()
        cls.state = tempfile.mkdtemp(prefix="musicfs-corpus-state-")
        cls.addClassCleanup(shutil.rmtree, cls.state, True)
        cls.scan = t.scan_json(cls.corpus, cls.state, timeout=600)
        cls.m = cls.mount(cls.corpus, "--scan", "never", state_dir=cls.state)
        cls.mp = os.fsencode(cls.m.mp)
        cls.served = {}  # origin path -> mounted relative path
        for rel in t.walk_files(cls.mp):
            cls.served[t.origin_path(os.path.join(cls.mp, rel))] = rel

    def unreadable_paths(self):
        corpus = os.fsencode(self.corpus)
        paths = []
        for entry in self.scan["unreadable"]:
            path = os.fsencode(entry["path"])
            paths.append(os.path.relpath(path, corpus) if os.path.isabs(path) else path)
        return paths

    def test_scan_summary_shape(self):
        s = self.scan
        for key, kind in (("library", str), ("catalog", str), ("files", int), ("new", int),
                          ("changed", int), ("unchanged", int), ("removed", int),
                          ("unreadable", list), ("seconds", (int, float))):
            self.assertIsInstance(s.get(key), kind, f"{key} in {s}")
        self.assertTrue(os.path.isfile(s["catalog"]), f"catalog {s['catalog']} does not exist")
        print(f"corpus scan: {s['files']} files, {s['new']} new, {len(s['unreadable'])} "
              f"unreadable, {s['seconds']:.2f} s", file=sys.stderr)

    def test_every_unreadable_has_a_reason(self):
        bad = [e for e in self.scan["unreadable"]
               if not isinstance(e.get("reason"), str) or not e["reason"].strip()
               or not isinstance(e.get("path"), str) or not e["path"]]
        self.assertEqual(bad, [], "unreadable entries without a path or a reason")

    def test_counts_consistent(self):
        s, unreadable = self.scan, len(self.scan["unreadable"])
        # A first scan: every file seen is new ("files" counts the unreadable ones too).
        self.assertEqual((s["changed"], s["unchanged"], s["removed"]), (0, 0, 0), s)
        self.assertEqual(s["new"], s["files"], f"first scan: {dict(s, unreadable=unreadable)}")
        self.assertLessEqual(unreadable, s["files"])
        self.assertEqual(len(self.served), s["files"] - unreadable,
                         "the mount should show every file the scan saw except the unreadable")
        self.assertEqual(len(set(self.unreadable_paths())), unreadable,
                         "a file is reported unreadable twice")

    def test_every_audio_file_accounted_for(self):
        corpus = os.fsencode(self.corpus)
        unreadable = set(self.unreadable_paths())
        both = sorted(unreadable & set(self.served))
        self.assertEqual(both, [], "files both served and reported unreadable")
        missing = []
        for rel in t.walk_files(corpus):
            if os.path.splitext(rel)[1].lower() in CORE_EXTENSIONS \
                    and rel not in self.served and rel not in unreadable:
                missing.append(rel)
        self.assertEqual(missing, [], "audio files neither served nor reported unreadable")

    def test_read_every_file(self):
        corpus = os.fsencode(self.corpus)
        wrong = []
        for origin, rel in sorted(self.served.items()):
            path = os.path.join(self.mp, rel)
            # A child process per file, so that a hung read cannot hang the test.
            try:
                r = subprocess.run(["sha256sum", "--", path], capture_output=True,
                                   timeout=READ_TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                wrong.append(f"{rel!r}: read did not finish in {READ_TIMEOUT} s")
                continue
            if r.returncode != 0:
                wrong.append(f"{rel!r}: {r.stderr.decode(errors='replace').strip()}")
                continue
            got = r.stdout.split()[0].decode()
            want = t.sha256_file(os.path.join(corpus, origin))
            if got != want:
                wrong.append(f"{rel!r} (from {origin!r}): sha256 differs")
            size = os.stat(path).st_size
            if size != os.stat(os.path.join(corpus, origin)).st_size:
                wrong.append(f"{rel!r}: stat size {size} != original")
        self.assertEqual(wrong, [])


if __name__ == "__main__":
    t.require_fuse()
    t.musicfs_bin()
    t.corpus_dir()
    t.main(watchdog=880)
