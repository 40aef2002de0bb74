#!/usr/bin/python3
"""Tags TagLib 1.13's PropertyMap loses are read all the same (plugins/meta-taglib): MP4 freeform
atoms outside TagLib's table (ReplayGain, MusicBrainz Disc Id, custom names) and ©dir, ID3v2 TSST,
and TIPL/TMCL with Picard's lower-case roles and names holding commas.

Each must show as an xattr of the mounted file, and must still be in the served file after an
unrelated edit (the writers rebuild the tag block from the catalog, so a tag the catalog never
saw would be dropped from the file)."""

import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402

FF = "----:com.apple.iTunes:"

# Picard name -> values the catalog must have, per original.
EXPECTED = {
    "freeform.m4a": {
        "replaygain_track_gain": ["-6.50 dB"],
        "replaygain_track_peak": ["0.988"],
        "replaygain_album_gain": ["-7.25 dB"],
        "replaygain_album_peak": ["0.999"],
        "musicbrainz_discid": ["Wn8eRBtfLDfM0qjYPdxrz.Zjs_U-"],
        "acoustid_id": ["0a1b2c3d-0000-4000-8000-000000000001"],
        "my custom tag": ["first", "second"],
        "director": ["A Director"],
        "discsubtitle": ["The Second Disc"],  # TagLib maps this one: must stay
    },
    "id3v24.mp3": {
        "discsubtitle": ["The Second Disc"],
        "producer": ["Pat Producer"],
        "mixer": ["Max Mixer"],
        "djmixer": ["Dee Jay"],
        "arranger": ["Ann Arranger"],
        "engineer": ["Smith, Jane"],
        "performer:lead vocals": ["Crosby, Stills & Nash"],
        "performer:guitar": ["Gil Guitar"],
        "replaygain_track_gain": ["-6.50 dB"],
        "my custom tag": ["custom"],
    },
    "id3v23.mp3": {
        "discsubtitle": ["The Second Disc"],
        "producer": ["Pat Producer"],
        "performer:piano": ["Pia Piano"],
    },
}


def make_originals(src, work):
    """The originals: a bare MP3 and M4A made with ffmpeg, tagged with mutagen."""
    from mutagen import id3
    from mutagen.mp4 import MP4, MP4FreeForm

    bare = {}
    for ext, codec in (("mp3", ["-c:a", "libmp3lame", "-b:a", "64k"]),
                       ("m4a", ["-c:a", "aac", "-b:a", "64k"])):
        bare[ext] = os.path.join(work, f"bare.{ext}")
        r = t.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
                   "sine=frequency=440:duration=1", *codec, bare[ext]])
        if r.returncode != 0:
            raise AssertionError(f"ffmpeg failed: {r.stderr}")
    os.makedirs(src)

    path = os.path.join(src, "freeform.m4a")
    shutil.copy(bare["m4a"], path)
    m = MP4(path)
    m["\xa9nam"] = ["Freeform"]
    m["\xa9ART"] = ["Tag Tester"]
    m["\xa9alb"] = ["Lost Tags"]
    m["\xa9dir"] = ["A Director"]

    def ff(name, *values):
        m[FF + name] = [MP4FreeForm(v.encode("utf-8")) for v in values]

    ff("REPLAYGAIN_TRACK_GAIN", "-6.50 dB")
    ff("REPLAYGAIN_TRACK_PEAK", "0.988")
    ff("REPLAYGAIN_ALBUM_GAIN", "-7.25 dB")
    ff("REPLAYGAIN_ALBUM_PEAK", "0.999")
    ff("MusicBrainz Disc Id", "Wn8eRBtfLDfM0qjYPdxrz.Zjs_U-")
    ff("Acoustid Id", "0a1b2c3d-0000-4000-8000-000000000001")
    ff("My Custom Tag", "first", "second")
    ff("DISCSUBTITLE", "The Second Disc")
    m.save()

    def id3_file(name, version, frames):
        path = os.path.join(src, name)
        shutil.copy(bare["mp3"], path)
        tags = id3.ID3()
        tags.add(id3.TIT2(encoding=3, text=[name]))
        tags.add(id3.TPE1(encoding=3, text=["Tag Tester"]))
        tags.add(id3.TALB(encoding=3, text=["Lost Tags"]))
        for frame in frames:
            tags.add(frame)
        tags.save(path, v2_version=version)

    # As Picard writes them: TIPL roles in lower case, performers in TMCL.
    id3_file("id3v24.mp3", 4, [
        id3.TSST(encoding=3, text=["The Second Disc"]),
        id3.TIPL(encoding=3, people=[["producer", "Pat Producer"], ["mix", "Max Mixer"],
                                     ["DJ-mix", "Dee Jay"], ["arranger", "Ann Arranger"],
                                     ["engineer", "Smith, Jane"]]),
        id3.TMCL(encoding=3, people=[["lead vocals", "Crosby, Stills & Nash"],
                                     ["guitar", "Gil Guitar"]]),
        id3.TXXX(encoding=3, desc="REPLAYGAIN_TRACK_GAIN", text=["-6.50 dB"]),
        id3.TXXX(encoding=3, desc="My Custom Tag", text=["custom"]),
    ])
    # ID3v2.3: mutagen writes TIPL and TMCL as one IPLS frame.
    id3_file("id3v23.mp3", 3, [
        id3.TSST(encoding=1, text=["The Second Disc"]),
        id3.TIPL(encoding=1, people=[["producer", "Pat Producer"]]),
        id3.TMCL(encoding=1, people=[["piano", "Pia Piano"]]),
    ])


def xattr_values(path, key):
    try:
        raw = os.getxattr(path, "user.musicfs." + key)
    except OSError:
        return []
    return raw.decode("utf-8").split("\0")


def mutagen_tags(path):
    """The served file's tags as mutagen shows them: {lower-case name: [values]}."""
    import mutagen
    out = {}
    f = mutagen.File(path)
    for key, value in (f.tags or {}).items():
        if key.startswith(FF):
            values = [bytes(v).decode("utf-8") for v in value]
            key = key[len(FF):]
        elif key.startswith("TXXX:"):
            values = [str(v) for v in value.text]
            key = key[len("TXXX:"):]
        elif key in ("TIPL", "TMCL"):
            for role, name in value.people:
                out.setdefault(f"{key}:{role}".lower(), []).append(name)
            continue
        elif hasattr(value, "text"):
            values = [str(v) for v in value.text]
        else:
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        out.setdefault(key.lower(), []).extend(values)
    return out


class MetaTaglibTagsTest(t.MountedCase):
    @classmethod
    def setUpClass(cls):
        t.require_fuse()
        t.require_tools("ffmpeg")
        t.require_mutagen()
        t.musicfs_bin()
        cls.tmp = tempfile.mkdtemp(prefix="musicfs-meta-taglib-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.src = os.path.join(cls.tmp, "music")
        work = os.path.join(cls.tmp, "work")
        os.makedirs(work)
        make_originals(cls.src, work)
        cls.m = cls.mount(cls.src, state_dir=os.path.join(cls.tmp, "state"))

    @classmethod
    def tree(cls):
        return t.files_by_origin(cls.m.mp)

    def test_1_catalog_has_the_tags(self):
        paths = self.tree()
        for name, expected in EXPECTED.items():
            self.assertIn(name, paths, f"{name} is not in the mounted tree")
            for key, values in expected.items():
                with self.subTest(file=name, tag=key):
                    self.assertEqual(xattr_values(paths[name], key), values)

    def test_1_names_are_not_split_or_duplicated(self):
        # TagLib 1.13 splits TMCL/TIPL names at commas; the pieces must not show up.
        path = self.tree()["id3v24.mp3"]
        for key in ("performer:lead vocals", "engineer"):
            with self.subTest(tag=key):
                self.assertEqual(len(xattr_values(path, key)), 1)

    def test_2_an_edit_keeps_them_in_the_served_file(self):
        for name, expected in EXPECTED.items():
            with self.subTest(file=name):
                path = self.tree()[name]
                r = t.musicfs("tag", "set", os.fsdecode(path), "comment=edited")
                self.assertEqual(r.returncode, 0, f"musicfs tag set {name}: {r.stderr}")
                served = mutagen_tags(self.tree()[name])
                flat = {v for values in served.values() for v in values}
                for key, values in expected.items():
                    for value in values:
                        self.assertIn(value, flat, f"{name}: {key}={value!r} lost from the "
                                      f"served file; mutagen shows {served}")


if __name__ == "__main__":
    t.main(watchdog=105)
