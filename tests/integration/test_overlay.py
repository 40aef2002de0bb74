#!/usr/bin/python3
"""The overlay through a mounted tree: `musicfs tag set/get/clear` on files of every format that
has a format writer. After an edit, the file read through the mount carries the new tags
(mutagen), its audio is the original's (ffmpeg packet MD5), it still verifies (flac -t), its
stat size equals the bytes read, and it moves when a path field changes; `tag clear` brings
the original's values back; the originals never change."""

import json
import os
import re
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402

import mutagen  # noqa: E402


def writer_formats():
    """The formats served by the format writers the binary finds."""
    out = t.musicfs("plugins")
    formats = set()
    for line in out.stdout.splitlines():
        if re.search(r"\bformat\b", line):
            name = line.split()[0]
            formats.update({"flac": ["flac"], "ogg": ["vorbis", "opus", "oggflac"],
                            "mp3": ["mp3"], "riff": ["wav", "aiff"],
                            "mp4": ["aac", "alac"]}.get(name, []))
    return formats


def tags_of(path):
    """Tag values by lower-case key as mutagen reads them, whatever the format."""
    f = mutagen.File(path, easy=True)
    assert f is not None, path
    return {k.lower(): list(v) for k, v in (f.tags or {}).items()}


class OverlayTest(t.MountedCase):
    @classmethod
    def setUpClass(cls):
        t.require_all(mutagen=True, tools=("ffmpeg", "flac"))
        cls.formats = writer_formats()
        if not cls.formats:
            t.skip("no format-writer plugin was built")
        cls.lib = t.library_dir()
        cls.manifest = t.Manifest(cls.lib)
        cls.before = {tr["path"]: t.sha256_file(cls.manifest.original(tr))
                      for tr in cls.manifest.tracks}
        cls.m = cls.mount(cls.lib)

    @classmethod
    def tearDownClass(cls):
        after = {tr["path"]: t.sha256_file(cls.manifest.original(tr)) for tr in cls.manifest.tracks}
        assert after == cls.before, "an original file changed"

    def mounted_files(self):
        """mounted path -> manifest track, for tracks whose format has a writer."""
        by_path = self.manifest.by_path()
        out = {}
        for rel in t.walk_files(self.m.mp):
            full = os.path.join(os.fsencode(self.m.mp), rel)
            track = by_path.get(t.origin_path(full))
            if track and track["format"] in self.formats and not track.get("symlink_to"):
                out[full] = track
        return out

    def tag(self, *args):
        out = t.musicfs("tag", *[os.fsdecode(a) if isinstance(a, bytes) else a for a in args])
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)

    def find(self, origin_path):
        for rel in t.walk_files(self.m.mp):
            full = os.path.join(os.fsencode(self.m.mp), rel)
            if t.origin_path(full) == origin_path:
                return full
        self.fail(f"{origin_path!r} is not in the mounted tree")

    def test_edit_every_writer_format(self):
        files = self.mounted_files()
        self.assertTrue(files, "no mounted file of a format with a writer")
        for path, track in files.items():
            with self.subTest(track=track["path"]):
                original = self.manifest.original(track)
                self.tag("set", path, "title=Edited “Title”", "genre=Jazz", "genre=Blues",
                         "comment=" + "x" * 70000)
                now = self.find(track["path_b"])
                self.assertIn(b"Edited", os.path.basename(now), "the file did not move")
                with open(now, "rb") as f:
                    data = f.read()
                self.assertEqual(os.stat(now).st_size, len(data), "stat size != bytes read")
                with tempfile.NamedTemporaryFile(suffix=os.path.splitext(track["path"])[1]) as tmp:
                    tmp.write(data)
                    tmp.flush()
                    tags = tags_of(tmp.name)
                    self.assertEqual(tags.get("title"), ["Edited “Title”"])
                    self.assertEqual(tags.get("genre"), ["Jazz", "Blues"])
                    self.assertEqual(t.ffmpeg_audio_md5(tmp.name), t.ffmpeg_audio_md5(original),
                                     "audio payload changed")
                    if track["format"] == "flac":
                        out = t.run(["flac", "-t", "-s", tmp.name])
                        self.assertEqual(out.returncode, 0, out.stderr)
                got = self.tag("get", now)
                self.assertEqual(got["tags"]["title"], {"values": ["Edited “Title”"], "source": "user"})
                # Revert: the original's values (and path) are back.
                self.tag("clear", now)
                back = self.find(track["path_b"])
                with open(back, "rb") as f:
                    self.assertEqual(t.sha256_file(original), t.sha256_file(back))

    def test_open_file_keeps_its_view(self):
        files = self.mounted_files()
        path, track = next(iter(files.items()))
        with open(path, "rb") as held:
            first = held.read(4096)
            self.tag("set", path, "album=Changed While Open")
            rest = held.read()
        with open(self.manifest.original(track), "rb") as f:
            self.assertEqual(first + rest, f.read(), "an open file changed under its reader")
        self.tag("clear", self.find(track["path_b"]))

    def test_errors(self):
        path = next(iter(self.mounted_files()))
        out = t.musicfs("tag", "set", os.fsdecode(path), "Not A Key=1")
        self.assertEqual(out.returncode, 2)
        self.assertTrue(out.stderr.startswith("musicfs: "), out.stderr)
        out = t.musicfs("tag", "set", os.fsdecode(path), "--picture", "front=/nonexistent.jpg")
        self.assertEqual(out.returncode, 2)
        out = t.musicfs("tag", "get", "/nonexistent/file.flac")
        self.assertEqual(out.returncode, 2)


if __name__ == "__main__":
    t.main()
