#!/usr/bin/python3
"""Tests of the FLAC and Ogg format writers through musicfs_layout_tool.

    test_flac_ogg.py flac|ogg|fuzz

flac / ogg: generates originals with sox, flac, metaflac, oggenc, opusenc, ffmpeg and mutagen
(no tags, unicode, multi-valued, 64 KiB values, big pictures, FLAC without padding, FLAC with
ID3v2 before it and ID3v1 after it, extra FLAC blocks, Ogg comment packets spanning many pages,
audio sharing the last header page, Ogg FLAC, Opus), serves each with several tag requests and
checks the served file with mutagen (tags and pictures), TagLib through meta-taglib (the tags read
back under the same Picard names), metaflac, flac -t, ogginfo, opusinfo, ffmpeg (clean decode,
audio packets identical to the original's) and the layout's size. Files the writers must refuse
(chained and multiplexed Ogg, FLAC blocks over 16 MiB) must be refused with a reason.

fuzz: truncated and corrupted originals, and the .flac/.ogg/.oga/.opus files of
../shared/corpus/public: the tool must exit 0 with a served size equal to the layout's, or 2 (a
refusal with a reason), within a timeout; never crash.

Exit status: 0 passed, 1 failed, 77 skipped (a tool is missing)."""

import concurrent.futures
import functools
import os
import uuid
import random
import shutil
import sys
import tempfile
import threading
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flac_ogg_support as fs  # noqa: E402

TOOLS = ["sox", "flac", "metaflac", "oggenc", "opusenc", "ffmpeg", "ogginfo", "opusinfo"]

# A request with most kinds of Picard tags, unicode, multi-valued ones and Picard's renamed ones.
TAGS_FULL = [
    ("title", "Ünïcödé — 标题 🎵 \"quoted\" = equals"),
    ("artist", "Ärtist A feat. Б"),
    ("artists", "Ärtist A"), ("artists", "Б"),
    ("albumartist", "Various Ärtists"),
    ("album", "Album ☃"),
    ("tracknumber", "3"), ("totaltracks", "12"),
    ("discnumber", "1"), ("totaldiscs", "2"),
    ("date", "2021-05-04"), ("originaldate", "1999"),
    ("genre", "Rock"), ("genre", "Pop"), ("genre", "Jazz"),
    ("composer", "J. S. Bach"),
    ("label", "Label"), ("isrc", "USRC17607839"),
    ("musicbrainz_recordingid", "0d2f5d8a-1111-4c5e-9a7b-000000000001"),
    ("musicbrainz_trackid", "0d2f5d8a-2222-4c5e-9a7b-000000000002"),
    ("musicbrainz_albumid", "0d2f5d8a-3333-4c5e-9a7b-000000000003"),
    ("musicbrainz_artistid", "0d2f5d8a-4444-4c5e-9a7b-000000000004"),
    ("musicbrainz_artistid", "0d2f5d8a-5555-4c5e-9a7b-000000000005"),
    ("replaygain_track_gain", "-6.50 dB"), ("replaygain_track_peak", "0.988235"),
    ("replaygain_album_gain", "-7.01 dB"),
    ("lyrics", "First line\nSecond line ♪\n"),
    ("performer:piano", "Glenn Gould"),
    ("movement", "Allegro"), ("movementnumber", "2"), ("movementtotal", "4"),
    ("comment", "A comment"),
]

BIG_VALUE = ("Ünïcödé ♪ " * 7000)[:65536]  # 64 Ki characters, more bytes in UTF-8
TAGS_BIG = TAGS_FULL + [("lyrics", BIG_VALUE), ("artists", "x" * 65536)]
TAGS_SMALL = [("title", "Small"), ("artist", "Somebody")]


class Results:
    def __init__(self):
        self.checks = 0
        self.failures = []
        self.lock = threading.Lock()

    def check(self, ok, what):
        with self.lock:
            self.checks += 1
            if not ok:
                self.failures.append(what)
        return ok


def tool_missing():
    missing = [t for t in TOOLS if not shutil.which(t)]
    for name, path in [("layout tool", fs.LAYOUT_TOOL), ("tag dump", fs.TAGDUMP),
                       ("meta-taglib", fs.META_TAGLIB), ("format-flac", fs.FORMAT_FLAC),
                       ("format-ogg", fs.FORMAT_OGG)]:
        if not path or not os.path.exists(path):
            missing.append(name)
    return missing


# --- The generated corpus ---------------------------------------------------------------------

class Original:
    """A generated original: `kind` is the ABI format name; `audio_ref` the file whose audio
    packets the served file must carry (the original itself unless tags were glued around a
    clean file)."""

    def __init__(self, name, kind, path, audio_ref=None, plain=False):
        self.name, self.kind, self.path = name, kind, path
        self.audio_ref = audio_ref or path
        self.plain = plain  # encoder output without edits: untouched tags keep the page count

    @property
    def plugin(self):
        return fs.FORMAT_FLAC if self.kind == "flac" else fs.FORMAT_OGG

    @property
    def ext(self):
        return {"flac": ".flac", "vorbis": ".ogg", "opus": ".opus", "oggflac": ".oga"}[self.kind]


def make_media(d):
    """Source audio and pictures."""
    m = {}
    m["wav"] = os.path.join(d, "stereo.wav")
    fs.must(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", m["wav"], "synth", "4",
             "sine", "440", "pinknoise", "vol", "0.5"])
    m["mono"] = os.path.join(d, "mono24.wav")
    fs.must(["sox", "-n", "-r", "48000", "-c", "1", "-b", "24", m["mono"], "synth", "3",
             "sine", "1000", "vol", "0.5"])
    m["short"] = os.path.join(d, "short.wav")
    fs.must(["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", m["short"], "synth", "1",
             "sine", "330", "pinknoise", "vol", "0.5"])
    m["cover"] = os.path.join(d, "cover.jpg")
    fs.must(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=600x600",
             "-frames:v", "1", "-q:v", "3", m["cover"]])
    m["back"] = os.path.join(d, "back.png")
    fs.must(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240",
             "-frames:v", "1", m["back"]])
    m["tiny"] = os.path.join(d, "tiny.jpg")
    fs.must(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=32x32",
             "-frames:v", "1", m["tiny"]])
    # A real JPEG of 1-3 MB: noise does not compress.
    m["big"] = os.path.join(d, "big.jpg")
    fs.must(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
             "nullsrc=s=2000x1500,geq=lum='random(1)*255':cb=128:cr=128",
             "-frames:v", "1", "-q:v", "2", m["big"]])
    # Over 16 MiB: a valid JPEG header followed by random bytes.
    m["huge"] = os.path.join(d, "huge.jpg")
    with open(m["cover"], "rb") as f:
        head = f.read()[:-2]
    with open(m["huge"], "wb") as f:
        f.write(head + random.Random(7).randbytes(17 * 1024 * 1024) + b"\xff\xd9")
    return m


def pictures_request(m):
    return [(3, "image/jpeg", "Front ☃", m["cover"]), (4, "image/png", "", m["back"])]


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def write_file(path, data):
    with open(path, "wb") as f:
        f.write(data)


def make_flac_corpus(d, m):
    out = []

    def p(name):
        return os.path.join(d, name + ".flac")

    fs.must(["flac", "-s", "-f", m["wav"], "-o", p("flac_plain")])
    out.append(Original("flac_plain", "flac", p("flac_plain"), plain=True))

    fs.must(["flac", "-s", "-f", "-T", "TITLE=Ünïcödé title", "-T", "ARTIST=Somebody",
             "-T", "ARTISTS=One", "-T", "ARTISTS=Two", "-T", "TRACKNUMBER=3/12",
             "-T", "MUSICBRAINZ_TRACKID=0d2f5d8a-1111-4c5e-9a7b-000000000001",
             "--picture", "3||Original front||" + m["cover"], m["wav"], "-o", p("flac_tagged")])
    out.append(Original("flac_tagged", "flac", p("flac_tagged")))

    fs.must(["flac", "-s", "-f", "--no-padding", "-T", "TITLE=No padding", m["wav"],
             "-o", p("flac_nopadding")])
    out.append(Original("flac_nopadding", "flac", p("flac_nopadding")))

    # ID3v2 before the stream (some rippers), and ID3v1 after it as well.
    tagged = read_file(p("flac_tagged"))
    write_file(p("flac_id3v2"), fs.id3v2_tag("Old ID3 title") + tagged)
    out.append(Original("flac_id3v2", "flac", p("flac_id3v2"), audio_ref=p("flac_tagged")))
    write_file(p("flac_id3v2_id3v1"),
               fs.id3v2_tag("Old ID3 title") + tagged + fs.id3v1_tag("Old ID3v1 title"))
    out.append(Original("flac_id3v2_id3v1", "flac", p("flac_id3v2_id3v1"),
                        audio_ref=p("flac_tagged")))

    shutil.copy(p("flac_plain"), p("flac_bigpicture"))
    fs.must(["metaflac", "--set-tag=TITLE=Big picture", "--import-picture-from=" + m["big"],
             p("flac_bigpicture")])
    out.append(Original("flac_bigpicture", "flac", p("flac_bigpicture")))

    # SEEKTABLE with many points, CUESHEET, APPLICATION: kept verbatim.
    cue = os.path.join(d, "sheet.cue")
    with open(cue, "w") as f:
        f.write('FILE "stereo.wav" WAVE\n  TRACK 01 AUDIO\n    INDEX 01 00:00:00\n'
                '  TRACK 02 AUDIO\n    INDEX 01 00:02:00\n')
    shutil.copy(p("flac_plain"), p("flac_blocks"))
    fs.must(["metaflac", "--add-seekpoint=0.5s", "--import-cuesheet-from=" + cue,
             p("flac_blocks")])
    data = read_file(p("flac_blocks"))
    _, blocks, _ = fs.flac_blocks(data)
    blocks.insert(2, (2, b"mfst" + bytes(range(256)) * 4))
    write_file(p("flac_blocks"), fs.flac_with_blocks(data, blocks))
    out.append(Original("flac_blocks", "flac", p("flac_blocks")))

    # No VORBIS_COMMENT at all.
    data = read_file(p("flac_plain"))
    _, blocks, _ = fs.flac_blocks(data)
    write_file(p("flac_nocomment"), fs.flac_with_blocks(data, [b for b in blocks if b[0] != 4]))
    out.append(Original("flac_nocomment", "flac", p("flac_nocomment")))

    fs.must(["flac", "-s", "-f", "-T", "TITLE=Mono 24-bit", "-T", "ARTIST=X", m["mono"],
             "-o", p("flac_mono24")])
    out.append(Original("flac_mono24", "flac", p("flac_mono24")))

    # 64 KiB values, multi-valued unicode, written by mutagen.
    shutil.copy(p("flac_plain"), p("flac_bigvalues"))
    f = fs.mutagen.flac.FLAC(p("flac_bigvalues"))
    f["LYRICS"] = [BIG_VALUE]
    f["ARTISTS"] = ["Ärtist A", "Б", "C"]
    f["TITLE"] = ["標題"]
    f.save()
    out.append(Original("flac_bigvalues", "flac", p("flac_bigvalues")))

    # A large padding: the served padding comes from the original's block.
    fs.must(["flac", "-s", "-f", "-P", "1048576", "-T", "TITLE=Padded", m["wav"],
             "-o", p("flac_bigpadding")])
    out.append(Original("flac_bigpadding", "flac", p("flac_bigpadding")))
    return out


def make_ogg_corpus(d, m):
    out = []

    def p(name, ext):
        return os.path.join(d, name + ext)

    fs.must(["oggenc", "-Q", m["wav"], "-o", p("vorbis_plain", ".ogg")])
    out.append(Original("vorbis_plain", "vorbis", p("vorbis_plain", ".ogg"), plain=True))

    fs.must(["oggenc", "-Q", "-t", "Ünïcödé title", "-a", "Somebody", "-l", "Album",
             "-N", "3", "-c", "ARTISTS=One", "-c", "ARTISTS=Two", "-c", "TRACKTOTAL=12",
             m["wav"], "-o", p("vorbis_tagged", ".ogg")])
    out.append(Original("vorbis_tagged", "vorbis", p("vorbis_tagged", ".ogg")))

    # A comment packet spanning many pages: a 200 KB value and a 2 MB picture.
    shutil.copy(p("vorbis_plain", ".ogg"), p("vorbis_bigcomment", ".ogg"))
    f = fs.mutagen.oggvorbis.OggVorbis(p("vorbis_bigcomment", ".ogg"))
    f["DESCRIPTION"] = ["d" * 200000]
    pic = fs.mutagen.flac.Picture()
    pic.type, pic.mime, pic.desc, pic.data = 3, "image/jpeg", "big", read_file(m["big"])
    f["METADATA_BLOCK_PICTURE"] = [fs.base64.b64encode(pic.write()).decode()]
    f.save()
    out.append(Original("vorbis_bigcomment", "vorbis", p("vorbis_bigcomment", ".ogg")))

    # The same audio with the first audio page merged into the comment+setup page.
    write_file(p("vorbis_tail", ".ogg"), fs.merge_tail(read_file(p("vorbis_tagged", ".ogg")), 3))
    out.append(Original("vorbis_tail", "vorbis", p("vorbis_tail", ".ogg")))

    # The header packets over pages of 3 lacing values: a comment spanning many pages, and the
    # setup header sharing pages with it.
    write_file(p("vorbis_smallpages", ".ogg"),
               fs.split_headers(read_file(p("vorbis_tagged", ".ogg")), 3, 3))
    out.append(Original("vorbis_smallpages", "vorbis", p("vorbis_smallpages", ".ogg")))

    fs.must(["oggenc", "-Q", m["mono"], "-o", p("vorbis_mono", ".ogg")])
    out.append(Original("vorbis_mono", "vorbis", p("vorbis_mono", ".ogg")))

    fs.must(["opusenc", "--quiet", m["wav"], p("opus_plain", ".opus")])
    out.append(Original("opus_plain", "opus", p("opus_plain", ".opus"), plain=True))

    fs.must(["opusenc", "--quiet", "--title", "Ünïcödé", "--artist", "Somebody",
             "--comment", "ARTISTS=One", "--comment", "ARTISTS=Two",
             "--picture", "3||Original front||" + m["cover"], m["wav"],
             p("opus_tagged", ".opus")])
    out.append(Original("opus_tagged", "opus", p("opus_tagged", ".opus")))

    fs.must(["opusenc", "--quiet", "--title", "Big picture", "--picture", "3||||" + m["big"],
             m["wav"], p("opus_bigpicture", ".opus")])
    out.append(Original("opus_bigpicture", "opus", p("opus_bigpicture", ".opus")))

    write_file(p("opus_smallpages", ".opus"),
               fs.split_headers(read_file(p("opus_tagged", ".opus")), 2, 7))
    out.append(Original("opus_smallpages", "opus", p("opus_smallpages", ".opus")))

    fs.must(["flac", "-s", "-f", "--ogg", m["wav"], "-o", p("oggflac_plain", ".oga")])
    out.append(Original("oggflac_plain", "oggflac", p("oggflac_plain", ".oga"), plain=True))

    fs.must(["flac", "-s", "-f", "--ogg", "-T", "TITLE=Ünïcödé", "-T", "ARTISTS=One",
             "-T", "ARTISTS=Two", "--picture", "3||Original front||" + m["cover"], m["wav"],
             "-o", p("oggflac_tagged", ".oga")])
    out.append(Original("oggflac_tagged", "oggflac", p("oggflac_tagged", ".oga")))

    write_file(p("oggflac_nocount", ".oga"),
               fs.flac_ogg_unknown_count(read_file(p("oggflac_tagged", ".oga"))))
    out.append(Original("oggflac_nocount", "oggflac", p("oggflac_nocount", ".oga")))
    return out


# --- Checking one served file --------------------------------------------------------------------

def audio_md5(path, copy=True):
    cmd = ["ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0"]
    if copy:
        cmd += ["-c:a", "copy"]
    p = fs.run(cmd + ["-f", "md5", "-"])
    return p.stdout.decode().strip() if p.returncode == 0 else None


def tool_warnings(cmd, path):
    """Lines of ogginfo/opusinfo output that warn or complain, and the exit status."""
    p = fs.run(cmd + [path])
    text = (p.stdout + p.stderr).decode(errors="replace")
    bad = [line.strip() for line in text.splitlines()
           if ("warn" in line.lower() or "error" in line.lower())
           and "METADATA_BLOCK_PICTURE" not in line]
    return p.returncode, bad


@functools.lru_cache(maxsize=None)
def original_md5(path):
    return audio_md5(path)


@functools.lru_cache(maxsize=None)
def original_warnings(tool, path):
    return tool_warnings([tool], path)


class Case:
    """One served file: an original, a request, and what the result must hold."""

    def __init__(self, original, label, tags, pictures, expect_tags, expect_pictures):
        self.original, self.label = original, label
        self.tags, self.pictures = tags, pictures
        self.expect_tags = expect_tags          # Picard tags a reader must report
        self.expect_fields = None               # raw comment fields (Picard's mapping), if known
        self.expect_pictures = expect_pictures  # [(type, mime, desc, data)]
        self.summary = None
        self.out = None


def serve(case, d):
    o = case.original
    case.out = os.path.join(d, "%s.%s%s" % (o.name, case.label, o.ext))
    return fs.layout(o.plugin, o.path, case.out, tags=case.tags, pictures=case.pictures)


def check_case(case, res, readback):
    o = case.original
    what = "%s [%s]" % (o.name, case.label)
    out = case.out
    try:
        size = os.path.getsize(out)
        res.check(size == case.summary["size"],
                  "%s: file has %d bytes, layout says %d" % (what, size, case.summary["size"]))

        # mutagen: raw fields (Picard's mapping) and Picard names read back; pictures.
        f = fs.open_mutagen(out, o.kind)
        fields = fs.raw_fields(f)
        if case.expect_fields is not None:
            got = sorted((k.upper(), v) for k, v in fields if k.upper() not in fs.PICTURE_FIELDS)
            want = sorted(case.expect_fields)
            res.check(got == want, "%s: comment fields differ from Picard's mapping: missing %s, "
                      "extra %s" % (what, short([x for x in want if x not in got]),
                                    short([x for x in got if x not in want])))
        res.check(fs.grouped(fs.picard_from_fields(fields)) == fs.grouped(case.expect_tags),
                  "%s: mutagen reads back %s, expected %s" % (
                      what, short(fs.picard_from_fields(fields)), short(case.expect_tags)))
        res.check(fs.grouped(readback) == fs.grouped(case.expect_tags),
                  "%s: TagLib (meta-taglib) reads back %s, expected %s" % (
                      what, short(readback), short(case.expect_tags)))
        pics = fs.pictures_of(f, o.kind)
        res.check(pics == case.expect_pictures,
                  "%s: pictures %s, expected %s" % (what, pic_text(pics),
                                                    pic_text(case.expect_pictures)))
        if o.kind in ("vorbis", "opus", "oggflac"):
            res.check(f.tags.vendor != "", "%s: empty vendor string" % what)

        # Third-party validators.
        if o.kind == "flac":
            p = fs.run(["metaflac", "--list", out])
            res.check(p.returncode == 0, "%s: metaflac --list failed: %s" % (what, p.stderr[-300:]))
        if o.kind in ("flac", "oggflac"):
            p = fs.run(["flac", "-t", "-s"] + (["--ogg"] if o.kind == "oggflac" else []) + [out])
            res.check(p.returncode == 0 and not p.stderr.strip(),
                      "%s: flac -t failed: %s" % (what, p.stderr[-300:]))
        if o.kind != "flac":
            rc, bad = tool_warnings(["ogginfo"], out)
            _, bad_orig = original_warnings("ogginfo", o.path)
            new = [b for b in bad if b not in bad_orig]
            res.check(rc == 0 and not new, "%s: ogginfo rc %d: %s" % (what, rc, short(new)))
        if o.kind == "opus":
            rc, bad = tool_warnings(["opusinfo"], out)
            res.check(rc == 0 and not bad, "%s: opusinfo rc %d: %s" % (what, rc, short(bad)))
        p = fs.run(["ffmpeg", "-v", "error", "-xerror", "-i", out, "-map", "0:a", "-f", "null",
                    "-"])
        res.check(p.returncode == 0 and not p.stderr.strip(),
                  "%s: ffmpeg decode failed: %s" % (what, p.stderr[-300:]))
        want_md5 = original_md5(o.audio_ref)
        got_md5 = audio_md5(out)
        res.check(want_md5 is not None and got_md5 == want_md5,
                  "%s: audio packets differ from the original (%s vs %s)" % (what, got_md5,
                                                                             want_md5))
    except Exception:  # a checker crash is a failure of this case, not of the suite
        res.check(False, "%s: check crashed: %s" % (what, traceback.format_exc()))


def short(x, n=400):
    s = repr(x)
    return s if len(s) <= n else s[:n] + "..."


def pic_text(pics):
    return [(t, mime, desc, len(data)) for t, mime, desc, data in pics]


def picture_data(m, request):
    return [(t, mime, desc, read_file(path)) for t, mime, desc, path in request]


def suite_formats(kind_filter, d, res):
    m = make_media(d)
    corpus = make_flac_corpus(d, m) if kind_filter == "flac" else make_ogg_corpus(d, m)
    originals_read = fs.tagdump([o.path for o in corpus])

    cases = []
    for o in corpus:
        orig_pics = fs.pictures_of(fs.open_mutagen(o.path, o.kind), o.kind)
        res.check(originals_read[o.path] is not None,
                  "%s: meta-taglib cannot read the original" % o.name)
        orig_tags = originals_read[o.path] or []
        full = Case(o, "full", TAGS_FULL, pictures_request(m), fs.readback_of_request(TAGS_FULL),
                    picture_data(m, pictures_request(m)))
        full.expect_fields = fs.vorbis_fields(TAGS_FULL)
        big = Case(o, "big", TAGS_BIG, [(3, "image/jpeg", "Big", m["big"])],
                   fs.readback_of_request(TAGS_BIG), picture_data(m, [(3, "image/jpeg", "Big",
                                                                         m["big"])]))
        big.expect_fields = fs.vorbis_fields(TAGS_BIG)
        empty = Case(o, "empty", [], [], [], [])
        empty.expect_fields = []
        keep = Case(o, "keep-pictures", TAGS_SMALL, None, fs.readback_of_request(TAGS_SMALL),
                    orig_pics)
        keep.expect_fields = fs.vorbis_fields(TAGS_SMALL)
        untouched = Case(o, "untouched", orig_tags, None, orig_tags, orig_pics)
        # Technical fields (the channel mask `flac` writes for WAVE_FORMAT_EXTENSIBLE input) are
        # kept from the original unless the request sets them.
        technical = [(k.upper(), v) for k, v in fs.raw_fields(fs.open_mutagen(o.path, o.kind))
                     if k.upper() == "WAVEFORMATEXTENSIBLE_CHANNEL_MASK"]
        for c in (full, big, empty, keep):
            c.expect_fields = c.expect_fields + technical
            c.expect_tags = c.expect_tags + fs.picard_from_fields(technical)
        cases += [full, big, empty, keep, untouched]

    def run_case(case):
        return case, serve(case, d)

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        served = list(pool.map(run_case, cases))
    ok_cases = []
    for case, result in served:
        if res.check(result.returncode == 0, "%s [%s]: layout tool exited %d: %s" % (
                case.original.name, case.label, result.returncode, result.stderr.strip())):
            case.summary = result.summary
            ok_cases.append(case)
    readback = fs.tagdump([c.out for c in ok_cases])
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        list(pool.map(lambda c: check_case(c, res, readback.get(c.out) or []), ok_cases))

    # Properties of the layouts themselves.
    for case in ok_cases:
        o, segs = case.original, case.summary["segments"]
        what = "%s [%s]" % (o.name, case.label)
        if case.label == "full":
            # Deterministic, and the same bytes whatever the read size.
            again = fs.layout(o.plugin, o.path, case.out + ".again", tags=case.tags,
                              pictures=case.pictures, chunk=4099)
            res.check(again.returncode == 0 and read_file(case.out + ".again") ==
                      read_file(case.out) and again.summary == case.summary,
                      "%s: a second layout (read in 4099-byte chunks) differs" % what)
        if case.label == "untouched" and o.plain:
            # Unchanged tags keep the page count / the audio offset: the audio is one range of
            # the original at its own offset, nothing renumbered.
            last = segs[-1]
            res.check(last["kind"] == "original" and not any(s["kind"] == "transformed"
                                                             for s in segs),
                      "%s: audio not served as one original range: %s" % (what, short(segs)))
            if o.kind == "flac":
                res.check(last["start"] == last["source"],
                          "%s: the audio moved from offset %d to %d" % (what, last["source"],
                                                                         last["start"]))
        if case.label == "big" and o.kind != "flac" and o.plain:
            res.check(any(s["kind"] == "transformed" for s in segs),
                      "%s: the page count grew but no page was renumbered" % what)

    refusals(kind_filter, corpus, d, m, res)
    if kind_filter == "ogg":
        damaged_ogg(corpus, d, m, res)
    print("%s: %d originals, %d served files, %d checks" % (kind_filter, len(corpus), len(ok_cases),
                                                           res.checks))


def refusals(kind_filter, corpus, d, m, res):
    """Files the writers must refuse with a reason (exit 2), and a big picture in Vorbis that
    must not be refused."""
    by_name = {o.name: o for o in corpus}
    huge = [(3, "image/jpeg", "Huge", m["huge"])]
    expect = []
    if kind_filter == "flac":
        expect.append((by_name["flac_plain"], TAGS_SMALL, huge, "16777215"))
        expect.append((by_name["flac_plain"], [("lyrics", "x" * (17 * 1024 * 1024))], None,
                       "16777215"))
    else:
        expect.append((by_name["oggflac_plain"], TAGS_SMALL, huge, "16777215"))
        a, b = by_name["vorbis_plain"], by_name["opus_plain"]
        chained = os.path.join(d, "chained.ogg")
        write_file(chained, read_file(a.path) + read_file(b.path))
        chained_o = Original("chained", "vorbis", chained)
        expect.append((chained_o, None, None, "chained"))          # page count kept
        expect.append((chained_o, TAGS_BIG, huge, "chained"))      # page count changed
        muxed = os.path.join(d, "muxed.ogg")
        write_file(muxed, fs.multiplexed(read_file(a.path), read_file(b.path)))
        expect.append((Original("muxed", "vorbis", muxed), TAGS_SMALL, None, "multiplexed"))
        late = os.path.join(d, "muxed_late.ogg")
        write_file(late, fs.multiplexed_after_headers(read_file(a.path), read_file(b.path), 3))
        late_o = Original("muxed_late", "vorbis", late)
        expect.append((late_o, None, None, "multiplexed"))        # page count kept
        expect.append((late_o, TAGS_BIG, huge, "multiplexed"))    # page count changed
    for o, tags, pics, word in expect:
        out = os.path.join(d, o.name + ".refused" + o.ext)
        r = fs.layout(o.plugin, o.path, out, tags=tags, pictures=pics)
        res.check(r.returncode == 2 and word in r.stderr,
                  "%s: expected a refusal mentioning '%s', got exit %d: %s" % (
                      o.name, word, r.returncode, r.stderr.strip()[-300:]))
    if kind_filter == "ogg":
        # Vorbis comments have no 16 MiB limit: a 17 MiB picture is served.
        o = by_name["vorbis_plain"]
        out = os.path.join(d, "vorbis_huge.ogg")
        r = fs.layout(o.plugin, o.path, out, tags=TAGS_SMALL, pictures=huge)
        ok = r.returncode == 0 and os.path.getsize(out) == r.summary["size"]
        if ok:
            pics = fs.pictures_of(fs.open_mutagen(out, "vorbis"), "vorbis")
            ok = len(pics) == 1 and pics[0][3] == read_file(m["huge"])
            ok = ok and audio_md5(out) == audio_md5(o.path)
        res.check(ok, "vorbis_plain with a 17 MiB picture: exit %d %s" % (r.returncode,
                                                                          r.stderr.strip()))


def damaged_ogg(corpus, d, m, res):
    """Renumbering keeps damage as it is: a page whose CRC was wrong is renumbered and stays
    wrong by the same amount; junk between pages is served verbatim, and the pages after it are
    renumbered like the others."""
    o = {x.name: x for x in corpus}["vorbis_plain"]
    data = read_file(o.path)
    pages = fs.ogg_pages(data)
    h = fs.header_page_count(pages, 3)
    assert len(pages) >= h + 3, "vorbis_plain is too short for this test"
    damaged = bytearray(data)
    bad = pages[h + 1]
    damaged[bad.offset + 27 + len(bad.lacing) + len(bad.body) // 2] ^= 0x55
    junk = b"junk before a page: OggS but not a page" + bytes(range(200))
    cut = pages[h + 2].offset
    variant = bytes(damaged[:cut]) + junk + bytes(damaged[cut:])
    path = os.path.join(d, "vorbis_damaged.ogg")
    write_file(path, variant)
    out = os.path.join(d, "vorbis_damaged.served.ogg")
    r = fs.layout(fs.FORMAT_OGG, path, out, tags=TAGS_SMALL, pictures=[(3, "image/jpeg", "Big",
                                                                       m["big"])])
    if not res.check(r.returncode == 0, "vorbis_damaged: exit %d %s" % (r.returncode, r.stderr)):
        return
    served = read_file(out)
    res.check(len(served) == r.summary["size"], "vorbis_damaged: size differs from the layout")
    got = fs.ogg_pages(served)
    res.check(junk in served, "vorbis_damaged: the junk between pages is not served verbatim")
    # ogg_pages stops at the junk; read the pages after it too.
    after = fs.ogg_pages(served[served.index(junk) + len(junk):])
    allpages = got + after
    seqs = [p.seq for p in allpages]
    res.check(seqs == list(range(seqs[0], seqs[0] + len(seqs))),
              "vorbis_damaged: sequence numbers not contiguous: %s" % short(seqs))
    wrong = [p for p in allpages if not fs.crc_right(p.raw)]
    damaged_body = bytes(damaged[bad.offset + 27 + len(bad.lacing):
                                 bad.offset + 27 + len(bad.lacing) + len(bad.body)])
    original_error = fs.crc_error(bytes(damaged[bad.offset:bad.offset + 27 + len(bad.lacing) +
                                                len(bad.body)]))
    res.check(len(wrong) == 1 and wrong[0].body == damaged_body and
              fs.crc_error(wrong[0].raw) == original_error,
              "vorbis_damaged: expected exactly the damaged page with a wrong CRC, got %d" %
              len(wrong))


# --- Fuzz -------------------------------------------------------------------------------------

def structure_offsets(data, kind):
    """Offsets of header structures: FLAC block headers, Ogg page headers of the first pages."""
    offs = set()
    if kind == "flac":
        try:
            start, blocks, audio = fs.flac_blocks(data)
            pos = start
            for _, body in blocks:
                offs.update(range(pos, pos + 4))
                pos += 4 + len(body)
            offs.update(range(audio, audio + 4))
        except (ValueError, IndexError):
            pass
    else:
        for p in fs.ogg_pages(data)[:8]:
            offs.update(range(p.offset, p.offset + 27 + len(p.lacing)))
    return sorted(offs)


def mutations(data, kind, rng):
    """(label, bytes) of truncated and corrupted copies of `data`."""
    size = len(data)
    cuts = set(range(0, 64)) | {size - 1, size - 2, size // 2, size - 4096}
    if kind == "flac":
        try:
            start, blocks, audio = fs.flac_blocks(data)
            pos = start
            for _, body in blocks:
                cuts.update({pos, pos + 1, pos + 4, pos + 5, pos + 4 + len(body) - 1})
                pos += 4 + len(body)
            cuts.update({audio - 1, audio, audio + 1, audio + 2})
        except (ValueError, IndexError):
            pass
    else:
        for p in fs.ogg_pages(data)[:8]:
            end = p.offset + 27 + len(p.lacing) + len(p.body)
            cuts.update({p.offset + 1, p.offset + 26, p.offset + 27, p.offset + 28, end - 1, end,
                         end + 1})
    head = min(size, 65536)
    cuts.update(rng.randrange(1, head) for _ in range(20))
    cuts.update(rng.randrange(1, size) for _ in range(10))
    for c in sorted(x for x in cuts if 0 <= x < size):
        yield "cut@%d" % c, data[:c]
    offs = structure_offsets(data, kind)
    picks = rng.sample(offs, min(len(offs), 90)) + [rng.randrange(0, head) for _ in range(40)]
    for i, off in enumerate(picks):
        b = bytearray(data)
        b[off] = [0x00, 0xFF, b[off] ^ 0x80, b[off] ^ 0x01, rng.randrange(256)][i % 5]
        yield "flip@%d" % off, bytes(b)


def fuzz_one(path, plugin, d, m, label):
    """Runs the tool on one input with two requests; returns a list of problems."""
    problems = []
    last_rc = None
    requests = [("full", TAGS_FULL, [(3, "image/jpeg", "Front", m["tiny"])]), ("keep", [], None)]
    for rlabel, tags, pics in requests:
        # Labels can repeat (a mutation may come up twice): the output name must not.
        out = os.path.join(d, "fz-%s-%s-%s.out" % (label, rlabel, uuid.uuid4().hex[:12]))
        try:
            r = fs.layout(plugin, path, out, tags=tags, pictures=pics, timeout=30)
        except fs.subprocess.TimeoutExpired:
            problems.append("%s [%s]: timed out" % (label, rlabel))
            continue
        last_rc = r.returncode
        if r.returncode == 0:
            size = os.path.getsize(out)
            if size != r.summary["size"]:
                problems.append("%s [%s]: served %d bytes, layout says %d" % (
                    label, rlabel, size, r.summary["size"]))
            os.unlink(out)
        elif r.returncode == 2:
            if "layout failed" not in r.stderr or r.stderr.strip().endswith("):"):
                problems.append("%s [%s]: refused without a reason: %s" % (label, rlabel,
                                                                          r.stderr.strip()))
        else:
            problems.append("%s [%s]: exit %d (crash or error): %s" % (
                label, rlabel, r.returncode, r.stderr.strip()[-300:]))
        if os.path.exists(out + ".tags.json"):
            os.unlink(out + ".tags.json")
    return problems, last_rc


def suite_fuzz(d, res):
    m = make_media(d)
    rng = random.Random(20240229)
    sources = []
    for name, cmd, kind, ext in [
            ("flac", ["flac", "-s", "-f", "-T", "TITLE=x", "--picture", m["tiny"], m["short"],
                      "-o"], "flac", ".flac"),
            ("vorbis", ["oggenc", "-Q", "-t", "x", m["short"], "-o"], "vorbis", ".ogg"),
            ("opus", ["opusenc", "--quiet", "--title", "x", m["short"]], "opus", ".opus"),
            ("oggflac", ["flac", "-s", "-f", "--ogg", "-T", "TITLE=x", m["short"], "-o"],
             "oggflac", ".oga")]:
        path = os.path.join(d, "fuzz-src-" + name + ext)
        fs.must(cmd + [path])
        sources.append((name, kind, path))
    # ID3v2-prefixed FLAC too.
    flac_src = read_file(sources[0][2])
    id3_path = os.path.join(d, "fuzz-src-flac-id3.flac")
    write_file(id3_path, fs.id3v2_tag("x") + flac_src)
    sources.append(("flac-id3", "flac", id3_path))

    jobs = []
    for name, kind, path in sources:
        plugin = fs.FORMAT_FLAC if kind == "flac" else fs.FORMAT_OGG
        data = read_file(path)
        for i, (label, mutated) in enumerate(mutations(data, kind, rng)):
            p = os.path.join(d, "fz-%s-%d%s" % (name, i, os.path.splitext(path)[1]))
            write_file(p, mutated)
            jobs.append((p, plugin, "%s %s" % (name, label)))
    corpus_files = []
    if fs.CORPUS and os.path.isdir(fs.CORPUS):
        for root, _, files in os.walk(fs.CORPUS):
            for f in sorted(files):
                if f.lower().endswith((".flac", ".ogg", ".oga", ".opus")):
                    corpus_files.append(os.path.join(root, f))
        corpus_files.sort()
        for path in corpus_files:
            for plugin in (fs.FORMAT_FLAC, fs.FORMAT_OGG):
                jobs.append((path, plugin, "corpus %s via %s" % (
                    os.path.relpath(path, fs.CORPUS), os.path.basename(plugin))))
    else:
        print("fuzz: %s is absent: the public corpus part is skipped" % (fs.CORPUS or
                                                                        "the corpus"))

    outcomes = {0: 0, 2: 0}

    def job(args):
        path, plugin, label = args
        return fuzz_one(path, plugin, d, m, label.replace("/", "_").replace(" ", "_"))

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        for problems, rc in pool.map(job, jobs):
            res.checks += 1
            res.failures += problems
            if rc in outcomes:
                outcomes[rc] += 1

    served = corpus_audio_checks(corpus_files, d, res) if corpus_files else 0
    print("fuzz: %d mutated originals and %d corpus files (%d runs each with 2 requests); "
          "last request exit 0: %d, exit 2: %d; %d corpus files served with identical audio"
          % (len(jobs) - 2 * len(corpus_files), len(corpus_files), len(jobs), outcomes[0],
             outcomes[2], served))


def corpus_audio_checks(files, d, res):
    """Corpus files that decode cleanly must still decode cleanly, to the same audio, when
    served with new tags."""
    def one(path):
        plugin = fs.FORMAT_FLAC if path.lower().endswith(".flac") else fs.FORMAT_OGG
        ext = os.path.splitext(path)[1]
        clean = fs.run(["ffmpeg", "-v", "error", "-xerror", "-i", path, "-map", "0:a", "-f",
                        "null", "-"])
        if clean.returncode != 0 or clean.stderr.strip():
            return 0
        out = os.path.join(d, "corpus-%d%s" % (abs(hash(path)), ext))
        r = fs.layout(plugin, path, out, tags=TAGS_FULL, pictures=[(3, "image/jpeg", "F",
                                                                     os.path.join(d, "tiny.jpg"))])
        if r.returncode != 0:
            return 0
        want = audio_md5(path, copy=False)
        got = audio_md5(out, copy=False)
        os.unlink(out)
        res.check(want is not None and got == want,
                  "corpus %s: decoded audio differs once served (%s vs %s)" % (path, got, want))
        return 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 4) as pool:
        return sum(pool.map(one, files))


def main():
    suite = sys.argv[1] if len(sys.argv) > 1 else ""
    if suite not in ("flac", "ogg", "fuzz"):
        print(__doc__)
        return 1
    missing = tool_missing()
    if missing:
        print("skipped: missing %s" % ", ".join(missing))
        return 77
    res = Results()
    d = tempfile.mkdtemp(prefix="musicfs-flac-ogg-")
    try:
        if suite == "fuzz":
            suite_fuzz(d, res)
        else:
            suite_formats(suite, d, res)
    finally:
        if not res.failures:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("work files kept in %s" % d)
    for f in res.failures:
        print("FAIL: " + f)
    print("%s: %d checks, %d failures" % (suite, res.checks, len(res.failures)))
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
