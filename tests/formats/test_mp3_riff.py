#!/usr/bin/python3
"""Tests of the MP3 and WAV/AIFF format writers, through musicfs_layout_tool.

    test_mp3_riff.py mp3|riff|fuzz

Originals are generated in a temporary directory (lame, sox, ffmpeg, mutagen, hand-built tag
bytes). Every served file must
  - have exactly the size the layout announced (the tool checks, we check again);
  - give back the requested tags under their Picard names through mutagen (read with Picard's
    rules) and through TagLib (the meta-taglib plugin, MusicFS's reading side);
  - carry exactly the requested pictures (type, MIME type, description, bytes), or the
    original's when none are requested;
  - decode without errors (ffmpeg -xerror), with an audio payload identical to the original's
    (ffmpeg -c:a copy -f md5), and for MP3 no mp3val problem the original did not have;
  - for WAV/AIFF: a valid container whose non-tag chunks are the original's, byte for byte.
The fuzz suite feeds truncated and corrupted originals and the public corpus
(../shared/corpus/public) to both writers: each must end in a valid layout (exit 0, exact
size) or a refusal with a reason (exit 2), never a crash or a hang.

Needs /usr/bin/python3 with mutagen, lame, sox, ffmpeg and mp3val; exits 77 (skipped) when one
is missing.
"""

import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import traceback
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import mp3_riff_testlib as T  # noqa: E402
from mutagen import id3 as M  # noqa: E402
import mutagen.aiff  # noqa: E402
import mutagen.apev2  # noqa: E402
import mutagen.wave  # noqa: E402

SKIP = 77

# Picard names meta-taglib cannot read back from ID3v2 although the writer puts them where
# Picard and mutagen read them: none (it reads TSST, which TagLib 1.13 does not map, itself).
TAGLIB_UNREAD = set()

RICH = {
    "title": "A Title",
    "subtitle": "A Subtitle",
    "artist": ["Artist A", "Artist B"],
    "artists": ["Artist A", "Artist B"],
    "artistsort": "A, Artist",
    "album": "The Album",
    "albumsort": "Album, The",
    "albumartist": "Album Artist",
    "albumartistsort": "Artist, Album",
    "tracknumber": "3",
    "totaltracks": "12",
    "discnumber": "1",
    "totaldiscs": "2",
    "discsubtitle": "Disc One",
    "date": "2020-05-17",
    "originaldate": "1999-01-02",
    "genre": ["Rock", "Pop"],
    "composer": "A Composer",
    "composersort": "Composer, A",
    "lyricist": "A Lyricist",
    "conductor": "A Conductor",
    "remixer": "A Remixer",
    "arranger": "An Arranger",
    "engineer": "An Engineer",
    "producer": ["Producer One", "Producer Two"],
    "mixer": "A Mixer",
    "djmixer": "A DJ",
    "performer:guitar": ["Guitarist One", "Guitarist Two"],
    "performer:vocals": "A Singer",
    "comment": "A comment",
    "comment:notes": "A described comment",
    "lyrics": "Some lyrics\nline two",
    "isrc": "USRC17607839",
    "label": "A Label",
    "catalognumber": "CAT-001",
    "barcode": "0123456789012",
    "asin": "B000002UAL",
    "media": "CD",
    "releasetype": ["album", "compilation"],
    "releasestatus": "official",
    "releasecountry": "GB",
    "script": "Latn",
    "language": "eng",
    "bpm": "120",
    "key": "Am",
    "mood": "happy",
    "grouping": "A Grouping",
    "work": "A Work",
    "movement": "A Movement",
    "movementnumber": "2",
    "movementtotal": "4",
    "compilation": "1",
    "copyright": "2020 A Label",
    "encodedby": "An Encoder",
    "encodersettings": "LAME 3.100",
    "website": "https://example.org/artist",
    "license": "https://creativecommons.org/licenses/by/4.0/",
    "originalalbum": "Original Album",
    "originalartist": "Original Artist",
    "replaygain_track_gain": "-6.50 dB",
    "replaygain_track_peak": "0.988123",
    "replaygain_album_gain": "-7.00 dB",
    "replaygain_album_peak": "0.999000",
    "musicbrainz_recordingid": "b1a9c0e9-d987-4042-ae91-78d6a3267d69",
    "musicbrainz_trackid": "c6fc1a4b-9fd7-4b8f-8a6e-6b3e3c3a5a1e",
    "musicbrainz_albumid": "a4864e94-6d75-4ade-bc93-0dabf3521453",
    "musicbrainz_artistid": ["83d91898-7763-47d7-b03b-b92132375c47",
                             "0383dadf-2a4e-4d10-a46a-e9e041da8eb3"],
    "musicbrainz_albumartistid": "83d91898-7763-47d7-b03b-b92132375c47",
    "musicbrainz_releasegroupid": "f5093c06-23e3-404f-aeaa-40f72885ee3a",
    "musicbrainz_workid": "e7a7c5c2-0c0a-4c45-9b2a-2f1c9b3e1f11",
    "acoustid_id": "e7359e88-f1f7-41ed-b9f6-16e58e906997",
    "a custom tag": "custom value",
}

UNICODE = {
    "title": "Ünïcödé ✓ 日本語 🎵",
    "artist": ["Мария Каллас", "Ελένη 𝄞"],
    "album": "עברית ועוד",
    "genre": "Κλασική",
    "comment": "emoji 😀 and a tab\tand a newline\nhere",
    "lyrics:ünï": "歌詞 🎶",
    "performer:piano": "Пианист",
    "tracknumber": "1",
    "a custom tag": "значение ✓",
}

BIG = {
    "title": "T" * 65536,
    "comment": ("ö" * 40000),  # 80000 bytes of UTF-8
    "lyrics": "line ✓\n" * 9400,
    "a big custom tag": "x" * 70000,
    "artist": ["A" * 65536, "B"],
}


def number_first(tags):
    out = {}
    for k, v in tags.items():
        values = v if isinstance(v, list) else [v]
        if k in ("tracknumber", "totaltracks", "discnumber", "totaldiscs", "movementnumber",
                 "movementtotal", "musicbrainz_recordingid"):
            values = values[:1]
        out[k] = values
    return T.as_lists(out)


def expected(tags, version):
    """What should read back (Picard names) for `tags` written as ID3v2.`version`."""
    want = number_first(tags)
    if version == 4:
        return want
    out = {}
    for k, values in want.items():
        if k == "comment" or k.startswith(("comment:", "lyrics")) or k == "website":
            out[k] = values  # one frame per value
        elif k == "date":
            out[k] = [values[0] if len(values[0]) >= 10 else values[0][:4]]
        elif k == "originaldate":
            out[k] = [values[0][:4]]
        elif k == "license" and len(values) == 1:
            out[k] = values
        else:
            out[k] = ["/".join(values)]  # ID3v2.3 has no separator: joined as Picard does
    return out


class Suite:
    def __init__(self, workdir):
        self.dir = workdir
        self.failures = []
        self.passed = 0
        self._jpeg = None

    def path(self, name):
        return os.path.join(self.dir, name)

    def case(self, name, fn, *args, **kwargs):
        try:
            fn(*args, **kwargs)
            self.passed += 1
            print("ok   %s" % name, flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported, the suite goes on
            detail = str(e) if isinstance(e, T.Failure) else traceback.format_exc()
            self.failures.append((name, detail))
            print("FAIL %s\n%s" % (name, detail), flush=True)

    # --- shared material ---

    def pictures(self):
        """A 1.6 MB noise JPEG as the front cover and a small PNG as the back cover."""
        if self._jpeg is None:
            big = self.path("big.jpg")
            T.jpeg(big, 1500)
            size = os.path.getsize(big)
            T.check(1_000_000 <= size <= 3_500_000, "the cover is %d bytes, not 1-3 MB" % size)
            png = self.path("back.png")
            T.ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48", "-frames:v", "1", png)
            self._jpeg = [(3, "image/jpeg", "Front", big), (4, "image/png", "Back ✓", png)]
        return self._jpeg

    @staticmethod
    def picture_tuples(pictures):
        out = []
        for ptype, mime, desc, path in pictures:
            with open(path, "rb") as f:
                out.append((ptype, mime, desc, f.read()))
        return out

    # --- checks ---

    def check_tags(self, out, want, taglib_unread=(), label=""):
        got = T.mutagen_picard_tags(out)
        T.check(got == want, "%s mutagen/Picard tags differ:\n%s" % (label, T.diff(want, got)))
        fmt, taglib, rc = T.taglib_tags([out])[out]
        T.check(rc == 0, "%s TagLib (meta-taglib) could not read the served file" % label)
        want_taglib = {k: v for k, v in want.items() if k not in taglib_unread}
        T.check(taglib == want_taglib,
                "%s TagLib tags differ:\n%s" % (label, T.diff(want_taglib, taglib)))
        return fmt

    def check_pictures(self, out, want):
        got = T.mutagen_pictures(out)
        got = [(int(t), m, d.rstrip(" "), T.sha256(data)) for t, m, d, data in got]
        want = [(t, m, d, T.sha256(data)) for t, m, d, data in want]
        T.check(got == want, "pictures differ: want %r, got %r" % (want, got))

    def check_audio(self, original, out, reference=None):
        errors = T.ffmpeg_decode_errors(out)
        if errors:
            # Only when the original does not decode cleanly either (a truncated last sample
            # frame: ffmpeg reports a short read there and a short packet here).
            before = T.ffmpeg_decode_errors(reference or original)
            T.check(before, "ffmpeg reports errors decoding %s: %s" % (out, errors[:500]))
        want = T.audio_md5(reference or original)
        got = T.audio_md5(out)
        T.check(want == got, "audio payload differs: %s (original) vs %s (served)" % (want, got))


# --- MP3 ---------------------------------------------------------------------------------

class Mp3Suite(Suite):
    def clean_mp3(self, name, *lame_args, rate=44100, channels=2, seconds=2.0):
        wav = self.path(name + ".src.wav")
        T.sine_wav(wav, seconds=seconds, rate=rate, channels=channels)
        mp3 = self.path(name + ".mp3")
        T.lame(wav, mp3, *lame_args)
        return mp3

    def with_bytes(self, name, clean, front=b"", back=b""):
        path = self.path(name)
        with open(clean, "rb") as f:
            audio = f.read()
        with open(path, "wb") as f:
            f.write(front + audio + back)
        return path

    def check_mp3(self, original, out, reference=None):
        self.check_audio(original, out, reference)
        before = T.mp3val_problems(reference or original)
        after = T.mp3val_problems(out)
        after.discard('WARNING: No supported tags in the file')
        new = after - before
        T.check(not new, "mp3val finds new problems in the served file: %s" % sorted(new))

    def served_tags(self, original, name, tags, version=4, pictures=None, reference=None,
                    id3v1=False):
        out = self.path(name + ".out.mp3")
        config = {}
        if version == 3:
            config["id3v2_version"] = "3"
        if id3v1:
            config["id3v1"] = "true"
        s = T.serve_ok(T.FORMAT_MP3, original, out, tags=tags, pictures=pictures,
                       no_pictures=pictures is None, config=config)
        want = expected(tags, version)
        fmt = self.check_tags(out, want, TAGLIB_UNREAD, "[%s]" % name)
        T.check(fmt in ("mp3", "mp2", "mp1"), "meta-taglib reads the served file as %r" % fmt)
        T.check(M.ID3(out).version[1] == version, "not an ID3v2.%d tag" % version)
        self.check_pictures(out, self.picture_tuples(pictures or []))
        self.check_mp3(original, out, reference)
        return s

    def served_untouched(self, original, name, reference=None, version=4):
        """The original's own tags (as meta-taglib reads them) and its own pictures."""
        _, tags, rc = T.taglib_tags([original])[original]
        T.check(rc == 0, "meta-taglib cannot read %s" % original)
        out = self.path(name + ".untouched.mp3")
        s = T.serve_ok(T.FORMAT_MP3, original, out, tags=tags,
                       config={"id3v2_version": str(version)})
        check_untouched(self, original, out, tags, version)
        # Kept pictures are served from the original's tag, not copied into the layout.
        audio = s.summary["segments"][-1]
        T.check(any(seg["kind"] == "original" and seg["source"] < audio["source"]
                    for seg in s.summary["segments"][:-1]),
                "kept pictures are not ranges of the original: %r" % s.summary["segments"])
        self.check_mp3(original, out, reference)

    def run(self):
        pics = self.pictures()
        pic_data = self.picture_tuples(pics)
        cbr = self.clean_mp3("cbr", "-b", "128")
        vbr = self.clean_mp3("vbr", "-V", "2")
        mpeg2 = self.clean_mp3("mpeg2", "-b", "64", "--resample", "22.05", rate=22050)
        mono = self.clean_mp3("mono", "-b", "96", "-m", "m", channels=1)

        self.case("mp3 no tags in the original, rich tags and pictures",
                  self.served_tags, cbr, "cbr_rich", RICH, pictures=pics)
        self.case("mp3 VBR with Xing/LAME frame kept", self.vbr_info_frame, vbr)
        self.case("mp3 unicode", self.served_tags, vbr, "vbr_unicode", UNICODE)
        self.case("mp3 64 KiB values", self.served_tags, cbr, "cbr_big", BIG)
        self.case("mp3 no tags at all", self.no_tags, cbr)
        self.case("mp3 MPEG-2 layer III", self.served_tags, mpeg2, "mpeg2", UNICODE)
        self.case("mp3 mono", self.served_tags, mono, "mono", {"title": "mono"}, pictures=pics[1:])
        self.case("mp3 ID3v2.3 output", self.served_tags, vbr, "v23_rich", RICH, version=3,
                  pictures=pics)
        self.case("mp3 ID3v2.3 output, unicode", self.served_tags, cbr, "v23_unicode", UNICODE,
                  version=3)
        self.case("mp3 ID3v2.3 output, 64 KiB values", self.served_tags, cbr, "v23_big", BIG,
                  version=3)
        self.case("mp3 picture without a MIME type", self.sniffed_mime, cbr, pics)
        self.case("mp3 ID3v1 option", self.id3v1_option, cbr)
        self.case("mp3 refuses bad options", self.bad_options, cbr)

        # Originals with tags of every kind, at both ends.
        tagged = self.path("tagged_v24.mp3")
        shutil.copy(vbr, tagged)
        T.mutagen_id3(tagged, [
            M.TIT2(encoding=3, text=["Old title"]), M.TPE1(encoding=3, text=["Old A", "Old B"]),
            M.TALB(encoding=3, text=["Old album"]), M.TRCK(encoding=0, text=["7/9"]),
            M.TDRC(encoding=0, text=["2001-02-03"]), M.COMM(encoding=3, lang="eng", desc="",
                                                              text=["old comment"]),
            M.TXXX(encoding=3, desc="MusicBrainz Album Id", text=["old-album-id"]),
            M.UFID(owner="http://musicbrainz.org", data=b"old-recording-id"),
            M.APIC(encoding=3, mime="image/jpeg", type=3, desc="Old front", data=pic_data[0][3]),
            M.APIC(encoding=3, mime="image/png", type=4, desc="Old back", data=pic_data[1][3]),
        ])
        ape = mutagen.apev2.APEv2()
        ape["Title"] = "APE title"
        ape["Artist"] = "APE artist"
        ape.save(tagged)
        with open(tagged, "ab") as f:
            f.write(T.id3v1_tag())  # after the APE tag, as most taggers put them
        with open(tagged, "rb") as f:
            data = f.read()
        T.check(data[-128:-125] == b"TAG" and b"APETAGEX" in data[-400:],
                "mutagen did not write ID3v1 + APEv2")
        self.case("mp3 ID3v2.4+APEv2+ID3v1 original, new tags",
                  self.served_tags, tagged, "tagged_new", RICH, pictures=pics[:1], reference=vbr)
        self.case("mp3 ID3v2.4+APEv2+ID3v1 original, untouched",
                  self.served_untouched, tagged, "tagged", reference=vbr)
        self.case("mp3 ID3v2.4+APEv2+ID3v1 original, untouched, as ID3v2.3",
                  self.served_untouched, tagged, "tagged_v23", reference=vbr, version=3)
        self.case("mp3 end tags are dropped", self.end_tags, cbr, pic_data)

        v23 = self.path("tagged_v23.mp3")
        shutil.copy(cbr, v23)
        T.mutagen_id3(v23, [
            M.TIT2(encoding=1, text=["Ti\u0163le v2.3"]), M.TPE1(encoding=1, text=["A/B"]),
            M.TDRC(encoding=0, text=["2003-04-05"]),
            M.APIC(encoding=1, mime="image/jpeg", type=3, desc="Front ✓", data=pic_data[0][3]),
        ], v2_version=3)
        self.case("mp3 ID3v2.3 original, untouched", self.served_untouched, v23, "v23orig",
                  reference=cbr)
        self.case("mp3 ID3v2.3 original, new tags", self.served_tags, v23, "v23orig_new",
                  UNICODE, reference=cbr)

        v22 = self.with_bytes("tagged_v22.mp3", cbr,
                              front=T.id3v22_tag("Tïtle v2.2", "Artist v2.2", pic_data[0][3]))
        self.case("mp3 ID3v2.2 original, untouched", self.served_untouched, v22, "v22orig",
                  reference=cbr)

        tricky = T.id3v23_tag([
            T.id3v23_frame(b"TIT2", b"\x00Unsynced \xff\xe0 title"),
            T.id3v23_frame(b"APIC", T.apic_body(pic_data[0][3], "Unsynced")),
            T.compressed_v23_apic(pic_data[1][3], "Zipped"),
        ], unsync=True, extended=True)
        unsync = self.with_bytes("unsync_v23.mp3", cbr, front=tricky)
        self.case("mp3 ID3v2.3 unsynchronised, extended header, compressed picture",
                  self.kept_pictures, unsync, "unsync",
                  [(3, "image/jpeg", "Unsynced", pic_data[0][3]),
                   (3, "image/jpeg", "Zipped", pic_data[1][3])], cbr)

        png_apic = T.apic_body(pic_data[1][3], "Unsync 2.4", mime="image/png")
        v24_frames = [
            T.id3v24_frame(b"TIT2", b"\x03Footer title"),
            # A picture unsynchronised with a data length indicator (frame flags 0x0003).
            T.id3v24_frame(b"APIC", T.syncsafe(len(png_apic)) + T.unsynchronise(png_apic), 0x0003),
            T.id3v24_frame(b"APIC", T.apic_body(pic_data[0][3], "Plain 2.4", encoding=3)),
        ]
        v24 = self.with_bytes("footer_v24.mp3", cbr,
                              front=T.id3v24_tag(v24_frames, extended=True, footer=True))
        self.case("mp3 ID3v2.4 extended header, footer, unsynchronised frame",
                  self.kept_pictures, v24, "footer",
                  [(3, "image/png", "Unsync 2.4", pic_data[1][3]),
                   (3, "image/jpeg", "Plain 2.4", pic_data[0][3])], cbr)

        two = self.with_bytes(
            "two_tags.mp3", cbr,
            front=T.id3v24_tag([T.id3v24_frame(b"TIT2", b"\x03First")], padding=100) +
            b"\x00" * 37 + T.id3v23_tag([T.id3v23_frame(b"TIT2", b"\x00Second")]))
        self.case("mp3 two ID3v2 tags and junk before the audio",
                  self.served_tags, two, "two_tags", {"title": "New"}, reference=cbr)
        junk = self.with_bytes("junk.mp3", cbr,
                               front=T.id3v24_tag([T.id3v24_frame(b"TIT2", b"\x03J")]) +
                               bytes(range(1, 200)) * 10)
        self.case("mp3 junk between the tag and the first frame",
                  self.served_tags, junk, "junk", {"title": "New"}, reference=cbr)
        mp2 = self.path("layer2.mp2")
        T.ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "mp2",
                 "-b:a", "192k", mp2)
        self.case("mp2 (MPEG layer II)", self.served_tags, mp2, "mp2", RICH, pictures=pics[1:])

    def vbr_info_frame(self, vbr):
        s = self.served_tags(vbr, "vbr_rich", RICH)
        with open(s.out, "rb") as f:
            data = f.read()
        with open(vbr, "rb") as f:
            original = f.read()
        T.check(b"Xing" in original[:200] and b"LAME" in original[:400], "lame wrote no Xing/LAME")
        start = s.summary["segments"][1]["start"]
        T.check(data[start:start + 400] == original[:400], "the Xing/LAME frame is not first")
        T.check(s.summary["segments"][1]["source"] == 0 and
                s.summary["segments"][1]["length"] == len(original),
                "the audio is not one range of the original: %r" % s.summary["segments"])

    def no_tags(self, cbr):
        out = self.path("empty.out.mp3")
        s = T.serve_ok(T.FORMAT_MP3, cbr, out, tags={}, no_pictures=True)
        with open(out, "rb") as f, open(cbr, "rb") as g:
            T.check(f.read() == g.read(), "without tags the served file is not the bare audio")
        T.check(len(s.summary["segments"]) == 1, "expected one original segment")

    def sniffed_mime(self, cbr, pics):
        out = self.path("sniff.out.mp3")
        T.serve_ok(T.FORMAT_MP3, cbr, out, tags={"title": "x"},
                   pictures=[(3, "", "no type", pics[0][3]), (4, "", "", pics[1][3])])
        got = [(t, m, d) for t, m, d, _ in T.mutagen_pictures(out)]
        T.check(got == [(3, "image/jpeg", "no type"), (4, "image/png", "")],
                "pictures without a MIME type: %r" % got)

    def id3v1_option(self, cbr):
        tags = {"title": "A very long title that does not fit in thirty bytes", "artist": "Ärtist",
                "album": "Album", "date": "2020-01-01", "tracknumber": "7", "genre": "Rock",
                "comment": "not in ID3v1"}
        s = self.served_tags(cbr, "id3v1", tags, id3v1=True)
        with open(s.out, "rb") as f:
            data = f.read()
        v1 = data[-128:]
        T.check(v1[:3] == b"TAG", "no ID3v1 tag at the end")
        T.check(v1[3:33] == tags["title"][:30].encode(), "ID3v1 title %r" % v1[3:33])
        T.check(v1[33:63].rstrip(b"\0") == "Ärtist".encode("latin-1"), "ID3v1 artist")
        T.check(v1[93:97] == b"2020" and v1[126] == 7 and v1[127] == 17, "ID3v1 year/track/genre")
        T.check(v1[97:125] == b"\0" * 28, "ID3v1 comment is not empty")

    def bad_options(self, cbr):
        s = T.serve(T.FORMAT_MP3, cbr, self.path("bad.out.mp3"), tags={},
                    config={"id3v2_version": "5"})
        T.check(s.rc == 1 and "could not be set up" in s.stderr, "id3v2_version=5 accepted")

    def kept_pictures(self, original, name, want_pictures, reference):
        out = self.path(name + ".out.mp3")
        T.serve_ok(T.FORMAT_MP3, original, out, tags={"title": "kept"})
        self.check_pictures(out, want_pictures)
        T.check(T.mutagen_picard_tags(out) == {"title": ["kept"]}, "tags differ")
        self.check_mp3(original, out, reference)

    def end_tags(self, cbr, pic_data):
        front = T.id3v24_tag([T.id3v24_frame(b"TIT2", b"\x03Front")])
        ape = T.ape_tag({"Title": "APE", "Artist": "APE artist"})
        variants = {
            "id3v1": T.id3v1_tag(),
            "ape_then_v1": ape + T.id3v1_tag(),
            "v1_then_ape": T.id3v1_tag() + ape,
            "ape_no_header": T.ape_tag({"Title": "x"}, header=False) + T.id3v1_tag(),
            "lyrics3v2_v1": T.lyrics3v2() + T.id3v1_tag(),
            "ape_lyrics3_v1": ape + T.lyrics3v2() + T.id3v1_tag(),
            "two_v1": T.id3v1_tag() + T.id3v1_tag("again"),
            "appended_v24": T.id3v24_tag([T.id3v24_frame(b"TIT2", b"\x03End")], footer=True),
            "lyrics3v1": b"LYRICSBEGINsome old lyrics" + b"LYRICSEND" + T.id3v1_tag(),
        }
        with open(cbr, "rb") as f:
            audio = f.read()
        for name, back in variants.items():
            original = self.with_bytes("end_%s.mp3" % name, cbr, front=front, back=back)
            out = self.path("end_%s.out.mp3" % name)
            s = T.serve_ok(T.FORMAT_MP3, original, out, tags={"title": "New"})
            with open(out, "rb") as f:
                served = f.read()
            T.check(served.endswith(audio), "%s: the served file does not end with the audio" % name)
            seg = s.summary["segments"][-1]
            T.check(seg["kind"] == "original" and seg["source"] == len(front) and
                    seg["length"] == len(audio), "%s: audio segment %r" % (name, seg))
            T.check(T.mutagen_picard_tags(out) == {"title": ["New"]},
                    "%s: mutagen reads %r" % (name, T.mutagen_picard_tags(out)))
            T.check(not mutagen_has_ape(out), "%s: an APE tag is left" % name)
            self.check_mp3(original, out, cbr)


def check_untouched(suite, original, out, tags, version):
    """The served file reads back like the original (through TagLib and through mutagen) and
    carries the original's pictures."""
    _, again, _ = T.taglib_tags([out])[out]
    want = expected(tags, version)
    T.check(again == want, "TagLib reads other tags than the original's:\n%s" % T.diff(want, again))
    # The original's ID3v2 tag only: mutagen adds ID3v1 values it lacks, which the writer
    # drops on purpose (TagLib, the reading side, ignores them when there is an ID3v2 tag).
    want = expected(T.mutagen_picard_tags(original, load_v1=False), version)
    got = T.mutagen_picard_tags(out)
    T.check(got == want, "mutagen reads other tags than the original's:\n%s" % T.diff(want, got))
    pictures = [(int(t), m, d.rstrip(" "), data) for t, m, d, data in T.mutagen_pictures(original)]
    T.check(pictures, "the original has no pictures to keep")
    suite.check_pictures(out, pictures)


def mutagen_has_ape(path):
    try:
        mutagen.apev2.APEv2(path)
        return True
    except mutagen.apev2.APENoHeaderError:
        return False


# --- WAV and AIFF ------------------------------------------------------------------------

WAV_TAG_CHUNKS = {b"id3 ", b"ID3 "}
AIFF_TAG_CHUNKS = {b"ID3 ", b"id3 ", b"NAME", b"AUTH", b"ANNO", b"(c) "}


def is_tag_chunk(cid, payload, aiff):
    if aiff:
        return cid in AIFF_TAG_CHUNKS
    return cid in WAV_TAG_CHUNKS or (cid == b"LIST" and payload[:4] == b"INFO")


def riff_chunk(cid, payload, big=False):
    c = cid + struct.pack(">I" if big else "<I", len(payload)) + payload
    return c + (b"\0" if len(payload) % 2 else b"")


def riff_file(chunk_list, form=b"WAVE", big=False, trailing=b""):
    body = form + b"".join(chunk_list)
    magic = b"FORM" if big else b"RIFF"
    return magic + struct.pack(">I" if big else "<I", len(body)) + body + trailing


def split_chunks(path):
    """[(id, payload)] of a file made by a tool, up to the container's end (no checks)."""
    with open(path, "rb") as f:
        data = f.read()
    big = data[:4] == b"FORM"
    fmt = ">I" if big else "<I"
    end = min(len(data), 8 + struct.unpack(fmt, data[4:8])[0])
    out, pos = [], 12
    while pos + 8 <= end:
        size = struct.unpack(fmt, data[pos + 4:pos + 8])[0]
        out.append((data[pos:pos + 4], data[pos + 8:pos + 8 + size]))
        pos += 8 + size + (size & 1)
    return data[8:12], out


class RiffSuite(Suite):
    def check_riff(self, original, out, tags, version=4, pictures=(), reference=None,
                   truncated=False):
        aiff = out.endswith((".aif", ".aiff", ".aifc"))
        served = T.chunks(out)
        _, orig = split_chunks(reference or original)
        kept = [(c, p) for c, p in orig if not is_tag_chunk(c, p, aiff)]
        audio_id = b"SSND" if aiff else b"data"
        got_kept = [(c, p) for c, p in served if not is_tag_chunk(c, p, aiff)]
        if truncated:
            T.check([c for c, _ in got_kept] == [c for c, _ in kept], "chunk order differs")
        else:
            T.check(got_kept == kept, "the non-tag chunks are not the original's: %r vs %r" %
                    ([c for c, _ in got_kept], [c for c, _ in kept]))
        ids = [c for c, _ in served]
        tag_ids = [c for c, p in served if is_tag_chunk(c, p, aiff)]
        want_id3 = bool(tags) or bool(pictures)
        T.check(tag_ids.count(b"ID3 " if aiff else b"id3 ") == (1 if want_id3 else 0),
                "expected one ID3 chunk: %r" % ids)
        if audio_id in ids:
            first_tag = min((ids.index(c) for c in tag_ids), default=None)
            T.check(first_tag is None or first_tag < ids.index(audio_id),
                    "tag chunks are not before the audio: %r" % ids)
        want = expected(tags, version)
        fmt = self.check_tags(out, want, TAGLIB_UNREAD, "[%s]" % os.path.basename(out))
        T.check(fmt == ("aiff" if aiff else "wav"), "meta-taglib reads it as %r" % fmt)
        self.check_pictures(out, list(pictures))
        self.check_text_chunks(served, tags, aiff)
        self.check_audio(original, out, reference)

    @staticmethod
    def check_text_chunks(served, tags, aiff):
        lists = {k: (v if isinstance(v, list) else [v]) for k, v in tags.items()}
        if aiff:
            texts = {c: p.decode() for c, p in served if c in (b"NAME", b"AUTH", b"(c) ")}
            for cid, name in ((b"NAME", "title"), (b"AUTH", "artist"), (b"(c) ", "copyright")):
                want = "; ".join(lists[name]) if name in lists else None
                T.check(texts.get(cid) == want, "%r is %r, want %r" % (cid, texts.get(cid), want))
            annos = [p.decode() for c, p in served if c == b"ANNO"]
            T.check(annos == lists.get("comment", []), "ANNO chunks %r" % annos)
            return
        infos = [p for c, p in served if c == b"LIST" and p[:4] == b"INFO"]
        fields = {"INAM": "title", "IART": "artist", "IPRD": "album", "ICMT": "comment",
                  "ICRD": "date", "IGNR": "genre", "ITRK": "tracknumber", "IMUS": "composer",
                  "ICOP": "copyright"}
        want = {f: ("; ".join(lists[n]) if n != "tracknumber" else lists[n][0])
                for f, n in fields.items() if n in lists}
        T.check(len(infos) == (1 if want else 0), "expected %d LIST/INFO chunks" % bool(want))
        got = T.riff_info(infos[0]) if infos else {}
        T.check(got == want, "INFO fields %r, want %r" % (got, want))

    def serve_riff(self, original, name, tags, version=4, pictures=None, reference=None,
                   truncated=False):
        ext = os.path.splitext(original)[1]
        out = self.path(name + ".out" + ext)
        config = {"id3v2_version": "3"} if version == 3 else {}
        T.serve_ok(T.FORMAT_RIFF, original, out, tags=tags, pictures=pictures,
                   no_pictures=pictures is None, config=config)
        self.check_riff(original, out, tags, version, self.picture_tuples(pictures or []),
                        reference, truncated)
        return out

    def untouched(self, original, name):
        _, tags, rc = T.taglib_tags([original])[original]
        T.check(rc == 0, "meta-taglib cannot read %s" % original)
        ext = os.path.splitext(original)[1]
        out = self.path(name + ".untouched" + ext)
        T.serve_ok(T.FORMAT_RIFF, original, out, tags=tags)
        check_untouched(self, original, out, tags, 4)
        T.chunks(out)
        self.check_audio(original, out)

    def run(self):
        pics = self.pictures()
        pic_data = self.picture_tuples(pics)

        plain = self.path("plain.wav")
        T.sine_wav(plain)
        self.case("wav plain, rich tags and pictures", self.serve_riff, plain, "wav_rich", RICH,
                  pictures=pics)
        self.case("wav unicode", self.serve_riff, plain, "wav_unicode", UNICODE)
        self.case("wav 64 KiB values", self.serve_riff, plain, "wav_big", BIG)
        self.case("wav ID3v2.3", self.serve_riff, plain, "wav_v23", RICH, version=3,
                  pictures=pics[:1])
        self.case("wav no tags", self.serve_riff, plain, "wav_none", {}, pictures=[])

        info = self.path("info.wav")
        T.ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-metadata",
                 "title=Old INFO title", "-metadata", "artist=Old INFO artist", "-c:a",
                 "pcm_s16le", info)
        T.check(b"INFO" in open(info, "rb").read(200), "ffmpeg wrote no LIST/INFO")
        self.case("wav with LIST/INFO, new tags", self.serve_riff, info, "info_new", UNICODE)

        id3wav = self.path("id3.wav")
        shutil.copy(plain, id3wav)
        w = mutagen.wave.WAVE(id3wav)
        w.add_tags()
        w.tags.add(M.TIT2(encoding=3, text=["Old ID3 title"]))
        w.tags.add(M.TPE1(encoding=3, text=["X", "Y"]))
        w.tags.add(M.APIC(encoding=3, mime="image/jpeg", type=3, desc="Old", data=pic_data[0][3]))
        w.save()
        self.case("wav with an id3 chunk, new tags", self.serve_riff, id3wav, "id3wav_new", RICH,
                  pictures=pics)
        self.case("wav with an id3 chunk, untouched", self.untouched, id3wav, "id3wav")

        # A hand-built WAV: odd-sized 8-bit mono data, cue/smpl/adtl kept, INFO and id3 after
        # the data, an ID3v1 tag appended after the RIFF.
        fmt = struct.pack("<HHIIHH", 1, 1, 8000, 8000, 1, 8)
        data = bytes((128 + int(100 * ((i // 9) % 2 * 2 - 1))) & 0xFF for i in range(8001))
        cue = struct.pack("<I", 1) + struct.pack("<II4sIII", 1, 0, b"data", 0, 0, 100)
        adtl = b"adtl" + riff_chunk(b"labl", struct.pack("<I", 1) + b"marker\0")
        smpl = struct.pack("<9I", 0, 0, 125000, 60, 0, 0, 0, 0, 0)
        old_info = b"INFO" + riff_chunk(b"INAM", b"old\0")
        old_id3 = T.id3v24_tag([T.id3v24_frame(b"TIT2", b"\x03old")])
        built = riff_file([riff_chunk(b"fmt ", fmt), riff_chunk(b"fact", struct.pack("<I", 8001)),
                           riff_chunk(b"cue ", cue), riff_chunk(b"data", data),
                           riff_chunk(b"LIST", adtl), riff_chunk(b"smpl", smpl),
                           riff_chunk(b"LIST", old_info), riff_chunk(b"id3 ", old_id3)],
                          trailing=T.id3v1_tag())
        odd = self.path("handmade.wav")
        with open(odd, "wb") as f:
            f.write(built)
        self.case("wav odd data, cue/smpl/adtl kept, tags after data dropped",
                  self.serve_riff, odd, "handmade", RICH, pictures=pics[1:])

        # The same without the pad byte after the odd data chunk (a common writer bug).
        unpadded = self.path("unpadded.wav")
        with open(unpadded, "wb") as f:
            body = built[:-128]
            at = body.index(b"data" + struct.pack("<I", 8001)) + 8 + 8001
            fixed = body[:at] + body[at + 1:]
            fixed = fixed[:4] + struct.pack("<I", len(fixed) - 8) + fixed[8:]
            f.write(fixed)
        self.case("wav odd data chunk without its pad byte", self.serve_riff, unpadded,
                  "unpadded", {"title": "x"}, reference=odd)

        ext24 = self.path("ext24.wav")
        T.sine_wav(ext24, bits=24, channels=3)
        self.case("wav 24-bit, 3 channels (WAVE_FORMAT_EXTENSIBLE)", self.serve_riff, ext24,
                  "ext24", UNICODE)
        mp3wav = self.path("mp3.wav")
        T.ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libmp3lame",
                 "-f", "wav", mp3wav)
        self.case("wav with MP3 audio", self.serve_riff, mp3wav, "mp3wav", {"title": "mp3 in wav"})

        trunc = self.path("truncated.wav")
        with open(plain, "rb") as f:
            whole = f.read()
        with open(trunc, "wb") as f:
            f.write(whole[:-1000])
        self.case("wav with a truncated data chunk", self.serve_riff, trunc, "truncated",
                  {"title": "cut"}, truncated=True)
        trunc_odd = self.path("truncated_odd.wav")
        with open(trunc_odd, "wb") as f:
            f.write(whole[:-1001])  # a partial sample frame at the end, as in the original
        self.case("wav with a truncated data chunk of odd size", self.serve_riff, trunc_odd,
                  "truncated_odd", {"title": "cut"}, truncated=True)
        self.case("wav RF64 refused", self.refused_rf64)

        aiff = self.path("plain.aiff")
        T.sine_wav(aiff)
        self.case("aiff plain, rich tags and pictures", self.serve_riff, aiff, "aiff_rich", RICH,
                  pictures=pics)
        self.case("aiff unicode, ID3v2.3", self.serve_riff, aiff, "aiff_v23", UNICODE, version=3)
        self.case("aiff 64 KiB values", self.serve_riff, aiff, "aiff_big", BIG)
        aiffid3 = self.path("id3.aiff")
        shutil.copy(aiff, aiffid3)
        a = mutagen.aiff.AIFF(aiffid3)
        a.add_tags()
        a.tags.add(M.TIT2(encoding=3, text=["Old AIFF title"]))
        a.tags.add(M.APIC(encoding=3, mime="image/png", type=4, desc="Old", data=pic_data[1][3]))
        a.save()
        self.case("aiff with ID3, untouched", self.untouched, aiffid3, "aiffid3")
        self.case("aiff with ID3, new tags", self.serve_riff, aiffid3, "aiffid3_new", RICH)
        aifc = self.path("plain.aifc")
        T.ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16le",
                 "-f", "aiff", aifc)
        T.check(open(aifc, "rb").read(12)[8:] == b"AIFC", "ffmpeg did not write AIFF-C")
        self.case("aifc (sowt)", self.serve_riff, aifc, "aifc", RICH, pictures=pics[1:])

        # A hand-built AIFF with text chunks, a marker and an odd-sized APPL chunk.
        _, plain_chunks = split_chunks(aiff)
        comm = dict(plain_chunks)[b"COMM"]
        ssnd = dict(plain_chunks)[b"SSND"]
        mark = struct.pack(">HHI", 1, 1, 100) + b"\x03abc"
        handmade = riff_file([riff_chunk(b"COMM", comm, True), riff_chunk(b"NAME", b"Old", True),
                              riff_chunk(b"AUTH", b"Old author", True),
                              riff_chunk(b"ANNO", b"Old note", True),
                              riff_chunk(b"(c) ", b"Old c", True),
                              riff_chunk(b"MARK", mark, True),
                              riff_chunk(b"APPL", b"odd!x", True), riff_chunk(b"SSND", ssnd, True)],
                             form=b"AIFF", big=True)
        handmade_path = self.path("handmade.aiff")
        with open(handmade_path, "wb") as f:
            f.write(handmade)
        self.case("aiff text chunks replaced, MARK/APPL kept", self.serve_riff, handmade_path,
                  "aiff_handmade", RICH)

    def refused_rf64(self):
        rf64 = self.path("rf64.wav")
        T.ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "pcm_s16le",
                 "-rf64", "always", rf64)
        s = T.serve(T.FORMAT_RIFF, rf64, self.path("rf64.out.wav"), tags={"title": "x"})
        T.check(s.rc == 2 and "RF64" in s.stderr, "RF64 not refused with a reason: %d %s" %
                (s.rc, s.stderr))


# --- fuzz --------------------------------------------------------------------------------

class FuzzSuite(Suite):
    TIMEOUT = 30

    def seeds(self):
        pics = self.pictures()
        pic_data = self.picture_tuples(pics)
        wav = self.path("seed.wav")
        T.sine_wav(wav, seconds=0.5)
        mp3 = self.path("seed.mp3")
        T.lame(wav, mp3, "-V", "4")
        tagged = self.path("seed_tagged.mp3")
        shutil.copy(mp3, tagged)
        T.mutagen_id3(tagged, [M.TIT2(encoding=3, text=["t"]),
                               M.APIC(encoding=3, mime="image/png", type=3, desc="",
                                      data=pic_data[1][3])])
        ape = mutagen.apev2.APEv2()
        ape["Title"] = "x"
        ape.save(tagged)
        with open(tagged, "ab") as f:
            f.write(T.id3v1_tag())
        unsync = self.path("seed_unsync.mp3")
        with open(unsync, "wb") as f, open(mp3, "rb") as g:
            f.write(T.id3v23_tag([T.id3v23_frame(b"APIC", T.apic_body(pic_data[1][3])),
                                  T.compressed_v23_apic(pic_data[1][3])], unsync=True,
                                 extended=True) + g.read() + T.lyrics3v2() + T.id3v1_tag())
        id3wav = self.path("seed_id3.wav")
        shutil.copy(wav, id3wav)
        w = mutagen.wave.WAVE(id3wav)
        w.add_tags()
        w.tags.add(M.APIC(encoding=3, mime="image/png", type=3, desc="", data=pic_data[1][3]))
        w.save()
        aiff = self.path("seed.aiff")
        T.sine_wav(aiff, seconds=0.5)
        a = mutagen.aiff.AIFF(aiff)
        a.add_tags()
        a.tags.add(M.TIT2(encoding=3, text=["t"]))
        a.save()
        return [mp3, tagged, unsync, id3wav, aiff]

    def variants(self, seed, rng):
        with open(seed, "rb") as f:
            data = f.read()
        n = len(data)
        cuts = sorted({0, 1, 3, 4, 9, 10, 11, 12, 13, 20, 100, 1000, n // 2, n - 129, n - 128,
                       n - 127, n - 33, n - 32, n - 1})
        for c in cuts:
            if 0 <= c < n:
                yield "cut%d" % c, data[:c]
        for i in range(12):
            b = bytearray(data)
            region = [(0, min(n, 4096)), (max(0, n - 600), n), (0, n)][i % 3]
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(region[0], max(region[0] + 1, region[1]))
                if pos < n:
                    b[pos] = rng.randrange(256)
            yield "flip%d" % i, bytes(b)
        # Sizes pushed to their limits where each format keeps them.
        for i, (pos, value) in enumerate([(6, b"\x7f\x7f\x7f\x7f"), (4, b"\xff\xff\xff\xff"),
                                          (16, b"\xff\xff\xff\xff"), (40, b"\xff\xff\xff\xff"),
                                          (n - 20, b"\xff\xff\xff\x7f"),
                                          (n - 140, b"\x00\x00\x00\x00")]):
            if 0 <= pos <= n - 4:
                yield "size%d" % i, data[:pos] + value + data[pos + 4:]

    def traps(self):
        """Files built to make a careless writer loop, allocate or read without end."""
        with open(self.path("seed.mp3"), "rb") as f:
            mp3 = f.read()
        empty_tag = b"ID3\x04\x00\x00\x00\x00\x00\x00"
        yield "many_front_tags.mp3", empty_tag * 100000 + mp3
        yield "many_end_tags.mp3", mp3 + T.id3v1_tag() * 20000
        yield "free_format_junk.mp3", T.id3v24_tag([]) + b"\xff\xfb\x00\x00\x11" * 250000 + mp3
        yield "sync_junk.mp3", b"\xff\xfb\x90\x64" * 300000
        zipped = T.id3v23_frame(b"APIC", struct.pack(">I", 0x0FFFFFFF) + zlib_bomb(), 0x0080)
        yield "zip_claim.mp3", T.id3v23_tag([zipped]) + mp3
        yield "huge_ape.mp3", mp3 + b"APETAGEX" + struct.pack("<IIII", 2000, 0xFFFFFFF0, 1, 0) + \
            b"\0" * 8
        with open(self.path("seed.wav"), "rb") as f:
            wav = f.read()
        chunks = b"JUNK\0\0\0\0" * 200000
        yield "many_chunks.wav", wav[:4] + struct.pack("<I", len(wav) - 8 + len(chunks)) + \
            wav[8:12] + chunks + wav[12:]
        yield "huge_chunk.wav", wav[:12] + b"fmt " + b"\xff\xff\xff\xff" + wav[20:]

    def run_one(self, plugin, original, label, tags, pictures):
        out = original + ".out"
        try:
            s = T.serve(plugin, original, out, tags=tags, pictures=pictures,
                        timeout=self.TIMEOUT)
        except subprocess.TimeoutExpired:
            raise T.Failure("%s: the writer hung (more than %d s)" % (label, self.TIMEOUT))
        T.check(s.rc in (0, 2), "%s: exit %d (crash or error): %s" % (label, s.rc, s.stderr[-800:]))
        if s.rc == 2:
            T.check("layout failed" in s.stderr and len(s.stderr.strip()) > 20,
                    "%s: refused without a reason: %r" % (label, s.stderr))
        return s.rc

    def fuzz_file(self, path, label, tags, pictures, counts):
        for plugin in (T.FORMAT_MP3, T.FORMAT_RIFF):
            for pics in (None, pictures):
                rc = self.run_one(plugin, path, "%s via %s" % (label, os.path.basename(plugin)),
                                  tags, pics)
                counts[rc] = counts.get(rc, 0) + 1

    def run(self):
        rng = random.Random(20240611)
        pics = self.pictures()[1:]
        tags = {"title": "Fuzz ✓", "artist": ["A", "B"], "comment": "c"}
        counts = {}
        for seed in self.seeds():
            for name, data in self.variants(seed, rng):
                path = self.path("%s.%s%s" % (os.path.basename(seed), name,
                                              os.path.splitext(seed)[1]))
                with open(path, "wb") as f:
                    f.write(data)
                self.case("fuzz %s" % os.path.basename(path), self.fuzz_file, path,
                          os.path.basename(path), tags, pics, counts)
                os.unlink(path)
        print("fuzz: %d served, %d refused" % (counts.get(0, 0), counts.get(2, 0)))
        for name, data in self.traps():
            path = self.path(name)
            with open(path, "wb") as f:
                f.write(data)
            self.case("trap %s" % name, self.fuzz_file, path, name, tags, pics, counts)

        corpus = T.CORPUS
        if not corpus or not os.path.isdir(corpus):
            print("SKIP corpus: %r is absent (the public corpus lives beside the checkout)" %
                  corpus)
            return
        files = []
        for root, _, names in os.walk(corpus):
            for name in names:
                if name.lower().endswith((".mp3", ".wav", ".aif", ".aiff")):
                    files.append(os.path.join(root, name))
        counts = {}
        for path in sorted(files):
            local = self.path("corpus" + os.path.splitext(path)[1].lower())
            shutil.copy(path, local)
            self.case("corpus %s" % os.path.relpath(path, corpus), self.fuzz_file, local,
                      os.path.relpath(path, corpus), tags, pics, counts)
        print("corpus: %d files, %d served, %d refused" % (len(files), counts.get(0, 0),
                                                          counts.get(2, 0)))


def zlib_bomb():
    """1 MB of zeros deflated to 1 KB, in a frame that claims 256 MiB."""
    return zlib.compress(b"\0" * 1000000)


def missing_tools():
    missing = [t for t in ("lame", "sox", "ffmpeg", "mp3val") if shutil.which(t) is None]
    for var in ("LAYOUT_TOOL", "TAGDUMP", "META_TAGLIB", "FORMAT_MP3", "FORMAT_RIFF"):
        path = getattr(T, var)
        if not path or not os.path.exists(path):
            missing.append("MUSICFS_%s (%r)" % (var, path))
    return missing


def main():
    suites = {"mp3": Mp3Suite, "riff": RiffSuite, "fuzz": FuzzSuite}
    if len(sys.argv) != 2 or sys.argv[1] not in suites:
        print(__doc__)
        return 2
    missing = missing_tools()
    if missing:
        print("SKIP: missing %s" % ", ".join(missing))
        return SKIP
    with tempfile.TemporaryDirectory(prefix="musicfs-mp3-riff-") as workdir:
        suite = suites[sys.argv[1]](workdir)
        try:
            suite.run()
        except Exception:  # noqa: BLE001 - making the originals failed: report it
            suite.failures.append(("setup", traceback.format_exc()))
            print(traceback.format_exc())
        print("%d passed, %d failed" % (suite.passed, len(suite.failures)))
        for name, _ in suite.failures:
            print("FAILED: %s" % name)
        return 1 if suite.failures else 0


if __name__ == "__main__":
    sys.exit(main())
