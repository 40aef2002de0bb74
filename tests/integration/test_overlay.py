#!/usr/bin/python3
"""The metadata overlay through a mounted tree (issue 4).

A corpus generated here covers every format with a format writer and the cases that trip
writers: FLAC (no tags, unicode and multi-valued tags, a 64 KiB value, a 1 MB picture, no
padding), MP3 (ID3v2.4, ID3v2.3 with ID3v1 and APEv2 at the end, no tags; served as ID3v2.3
after a remount with that option), Ogg Vorbis (plain, and with a comment packet spanning many
pages), Opus (plain, and with a big picture), Ogg FLAC, M4A AAC and ALAC (faststart and not),
WAV and AIFF.

After `musicfs tag set` of several fields and a picture on every file, each file read through
the mount must carry the new values (mutagen, metaflac and ffprobe), have the original's audio
packets (`ffmpeg -c:a copy -f md5`), pass the format's validator (flac -t, ogginfo, opusinfo,
mp3val, ffmpeg -xerror) and have st_size == the bytes read; it moves in the tree when a path
field changes. Files not edited stay byte-identical to their originals. Edits survive a remount
(including one made while unmounted), `tag clear` brings back the original bytes and path, a
file held open during an edit keeps reading what it opened, and no original is ever written.
"""

import base64
import json
import os
import shutil
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402

try:
    import mutagen
    from mutagen.apev2 import APEv2
    from mutagen.flac import FLAC, Picture
    from mutagen.id3 import ID3, TALB, TCON, TIT2, TPE1, TPE2, TRCK, COMM
    from mutagen.mp4 import MP4
    from mutagen.oggvorbis import OggVorbis
except ImportError:  # reported by require_all
    mutagen = None

TOOLS = ("ffmpeg", "ffprobe", "flac", "metaflac", "lame", "oggenc", "opusenc", "sox", "ogginfo",
         "opusinfo", "mp3val")
# Writer plugin name -> the formats it serves (as the catalog names them).
WRITER_FORMATS = {"flac": {"flac"}, "ogg": {"vorbis", "opus", "oggflac"}, "mp3": {"mp3"},
                  "riff": {"wav", "aiff"}, "mp4": {"aac", "alac"}}

NEW_TITLE = "Edited “Títle” 編集"
NEW_GENRES = ["Jazz", "Blues"]
LONG_COMMENT = "x" * 70000  # over 64 KiB
ARTIST = "Overlay Tester"


def run_ok(args, **kwargs):
    r = t.run([os.fsdecode(a) if isinstance(a, bytes) else a for a in args], **kwargs)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} failed ({r.returncode}): "
                             f"{r.stderr.strip()[-2000:]}")
    return r


def writer_formats():
    """The formats served by the format writers the binary finds."""
    out = t.musicfs("plugins")
    formats = set()
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3] == "format":
            formats |= WRITER_FORMATS.get(fields[0], set())
    return formats


# --- the corpus ------------------------------------------------------------------------------

def noisy_jpeg(path, size):
    run_ok(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
            f"nullsrc=s={size}x{size},geq=lum='random(1)*255':cb=128:cr=128", "-frames:v", "1",
            "-q:v", "2", path])


def vorbis_picture(data):
    pic = Picture()
    pic.type, pic.mime, pic.desc, pic.data = 3, "image/jpeg", "cover", data
    return base64.b64encode(pic.write()).decode("ascii")


def id3_frames(title, album, track, extra=()):
    return [TIT2(encoding=3, text=[title]), TPE1(encoding=3, text=[ARTIST]),
            TPE2(encoding=3, text=[ARTIST]), TALB(encoding=3, text=[album]),
            TRCK(encoding=3, text=[str(track)]), TCON(encoding=3, text=["Ambient"]), *extra]


def make_corpus(root, work):
    """Writes the originals under root; returns {relative path: catalog format}."""
    wav = os.path.join(work, "tone.wav")
    run_ok(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", wav, "synth", "4", "pinknoise",
            "vol", "0.3"])
    big = os.path.join(work, "big.jpg")
    noisy_jpeg(big, 1200)  # ~1 MB
    with open(big, "rb") as f:
        big_data = f.read()
    files = {}

    def out(rel, fmt):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        files[rel] = fmt
        return path

    def flac_tags(title, album, track):
        return ["-T", f"TITLE={title}", "-T", f"ARTIST={ARTIST}", "-T", f"ALBUMARTIST={ARTIST}",
                "-T", f"ALBUM={album}", "-T", f"TRACKNUMBER={track}", "-T", "GENRE=Ambient"]

    # FLAC
    run_ok(["flac", "-s", wav, "-o", out("flac/plain.flac", "flac"),
            *flac_tags("Plain", "FLAC Plain", 1)])
    run_ok(["flac", "-s", "--no-padding", wav, "-o", out("flac/nopad.flac", "flac"),
            *flac_tags("No Padding", "FLAC No Padding", 2)])
    run_ok(["flac", "-s", "--no-padding", wav, "-o", out("flac/notags.flac", "flac")])
    run_ok(["flac", "-s", wav, "-o", out("flac/unicode.flac", "flac"),
            "-T", "TITLE=Ágætis byrjun ☃ 日本語", "-T", "ARTIST=Sigur Rós", "-T", "ARTIST=Jónsi",
            "-T", "ALBUMARTIST=Sigur Rós", "-T", "ALBUM=FLAC Ünïcode", "-T", "TRACKNUMBER=3",
            "-T", "COMMENT=" + "é" * 33000])  # 66 KB of UTF-8
    run_ok(["flac", "-s", f"--picture={big}", wav, "-o", out("flac/bigpic.flac", "flac"),
            *flac_tags("Big Picture", "FLAC Big Picture", 4)])
    run_ok(["flac", "-s", wav, "-o", out("flac/untouched.flac", "flac"),
            *flac_tags("Untouched", "FLAC Untouched", 5)])

    # MP3
    for rel, title, track in (("mp3/v24.mp3", "ID3v2.4", 1), ("mp3/v1ape.mp3", "v1 and APE", 2),
                              ("mp3/notags.mp3", None, 3), ("mp3/untouched.mp3", "Untouched", 4)):
        path = out(rel, "mp3")
        run_ok(["lame", "--quiet", "-b", "128", wav, path])
        if title is None:
            continue
        tag = ID3()
        for frame in id3_frames(title, "MP3 " + title, track):
            tag.add(frame)
        if rel == "mp3/v1ape.mp3":
            tag.save(path, v2_version=3, v1=2)  # ID3v2.3 at the front, ID3v1 at the end
            ape = APEv2()
            ape["Title"] = "stale APE title"
            ape["Genre"] = "stale APE genre"
            ape.save(path)
        else:
            tag.save(path, v2_version=4)

    # Ogg
    run_ok(["oggenc", "-Q", "-q", "2", "-t", "Vorbis", "-a", ARTIST, "-l", "Ogg Vorbis",
            "-N", "1", "-G", "Ambient", "-c", f"ALBUMARTIST={ARTIST}", wav,
            "-o", out("ogg/vorbis.ogg", "vorbis")])
    path = out("ogg/vorbis_pages.ogg", "vorbis")
    run_ok(["oggenc", "-Q", "-q", "2", "-t", "Many Pages", "-a", ARTIST, "-l", "Ogg Many Pages",
            "-N", "2", "-c", f"ALBUMARTIST={ARTIST}", wav, "-o", path])
    f = OggVorbis(path)
    f["metadata_block_picture"] = [vorbis_picture(big_data)]  # ~1.4 MB: ~22 pages
    f["lyrics"] = ["la " * 30000]
    f.save()
    run_ok(["opusenc", "--quiet", "--title", "Opus", "--artist", ARTIST, "--album", "Ogg Opus",
            "--tracknumber", "3", "--comment", f"ALBUMARTIST={ARTIST}", wav,
            out("ogg/opus.opus", "opus")])
    run_ok(["opusenc", "--quiet", "--title", "Opus Picture", "--artist", ARTIST,
            "--album", "Ogg Opus Picture", "--tracknumber", "4", "--comment",
            f"ALBUMARTIST={ARTIST}", "--picture", big, wav,
            out("ogg/opus_pic.opus", "opus")])
    run_ok(["flac", "-s", "--ogg", wav, "-o", out("ogg/oggflac.oga", "oggflac"),
            *flac_tags("Ogg FLAC", "Ogg FLAC", 5)])

    # M4A
    for codec, fmt in (("aac", "aac"), ("alac", "alac")):
        for fast in (True, False):
            rel = f"m4a/{codec}{'_fast' if fast else ''}.m4a"
            path = out(rel, fmt)
            run_ok(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", wav, "-c:a", codec,
                    *(["-b:a", "96k"] if codec == "aac" else []),
                    *(["-movflags", "+faststart"] if fast else []), path])
            m = MP4(path)
            m["\xa9nam"] = [f"{codec.upper()}{' faststart' if fast else ''}"]
            m["\xa9ART"] = [ARTIST]
            m["aART"] = [ARTIST]
            m["\xa9alb"] = [f"M4A {codec}{' faststart' if fast else ''}"]
            m["trkn"] = [(1, 0)]
            m["\xa9gen"] = ["Ambient"]
            m.save()

    # WAV and AIFF: INFO/NAME chunks from ffmpeg, an ID3 chunk from mutagen.
    for rel, fmt, muxer in (("wav/pcm.wav", "wav", "wav"), ("aiff/pcm.aiff", "aiff", "aiff")):
        path = out(rel, fmt)
        title = fmt.upper()
        run_ok(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", wav, "-metadata", f"title={title}",
                "-metadata", f"artist={ARTIST}", "-f", muxer, path])
        f = mutagen.File(path)
        f.add_tags()
        for frame in id3_frames(title, f"RIFF {title}", 1):
            f.tags.add(frame)
        f.save()
    return files


# --- reading files back ------------------------------------------------------------------------

def mutagen_view(path):
    """(tags, pictures): the tags we check, by Picard name, as lists; and the picture bytes."""
    f = mutagen.File(path)
    assert f is not None, f"mutagen cannot read {path!r}"
    tags, pictures = {}, []
    if isinstance(f.tags, ID3) or hasattr(f.tags, "getall"):
        id3 = f.tags
        for key, fid in (("title", "TIT2"), ("artist", "TPE1"), ("album", "TALB"),
                         ("albumartist", "TPE2"), ("genre", "TCON")):
            frame = id3.get(fid)
            if frame is not None:
                tags[key] = [str(v) for v in frame.text]
        comments = [str(v) for c in id3.getall("COMM") for v in c.text]
        if comments:
            tags["comment"] = comments
        pictures = [p.data for p in id3.getall("APIC")]
    elif isinstance(f, MP4):
        for key, atom in (("title", "\xa9nam"), ("artist", "\xa9ART"), ("album", "\xa9alb"),
                          ("albumartist", "aART"), ("genre", "\xa9gen"), ("comment", "\xa9cmt")):
            if atom in f.tags:
                tags[key] = [str(v) for v in f.tags[atom]]
        pictures = [bytes(c) for c in f.tags.get("covr", [])]
    else:  # Vorbis comments: FLAC, Ogg Vorbis, Opus, Ogg FLAC
        for key in ("title", "artist", "album", "albumartist", "genre", "comment"):
            if f.tags and key in f.tags:
                tags[key] = list(f.tags[key])
        pictures = [p.data for p in getattr(f, "pictures", [])]
        for b64 in (f.tags.get("metadata_block_picture", []) if f.tags else []):
            pictures.append(Picture(base64.b64decode(b64)).data)
    return tags, pictures


def ffprobe_tags(path):
    r = run_ok(["ffprobe", "-v", "error", "-show_entries", "format_tags:stream_tags", "-of",
                "json", path])
    info = json.loads(r.stdout)
    tags = {k.lower(): v for k, v in info.get("format", {}).get("tags", {}).items()}
    for s in info.get("streams", []):
        tags.update({k.lower(): v for k, v in s.get("tags", {}).items()})
    return tags


def validate(path, fmt):
    """Runs the format's own checker and ffmpeg's strict decode; returns a list of problems."""
    problems = []
    checks = [["ffmpeg", "-nostdin", "-v", "error", "-xerror", "-i", path, "-f", "null", "-"]]
    if fmt in ("flac", "oggflac"):
        checks.append(["flac", "-t", "-s", path])
    if fmt in ("vorbis", "oggflac"):
        checks.append(["ogginfo", "-q", path])
    if fmt == "opus":
        checks.append(["opusinfo", path])
    for args in checks:
        r = t.run(args)
        if r.returncode != 0 or (args[0] == "ffmpeg" and r.stderr.strip()):
            problems.append(f"{args[0]}: {(r.stderr or r.stdout).strip()[-500:]}")
    if fmt == "mp3":
        r = t.run(["mp3val", path])
        bad = [ln for ln in r.stdout.splitlines() if ln.startswith(("WARNING", "ERROR"))]
        if bad:
            problems.append("mp3val: " + "; ".join(bad))
    return problems


class OverlayTest(t.MountedCase):
    @classmethod
    def setUpClass(cls):
        # Its own corpus: the shared test library is not needed.
        t.require_fuse()
        t.require_tools(*TOOLS)
        t.require_mutagen()
        t.musicfs_bin()
        cls.formats = writer_formats()
        missing = set().union(*WRITER_FORMATS.values()) - cls.formats
        if missing:
            t.skip(f"no format writer for {', '.join(sorted(missing))} was built")
        cls.tmp = tempfile.mkdtemp(prefix="musicfs-overlay-")
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.src = os.path.join(cls.tmp, "music")
        cls.state = os.path.join(cls.tmp, "state")
        work = os.path.join(cls.tmp, "work")
        os.makedirs(work)
        cls.files = make_corpus(cls.src, work)
        cls.cover = os.path.join(work, "cover.jpg")
        noisy_jpeg(cls.cover, 500)
        with open(cls.cover, "rb") as f:
            cls.cover_data = f.read()
        cls.before = {rel: t.sha256_file(os.path.join(cls.src, rel)) for rel in cls.files}
        cls.original_view = {rel: mutagen_view(os.path.join(cls.src, rel)) for rel in cls.files}
        cls.audio_md5 = {rel: t.ffmpeg_audio_md5(os.path.join(cls.src, rel)) for rel in cls.files}
        cls.edited = sorted(rel for rel in cls.files if "untouched" not in rel)
        cls.m = cls.mount(cls.src, state_dir=cls.state)
        cls.first_paths = cls.tree()
        cls.first_mp = cls.m.mp

    # --- helpers ---

    @classmethod
    def tree(cls):
        return t.files_by_origin(cls.m.mp)

    def mounted(self, rel):
        paths = self.tree()
        self.assertIn(rel, paths, f"{rel} is not in the mounted tree")
        return paths[rel]

    def tag(self, *args):
        r = t.musicfs("tag", *[os.fsdecode(a) if isinstance(a, bytes) else a for a in args])
        self.assertEqual(r.returncode, 0, f"musicfs tag {args[:2]}: {r.stderr}")
        return json.loads(r.stdout)

    def read_checked(self, path):
        """The file's bytes, checking that stat agrees with what read returns."""
        size = os.stat(path).st_size
        with open(path, "rb") as f:
            data = f.read()
        self.assertEqual(size, len(data), f"{path!r}: st_size {size} != {len(data)} bytes read")
        return data

    def check_served(self, rel, path, title):
        fmt = self.files[rel]
        self.read_checked(path)
        tags, pictures = mutagen_view(path)
        self.assertEqual(tags.get("title"), [title], "mutagen title")
        self.assertEqual(tags.get("genre"), NEW_GENRES, "mutagen genre")
        self.assertIn(LONG_COMMENT, tags.get("comment", []), "mutagen: the 70000-byte comment")
        self.assertEqual(pictures, [self.cover_data], "mutagen: the picture set")
        self.assertEqual(ffprobe_tags(path).get("title"), title, "ffprobe title")
        if fmt == "flac":
            r = run_ok(["metaflac", "--show-tag=TITLE", "--show-tag=GENRE", path])
            self.assertEqual(r.stdout.splitlines(),
                             [f"TITLE={title}"] + [f"GENRE={g}" for g in NEW_GENRES])
            r = run_ok(["metaflac", "--list", "--block-type=PICTURE", path])
            self.assertIn(f"data length: {len(self.cover_data)}", r.stdout)
        self.assertEqual(t.ffmpeg_audio_md5(path), self.audio_md5[rel], "audio payload changed")
        self.assertEqual(validate(path, fmt), [])

    # --- the tests, in order (each builds on the state the previous ones left) ---

    def test_1_edit_every_format(self):
        for rel in self.edited:
            self.tag("set", self.mounted(rel), f"title={NEW_TITLE} {rel}", *[f"genre={g}" for g in NEW_GENRES],
                     "comment=" + LONG_COMMENT, "--picture", f"front={self.cover}")
        paths = self.tree()
        for rel in self.edited:
            with self.subTest(file=rel):
                path = paths[rel]
                self.assertNotEqual(path, self.first_paths[rel], "the file did not move")
                self.assertIn(f"{NEW_TITLE} {rel}".replace("/", "_").encode(), path)
                self.check_served(rel, path, f"{NEW_TITLE} {rel}")
        got = self.tag("get", paths["flac/unicode.flac"])
        self.assertEqual(got["tags"]["title"], {"values": [f"{NEW_TITLE} flac/unicode.flac"],
                                                "source": "user"})
        self.assertEqual(got["tags"]["artist"], {"values": ["Sigur Rós", "Jónsi"],
                                                 "source": "taglib"})
        self.assertEqual(got["pictures"][0]["bytes"], len(self.cover_data))

    def test_2_untouched_files_are_the_originals(self):
        paths = self.tree()
        for rel in self.files:
            if rel in self.edited:
                continue
            with self.subTest(file=rel):
                data = self.read_checked(paths[rel])
                with open(os.path.join(self.src, rel), "rb") as f:
                    self.assertEqual(data, f.read())
                self.assertEqual(mutagen_view(paths[rel]), self.original_view[rel])

    def test_3_artist_and_album_edit_moves_the_file(self):
        rel = "flac/nopad.flac"
        old = self.mounted(rel)
        self.tag("set", old, "albumartist=Somebody Else", "album=Another Album")
        new = self.mounted(rel)
        self.assertTrue(new.startswith(os.path.join(os.fsencode(self.m.mp), b"Somebody Else",
                                                    b"Another Album", b"")), new)
        self.assertFalse(os.path.exists(old), "the old name is still there")
        self.assertIn(os.path.basename(new), os.listdir(os.path.dirname(new)))
        tags, _ = mutagen_view(new)
        self.assertEqual((tags.get("albumartist"), tags.get("album")),
                         (["Somebody Else"], ["Another Album"]))
        self.assertEqual(t.ffmpeg_audio_md5(new), self.audio_md5[rel])

    def test_3b_edit_no_path_reads_keeps_the_tree(self):
        # The default paths read neither genre nor the comment: the daemon takes the edit in
        # without rebuilding the tree, and the file keeps its name and inode.
        rel = "mp3/untouched.mp3"  # the edits of test_1 stay on the others
        path = self.mounted(rel)
        ino = os.stat(path).st_ino
        rebuilds = self.m.log().count("tree updated")
        try:
            self.tag("set", path, "genre=Unplaced", "comment=no path reads me")
            self.assertEqual(self.m.log().count("tree updated"), rebuilds, "the tree was rebuilt")
            self.assertEqual(os.stat(path).st_ino, ino)
            tags, _ = mutagen_view(path)
            self.assertEqual(tags.get("genre"), ["Unplaced"])
            self.assertEqual(t.ffmpeg_audio_md5(path), self.audio_md5[rel])
            # An edit of a key the paths read still moves the file.
            self.tag("set", path, "title=Placed Again")
            self.assertEqual(self.m.log().count("tree updated"), rebuilds + 1)
            moved = self.mounted(rel)
            self.assertIn(b"Placed Again", os.path.basename(moved))
            self.assertFalse(os.path.exists(path), "the old name is still there")
        finally:
            self.tag("clear", self.mounted(rel))

    def test_4_open_file_keeps_its_view(self):
        rel = "flac/untouched.flac"  # has padding: the edit keeps the size
        path = self.mounted(rel)
        with open(os.path.join(self.src, rel), "rb") as f:
            original = f.read()
        with open(path, "rb") as held:
            first = held.read(4096)
            self.tag("set", path, "comment=changed while open")
            rest = held.read()
        self.assertEqual(first + rest, original, "an open file changed under its reader")
        now = self.mounted(rel)
        self.assertEqual(mutagen_view(now)[0].get("comment"), ["changed while open"])
        self.assertNotEqual(self.read_checked(now), original)
        self.tag("clear", now)
        self.assertEqual(self.read_checked(self.mounted(rel)), original)

    def test_4b_open_file_keeps_its_size_through_an_edit_that_changes_it(self):
        # A big picture makes the served file larger: the kernel's size of the inode must not
        # change under the reader (nor for a second reader) until the last close.
        rel = "flac/untouched.flac"
        path = self.mounted(rel)
        with open(os.path.join(self.src, rel), "rb") as f:
            original = f.read()
        with open(path, "rb") as held:
            first = held.read(4096)
            self.tag("set", path, "--picture", f"front={self.cover}")
            self.assertEqual(os.fstat(held.fileno()).st_size, len(original))
            self.assertEqual(os.stat(path).st_size, len(original), "stat while open")
            with open(path, "rb") as second:  # a second open shares the opened version
                self.assertEqual(second.read(), original)
            rest = held.read()
        self.assertEqual(first + rest, original, "an open file changed under its reader")
        now = self.read_checked(self.mounted(rel))  # after the last close: the edit
        self.assertGreater(len(now), len(original))
        self.assertEqual(mutagen_view(self.mounted(rel))[1], [self.cover_data])
        self.tag("clear", self.mounted(rel))
        self.assertEqual(self.read_checked(self.mounted(rel)), original)

    def test_5_edits_survive_a_remount(self):
        # Unmount; edit an original while no daemon runs; mount again serving MP3 as ID3v2.3.
        self.m.close()
        rel = "ogg/vorbis.ogg"
        self.tag("set", "--state-dir", self.state, "--library", self.m.library,
                 os.path.join(self.src, rel), "albumartist=Edited While Unmounted")
        config = os.path.join(self.tmp, "musicfs.toml")
        with open(config, "w") as f:
            f.write("[format.mp3]\nid3v2_version = 3\n")
        type(self).m = self.mount(self.src, "--config", config, state_dir=self.state)
        paths = self.tree()
        self.assertTrue(paths[rel].startswith(os.path.join(os.fsencode(self.m.mp),
                                                           b"Edited While Unmounted", b"")))
        for rel in self.edited:
            if rel == "flac/nopad.flac":
                continue  # moved by test 3; its title is checked there
            with self.subTest(file=rel):
                title = f"{NEW_TITLE} {rel}"
                tags, pictures = mutagen_view(paths[rel])
                self.assertEqual(tags.get("title"), [title])
                self.assertEqual(pictures, [self.cover_data])
                if self.files[rel] == "mp3":
                    self.assertEqual(mutagen.File(paths[rel]).tags.version[:2], (2, 3))
                    self.assertEqual(ffprobe_tags(paths[rel]).get("title"), title)
                    self.assertEqual(t.ffmpeg_audio_md5(paths[rel]), self.audio_md5[rel])
                    self.assertEqual(validate(paths[rel], "mp3"), [])
                    self.read_checked(paths[rel])

    def test_6_clear_reverts(self):
        for rel in self.edited:
            self.tag("clear", self.mounted(rel))
        paths = self.tree()
        for rel in self.files:
            with self.subTest(file=rel):
                self.assertEqual(os.path.relpath(paths[rel], os.fsencode(self.m.mp)),
                                 os.path.relpath(self.first_paths[rel], os.fsencode(self.first_mp)),
                                 "not back at its old path")
                data = self.read_checked(paths[rel])
                self.assertEqual(t.sha256_file(os.path.join(self.src, rel)), self.before[rel])
                with open(os.path.join(self.src, rel), "rb") as f:
                    self.assertEqual(data, f.read(), "not served as the original after clear")
                got = self.tag("get", paths[rel])
                self.assertFalse([k for k, v in got["tags"].items() if v["source"] == "user"])
                self.assertEqual(got["pictures"], [])

    def test_7_errors(self):
        path = self.mounted("flac/plain.flac")
        cases = [
            ("set", path, "Not A Key=1"),
            ("set", path, "novalue"),
            ("set", path, "=value"),
            ("set", path, "--picture", "front=/nonexistent/cover.jpg"),
            ("set", path, "--picture", f"sideways={self.cover}"),
            ("set", path, "--picture", f"front={self.src}/flac/plain.flac"),  # not an image
            ("set", path),
            ("get", "/nonexistent/file.flac"),
            ("get", "--state-dir", self.state, os.path.join(self.tmp, "work", "tone.wav")),
            ("clear", path, "Bad Key"),
        ]
        for args in cases:
            with self.subTest(args=args):
                r = t.musicfs("tag", *[os.fsdecode(a) if isinstance(a, bytes) else a
                                       for a in args])
                self.assertEqual(r.returncode, 2, r.stderr)
                lines = r.stderr.strip().splitlines()
                self.assertEqual(len(lines), 1, r.stderr)
                self.assertTrue(lines[0].startswith("musicfs: "), r.stderr)
                self.assertEqual(r.stdout, "")
        # Nothing was changed by the failed commands.
        self.assertEqual(self.tag("get", path)["tags"]["title"]["source"], "taglib")

    def test_8_detached_daemon_applies_edits(self):
        # `mount --daemon` forks after opening the catalog; the detached daemon must still
        # rebuild the tree and tell `tag set`, which then returns with the edit visible.
        self.m.close()
        mp = tempfile.mkdtemp(prefix="musicfs-mnt-", dir=self.tmp)
        t.guard_mountpoint(mp)
        pid_file = os.path.join(self.state, self.m.library, "daemon.pid")
        r = t.musicfs("mount", "--daemon", "--state-dir", self.state, "--library", self.m.library,
                      self.src, mp, timeout=t.MOUNT_TIMEOUT)
        try:
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(pid_file) as f:
                pid = int(f.read())
            self.assertTrue(os.path.exists(f"/proc/{pid}"), "daemon.pid names no process")
            rel = "mp3/v24.mp3"
            self.tag("set", os.path.join(self.src, rel), "--state-dir", self.state,
                     "--library", self.m.library, "album=Detached")
            found = [p for p in t.walk_files(mp)
                     if t.origin_path(os.path.join(os.fsencode(mp), p)) == rel.encode()]
            self.assertEqual(len(found), 1)
            self.assertIn(b"/Detached/", found[0])
            self.tag("clear", os.path.join(os.fsencode(mp), found[0]))
        finally:
            problem = t.unmount(mp)
        self.assertEqual(problem, "")
        for _ in range(100):
            if not os.path.exists(f"/proc/{pid}"):
                break
            time.sleep(0.1)
        self.assertFalse(os.path.exists(pid_file), "daemon.pid left behind")

    def test_9_originals_never_written(self):
        for rel in self.files:
            with self.subTest(file=rel):
                self.assertEqual(t.sha256_file(os.path.join(self.src, rel)), self.before[rel])


if __name__ == "__main__":
    t.main(watchdog=285)
