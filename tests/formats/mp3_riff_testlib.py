"""Helpers for the MP3/WAV/AIFF format-writer tests (test_mp3_riff.py).

Runs musicfs_layout_tool with a writer plugin and reads what it served with programs nobody
here wrote: mutagen (interpreted with Picard's ID3 reading rules, so that values come back under
Picard names), TagLib through the meta-taglib plugin (MusicFS's own reading side), ffmpeg and
mp3val. Originals are made with lame, sox, ffmpeg and mutagen, plus hand-built tag bytes for
what no tool writes any more (ID3v2.2, unsynchronisation, extended headers, compressed frames,
APE tags after ID3v1, Lyrics3).
"""

import hashlib
import json
import os
import re
import struct
import subprocess
import zlib

import mutagen
import mutagen.id3
from mutagen.id3 import ID3

ENV = os.environ
LAYOUT_TOOL = ENV.get("MUSICFS_LAYOUT_TOOL", "")
TAGDUMP = ENV.get("MUSICFS_TAGDUMP", "")
META_TAGLIB = ENV.get("MUSICFS_META_TAGLIB", "")
FORMAT_MP3 = ENV.get("MUSICFS_FORMAT_MP3", "")
FORMAT_RIFF = ENV.get("MUSICFS_FORMAT_RIFF", "")
CORPUS = ENV.get("MUSICFS_CORPUS", "")

TOOL_TIMEOUT = 60


class Failure(AssertionError):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


def run(cmd, timeout=TOOL_TIMEOUT, check_rc=True):
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise Failure("%s failed (%d): %s" % (cmd[0], p.returncode,
                                              p.stderr.decode(errors="replace")[-2000:]))
    return p


# --- making originals ----------------------------------------------------------------------

def sine_wav(path, seconds=1.0, rate=44100, channels=2, bits=16, extra=()):
    run(["sox", "-n", "-r", str(rate), "-c", str(channels), "-b", str(bits), *extra, path,
         "synth", str(seconds), "sine", "440"])


def lame(src, dst, *args):
    run(["lame", "--quiet", *args, src, dst])


def ffmpeg(*args):
    run(["ffmpeg", "-v", "error", "-y", *args])


def jpeg(path, size, noise=True):
    """A real JPEG (JFIF) made by ffmpeg; noise compresses badly, for big pictures."""
    src = ("nullsrc=s=%dx%d,geq=random(1)*255:128:128" % (size, size)) if noise else \
        ("testsrc=size=%dx%d" % (size, size))
    ffmpeg("-f", "lavfi", "-i", src, "-frames:v", "1", "-q:v", "2", path)
    with open(path, "rb") as f:
        data = f.read()
    check(data[:3] == b"\xff\xd8\xff", "ffmpeg did not make a JPEG")
    return data


def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def unsynchronise(data):
    out = bytearray()
    for i, b in enumerate(data):
        out.append(b)
        if b == 0xFF and (i + 1 == len(data) or data[i + 1] == 0 or data[i + 1] >= 0xE0):
            out.append(0)
    return bytes(out)


def id3v22_tag(title, artist, picture=None):
    """An ID3v2.2 tag (3-character frame ids, PIC with a 3-character image format)."""
    def frame(fid, body):
        n = len(body)
        return fid + bytes([(n >> 16) & 0xFF, (n >> 8) & 0xFF, n & 0xFF]) + body
    frames = frame(b"TT2", b"\x01" + "\ufeff".encode("utf-16-le") + title.encode("utf-16-le"))
    frames += frame(b"TP1", b"\x00" + artist.encode("latin-1"))
    if picture is not None:
        frames += frame(b"PIC", b"\x00JPG\x03Cover\x00" + picture)
    return b"ID3\x02\x00\x00" + syncsafe(len(frames) + 64) + frames + b"\x00" * 64


def id3v23_frame(fid, body, flags=0):
    return fid + struct.pack(">IH", len(body), flags) + body


def id3v23_tag(frames, unsync=False, extended=False, padding=32):
    """An ID3v2.3 tag, optionally with an extended header and unsynchronisation."""
    body = b""
    flags = 0
    if extended:
        body += struct.pack(">IHI", 6, 0, padding)
        flags |= 0x40
    body += b"".join(frames) + b"\x00" * padding
    if unsync:
        body = unsynchronise(body)
        flags |= 0x80
    return b"ID3\x03\x00" + bytes([flags]) + syncsafe(len(body)) + body


def id3v24_frame(fid, body, flags=0):
    return fid + syncsafe(len(body)) + struct.pack(">H", flags) + body


def id3v24_tag(frames, extended=False, footer=False, padding=0):
    body = b""
    flags = 0
    if extended:
        body += syncsafe(6) + b"\x01\x00"
        flags |= 0x40
    body += b"".join(frames) + b"\x00" * padding
    if footer:
        flags |= 0x10
    head = b"ID3\x04\x00" + bytes([flags]) + syncsafe(len(body))
    return head + body + ((b"3DI" + head[3:]) if footer else b"")


def apic_body(data, desc="Cover", mime="image/jpeg", ptype=3, encoding=0):
    enc = {0: desc.encode("latin-1") + b"\x00",
           1: b"\xff\xfe" + desc.encode("utf-16-le") + b"\x00\x00",
           3: desc.encode("utf-8") + b"\x00"}[encoding]
    return bytes([encoding]) + mime.encode() + b"\x00" + bytes([ptype]) + enc + data


def compressed_v23_apic(data, desc="Zipped"):
    body = apic_body(data, desc)
    return id3v23_frame(b"APIC", struct.pack(">I", len(body)) + zlib.compress(body), 0x0080)


def id3v1_tag(title="v1 title", artist="v1 artist"):
    return (b"TAG" + title.encode().ljust(30, b"\0") + artist.encode().ljust(30, b"\0") +
            b"v1 album".ljust(30, b"\0") + b"1999" + b"v1 comment".ljust(28, b"\0") +
            b"\x00\x05\x11")


def ape_tag(items, header=True):
    """An APEv2 tag; items: {key: text}."""
    body = b""
    for k, v in items.items():
        value = v.encode()
        body += struct.pack("<II", len(value), 0) + k.encode() + b"\x00" + value
    size = len(body) + 32
    flags = 1 << 31 if header else 0
    footer = b"APETAGEX" + struct.pack("<IIII", 2000, size, len(items), flags) + b"\x00" * 8
    head = b"APETAGEX" + struct.pack("<IIII", 2000, size, len(items),
                                     flags | (1 << 29)) + b"\x00" * 8
    return (head if header else b"") + body + footer


def lyrics3v2(text="la la la"):
    body = b"LYRICSBEGIN" + b"IND00003110" + b"LYR" + b"%05d" % len(text) + text.encode()
    return body + b"%06d" % len(body) + b"LYRICS200"


def mutagen_id3(path, frames, v2_version=4, v1=0):
    tags = ID3()
    for f in frames:
        tags.add(f)
    tags.save(path, v2_version=v2_version, v1=v1)


# --- serving -------------------------------------------------------------------------------

class Served:
    def __init__(self, rc, summary, stderr, out):
        self.rc, self.summary, self.stderr, self.out = rc, summary, stderr, out


def serve(plugin, original, out, tags=None, pictures=None, no_pictures=False, config=None,
          workdir=None, timeout=TOOL_TIMEOUT):
    """Runs the layout tool. pictures: list of (type, mime, desc, path)."""
    cmd = [LAYOUT_TOOL, "--plugin", plugin]
    if tags is not None:
        tags_path = out + ".tags.json"
        with open(tags_path, "w", encoding="utf-8") as f:
            json.dump(tags, f, ensure_ascii=False)
        cmd += ["--tags", tags_path]
    for ptype, mime, desc, path in pictures or []:
        cmd += ["--picture", "%d:%s:%s:%s" % (ptype, mime, desc, path)]
    if no_pictures:
        cmd.append("--no-pictures")
    for k, v in (config or {}).items():
        cmd += ["--config", "%s=%s" % (k, v)]
    cmd += [original, out]
    p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    summary = None
    if p.returncode == 0:
        # The host's log lines may come first: the summary is the last line.
        summary = json.loads(p.stdout.decode().strip().splitlines()[-1])
        check(summary["size"] == os.path.getsize(out),
              "%s: served %d bytes, the layout says %d" % (original, os.path.getsize(out),
                                                          summary["size"]))
    return Served(p.returncode, summary, p.stderr.decode(errors="replace"), out)


def serve_ok(*args, **kwargs):
    s = serve(*args, **kwargs)
    check(s.rc == 0, "the writer refused %s: %s" % (args[1], s.stderr.strip()))
    return s


# --- reading back --------------------------------------------------------------------------

# Picard's ID3 reading (picard/formats/id3.py, ID3File._load), for values read with mutagen.
PICARD_FRAMES = {
    "TIT2": "title", "TIT3": "subtitle", "TALB": "album", "TSST": "discsubtitle",
    "TSRC": "isrc", "TPE1": "artist", "TPE2": "albumartist", "TPE3": "conductor",
    "TPE4": "remixer", "TEXT": "lyricist", "TCOM": "composer", "TENC": "encodedby",
    "TBPM": "bpm", "TKEY": "key", "TLAN": "language", "TCON": "genre", "TMED": "media",
    "TMOO": "mood", "TCOP": "copyright", "TPUB": "label", "TDOR": "originaldate",
    "TDRC": "date", "TSSE": "encodersettings", "TSOA": "albumsort", "TSOP": "artistsort",
    "TSOT": "titlesort", "TOAL": "originalalbum", "TOPE": "originalartist",
    "TOFN": "originalfilename", "TCMP": "compilation", "TSOC": "composersort",
    "TSO2": "albumartistsort", "MVNM": "movement", "GRP1": "grouping", "TIT1": "grouping",
}
PICARD_URLS = {"WOAR": "website", "WCOP": "license"}
PICARD_FREETEXT = {
    "MusicBrainz Artist Id": "musicbrainz_artistid",
    "MusicBrainz Album Id": "musicbrainz_albumid",
    "MusicBrainz Album Artist Id": "musicbrainz_albumartistid",
    "MusicBrainz Album Type": "releasetype",
    "MusicBrainz Album Status": "releasestatus",
    "MusicBrainz TRM Id": "musicbrainz_trmid",
    "MusicBrainz Release Track Id": "musicbrainz_trackid",
    "MusicBrainz Disc Id": "musicbrainz_discid",
    "MusicBrainz Work Id": "musicbrainz_workid",
    "MusicBrainz Release Group Id": "musicbrainz_releasegroupid",
    "MusicBrainz Original Album Id": "musicbrainz_originalalbumid",
    "MusicBrainz Original Artist Id": "musicbrainz_originalartistid",
    "MusicBrainz Album Release Country": "releasecountry",
    "MusicIP PUID": "musicip_puid",
    "Acoustid Fingerprint": "acoustid_fingerprint",
    "Acoustid Id": "acoustid_id",
    "SCRIPT": "script", "LICENSE": "license", "CATALOGNUMBER": "catalognumber",
    "BARCODE": "barcode", "ASIN": "asin", "MusicMagic Fingerprint": "musicip_fingerprint",
    "ARTISTS": "artists", "DIRECTOR": "director", "WORK": "work", "Writer": "writer",
    "writer": "writer", "SHOWMOVEMENT": "showmovement",
}
PICARD_FREETEXT_CI = {k: k for k in (
    "replaygain_album_gain", "replaygain_album_peak", "replaygain_album_range",
    "replaygain_track_gain", "replaygain_track_peak", "replaygain_track_range",
    "replaygain_reference_loudness")}
PICARD_TIPL = {"engineer": "engineer", "arranger": "arranger", "producer": "producer",
               "DJ-mix": "djmixer", "mix": "mixer"}
PICARD_WRITTEN_NAMES = set(PICARD_FRAMES.values()) | set(PICARD_URLS.values())


def picard_tags_from_id3(tags):
    """{Picard name: [values]} of a mutagen ID3 object, read as Picard reads it."""
    out = {}

    def add(name, value):
        if value != "" and value not in out.setdefault(name, []):
            out[name].append(value)

    frames = list(tags.values()) if tags is not None else []
    has_tmoo = any(f.FrameID == "TMOO" for f in frames)
    for frame in frames:
        fid = frame.FrameID
        if fid in PICARD_FRAMES:
            for text in frame.text:
                add(PICARD_FRAMES[fid], str(text))
        elif fid in PICARD_URLS:
            add(PICARD_URLS[fid], frame.url)
        elif fid == "COMM":
            if frame.lang == "eng":
                name = "comment:%s" % frame.desc
            else:
                name = "comment:%s:%s" % (frame.lang, frame.desc)
            for text in frame.text:
                add(name.rstrip(":"), str(text))
        elif fid in ("TMCL", "TIPL"):
            for role, person in frame.people:
                if fid == "TIPL" and role in PICARD_TIPL:
                    add(PICARD_TIPL[role], person)
                elif role and role != "performer":
                    add("performer:" + role, person)
                else:
                    add("performer", person)
        elif fid == "TXXX":
            desc = frame.desc
            if desc == "mood" and not has_tmoo:
                name = "mood"  # Picard upgrades TXXX:mood (its ID3v2.3 spelling) to TMOO
            elif desc.lower() in PICARD_FREETEXT_CI:
                name = PICARD_FREETEXT_CI[desc.lower()]
            elif desc in PICARD_FREETEXT:
                name = PICARD_FREETEXT[desc]
            elif desc in PICARD_WRITTEN_NAMES:
                name = "~id3:TXXX:" + desc
            else:
                name = desc
            for text in frame.text:
                add(name, str(text))
        elif fid == "USLT":
            add("lyrics:%s" % frame.desc if frame.desc else "lyrics", frame.text)
        elif fid == "UFID" and frame.owner == "http://musicbrainz.org":
            add("musicbrainz_recordingid", frame.data.decode("ascii", "ignore"))
        elif fid in ("TRCK", "TPOS", "MVIN"):
            number, _, total = frame.text[0].partition("/")
            names = {"TRCK": ("tracknumber", "totaltracks"), "TPOS": ("discnumber", "totaldiscs"),
                     "MVIN": ("movementnumber", "movementtotal")}[fid]
            add(names[0], number.strip())
            add(names[1], total.strip())
    return out


def mutagen_id3_of(path, load_v1=True):
    """The ID3 tag mutagen finds in an MP3, WAV or AIFF file (None without one); for MP3,
    with the values of an ID3v1 tag added where the ID3v2 tag lacks them, as mutagen does,
    unless load_v1 is False."""
    if not load_v1 and path.endswith((".mp3", ".mp2")):
        try:
            return ID3(path, load_v1=False)
        except mutagen.id3.ID3NoHeaderError:
            return None
    f = mutagen.File(path)
    check(f is not None, "mutagen does not recognise %s" % path)
    return f.tags


def mutagen_picard_tags(path, load_v1=True):
    return picard_tags_from_id3(mutagen_id3_of(path, load_v1))


def mutagen_pictures(path):
    tags = mutagen_id3_of(path)
    if tags is None:
        return []
    return [(f.type, f.mime, f.desc, f.data) for f in tags.getall("APIC")]


def taglib_tags(paths):
    """{path: (format, {name: [values]})} as meta-taglib reads them."""
    p = run([TAGDUMP, "--plugin", META_TAGLIB, *paths])
    result = {}
    for line in p.stdout.decode().splitlines():
        doc = json.loads(line)
        tags = {}
        for k, v in doc.get("tags", []):
            tags.setdefault(k, []).append(v)
        result[doc["file"]] = (doc.get("format"), tags, doc["rc"])
    return result


def as_lists(tags):
    out = {}
    for k, v in tags.items():
        values = v if isinstance(v, list) else [v]
        values = [x for x in values if x != ""]
        if values:
            out[k] = list(dict.fromkeys(values))
    return out


def diff(want, got):
    lines = []
    for k in sorted(set(want) | set(got)):
        if want.get(k) != got.get(k):
            lines.append("  %s: want %r, got %r" % (k, short(want.get(k)), short(got.get(k))))
    return "\n".join(lines)


def short(v):
    if v is None:
        return None
    return [x if len(x) < 80 else x[:40] + "...(%d chars)" % len(x) for x in v]


# --- audio checks --------------------------------------------------------------------------

def audio_md5(path):
    p = run(["ffmpeg", "-v", "error", "-i", path, "-map", "0:a:0", "-c:a", "copy", "-f", "md5",
             "-"])
    return p.stdout.decode().strip()


def ffmpeg_decode_errors(path):
    p = subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", path, "-f", "null", "-"],
                       capture_output=True, timeout=TOOL_TIMEOUT)
    if p.returncode != 0:
        return p.stderr.decode(errors="replace").strip() or "exit %d" % p.returncode
    return p.stderr.decode(errors="replace").strip()


MP3VAL_LINE = re.compile(r'^(WARNING|ERROR): "[^"]*"(?: \(offset 0x[0-9a-f]+\))?: (.*)$')


def mp3val_problems(path):
    """mp3val's warnings and errors, without file names and offsets."""
    p = run(["mp3val", path], check_rc=False)
    problems = set()
    for line in p.stdout.decode(errors="replace").splitlines():
        m = MP3VAL_LINE.match(line.strip())
        if m:
            problems.add("%s: %s" % (m.group(1), m.group(2)))
    return problems


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- RIFF/IFF structure --------------------------------------------------------------------

def chunks(path):
    """[(id, payload)] of a RIFF/WAVE or FORM/AIFF file, checking sizes and alignment."""
    with open(path, "rb") as f:
        data = f.read()
    big = data[:4] == b"FORM"
    fmt = ">I" if big else "<I"
    check(data[:4] in (b"RIFF", b"FORM"), "%s: not RIFF/FORM" % path)
    check(struct.unpack(fmt, data[4:8])[0] == len(data) - 8,
          "%s: container size %d, file has %d bytes after the header" %
          (path, struct.unpack(fmt, data[4:8])[0], len(data) - 8))
    out = []
    pos = 12
    while pos < len(data):
        check(pos + 8 <= len(data), "%s: partial chunk header at %d" % (path, pos))
        cid = data[pos:pos + 4]
        size = struct.unpack(fmt, data[pos + 4:pos + 8])[0]
        check(pos + 8 + size <= len(data), "%s: chunk %r runs past the end" % (path, cid))
        out.append((cid, data[pos + 8:pos + 8 + size]))
        pos += 8 + size + (size & 1)
    check(pos == len(data), "%s: chunks do not end at the end of the file" % path)
    return out


def riff_info(payload):
    """{field: text} of a LIST/INFO payload (after 'INFO')."""
    out = {}
    pos = 4
    while pos + 8 <= len(payload):
        cid = payload[pos:pos + 4].decode()
        size = struct.unpack("<I", payload[pos + 4:pos + 8])[0]
        out[cid] = payload[pos + 8:pos + 8 + size].rstrip(b"\0").decode()
        pos += 8 + size + (size & 1)
    return out
