"""Helpers of test_flac_ogg.py: running the layout tool and the TagLib tag dump, Picard's Vorbis
comment mapping as the tests expect it, reading tags and pictures back with mutagen, and raw
FLAC / Ogg surgery to craft originals the encoders do not produce (an application block, audio
sharing the last header page, tiny header pages, multiplexed streams).

Runs under /usr/bin/python3 (it has mutagen)."""

import base64
import collections
import json
import os
import struct
import subprocess

import mutagen
import mutagen.flac
import mutagen.oggflac
import mutagen.oggopus
import mutagen.oggvorbis

# --- Environment ------------------------------------------------------------------------------

LAYOUT_TOOL = os.environ.get("MUSICFS_LAYOUT_TOOL", "")
TAGDUMP = os.environ.get("MUSICFS_TAGDUMP", "")
META_TAGLIB = os.environ.get("MUSICFS_META_TAGLIB", "")
FORMAT_FLAC = os.environ.get("MUSICFS_FORMAT_FLAC", "")
FORMAT_OGG = os.environ.get("MUSICFS_FORMAT_OGG", "")
CORPUS = os.environ.get("MUSICFS_CORPUS", "")


def run(cmd, timeout=120, **kw):
    """Runs `cmd`; returns the CompletedProcess (bytes output)."""
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          **kw)


def must(cmd, **kw):
    p = run(cmd, **kw)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(map(str, cmd)), p.returncode,
                                                   p.stderr.decode(errors="replace")[-2000:]))
    return p


class Layout:
    """The outcome of one musicfs_layout_tool run."""

    def __init__(self, returncode, summary, stderr):
        self.returncode = returncode
        self.summary = summary  # the tool's JSON (size, segments) when it exited 0
        self.stderr = stderr


def layout(plugin, original, out, tags=None, pictures=None, chunk=None, timeout=120, workdir=None):
    """Serves `original` through `plugin` into `out`. `tags`: list of (key, value) or None (no
    --tags: an empty tag list); `pictures`: None keeps the original's, a list of
    (type, mime, description, path) replaces them ([] removes them)."""
    cmd = [LAYOUT_TOOL, "--plugin", plugin]
    if tags is not None:
        grouped = collections.OrderedDict()
        for k, v in tags:
            grouped.setdefault(k, []).append(v)
        tags_path = out + ".tags.json"
        with open(tags_path, "w", encoding="utf-8") as f:
            json.dump(grouped, f, ensure_ascii=False)
        cmd += ["--tags", tags_path]
    if pictures is not None:
        if not pictures:
            cmd.append("--no-pictures")
        for t, mime, desc, path in pictures:
            cmd += ["--picture", "%d:%s:%s:%s" % (t, mime, desc, path)]
    if chunk:
        cmd += ["--chunk", str(chunk)]
    cmd += [original, out]
    p = run(cmd, timeout=timeout, cwd=workdir)
    summary = None
    if p.returncode == 0:
        summary = json.loads(p.stdout.decode())
    return Layout(p.returncode, summary, p.stderr.decode(errors="replace"))


def tagdump(paths):
    """Picard-named tags as meta-taglib (TagLib) reads them: {path: [(k, v), ...] or None}."""
    out = {}
    if not paths:
        return out
    p = must([TAGDUMP, "--plugin", META_TAGLIB] + list(paths), timeout=300)
    for line in p.stdout.decode().splitlines():
        d = json.loads(line)
        out[d["file"]] = [tuple(kv) for kv in d["tags"]] if d["rc"] == 0 else None
    return out


# --- Picard's Vorbis comment mapping, as the writers must apply it ------------------------------
# picard/formats/vorbis.py (VCommentFile._save); movementnumber is written MOVEMENTNUMBER (see
# plugins/format-flac/vorbis_comment.hpp for why).

PICARD_TO_VORBIS = {
    "musicbrainz_recordingid": "MUSICBRAINZ_TRACKID",
    "musicbrainz_trackid": "MUSICBRAINZ_RELEASETRACKID",
    "movement": "MOVEMENTNAME",
    "movementnumber": "MOVEMENTNUMBER",
}


def vorbis_fields(tags):
    """The comment fields (name upper-cased, value) a request must produce."""
    out = []
    for k, v in tags:
        if not v:
            continue
        key, _, desc = k.partition(":")
        if key in ("performer", "comment") and ":" in k:
            out.append((key.upper(), v + (" (%s)" % desc if desc else "")))
        elif key == "lyrics" and ":" in k:
            out.append(("LYRICS", v))
        elif k == "totaltracks":
            out += [("TRACKTOTAL", v), ("TOTALTRACKS", v)]
        elif k == "totaldiscs":
            out += [("DISCTOTAL", v), ("TOTALDISCS", v)]
        else:
            out.append((PICARD_TO_VORBIS.get(k, k.upper()), v))
    return out


# The reading side (plugins/meta-taglib/tag_names.cpp), mirrored for fields read with mutagen.
READER_RENAMED = {
    "ALBUM ARTIST": "albumartist", "ARTISTWEBPAGE": "website", "COPYRIGHTURL": "license",
    "DISCTOTAL": "totaldiscs", "ENCODING": "encodersettings", "GAPLESSPLAYBACK": "gapless",
    "INITIALKEY": "key", "MOVEMENTCOUNT": "movementtotal", "MOVEMENTNAME": "movement",
    "MUSICBRAINZ DISC ID": "musicbrainz_discid",
    "MUSICBRAINZ ORIGINAL ALBUM ID": "musicbrainz_originalalbumid",
    "MUSICBRAINZ ORIGINAL ARTIST ID": "musicbrainz_originalartistid",
    "MUSICBRAINZ TRM ID": "musicbrainz_trmid", "MUSICBRAINZ_ALBUMSTATUS": "releasestatus",
    "MUSICBRAINZ_ALBUMTYPE": "releasetype", "MUSICBRAINZ_RELEASETRACKID": "musicbrainz_trackid",
    "MUSICBRAINZ_TRACKID": "musicbrainz_recordingid",
    "MUSICIP FINGERPRINT": "musicip_fingerprint",
    "MUSICMAGIC FINGERPRINT": "musicip_fingerprint", "SHOWWORKMOVEMENT": "showmovement",
    "TOTALDISCS": "totaldiscs", "TOTALTRACKS": "totaltracks", "TRACKTOTAL": "totaltracks",
    "TVSHOW": "show",
}
READER_WITH_TOTAL = {"DISCNUMBER": "totaldiscs", "MOVEMENTNUMBER": "movementtotal",
                     "TRACKNUMBER": "totaltracks"}
PICTURE_FIELDS = ("METADATA_BLOCK_PICTURE", "COVERART", "COVERARTMIME")


def picard_from_fields(fields):
    """Picard tags from raw comment fields, as meta-taglib reports them."""
    out, seen = [], set()

    def push(k, v):
        if v and (k, v) not in seen:
            seen.add((k, v))
            out.append((k, v))

    for name, value in fields:
        upper = name.upper()
        if upper in PICTURE_FIELDS:
            continue
        if upper in READER_WITH_TOTAL:
            number, _, total = value.partition("/")
            push(upper.lower(), number.strip())
            push(READER_WITH_TOTAL[upper], total.strip())
        else:
            push(READER_RENAMED.get(upper, name.lower()), value)
    return out


def readback_of_request(tags):
    """What a reader reports for a request: the request with Picard's folded names
    (performer:ROLE -> performer "value (ROLE)", lyrics:desc -> lyrics), duplicates dropped."""
    return picard_from_fields(vorbis_fields(tags))


def grouped(tags):
    """{key: [values in order]} (the order across keys does not matter; within one does)."""
    g = collections.OrderedDict()
    for k, v in tags or []:
        g.setdefault(k, []).append(v)
    return dict(g)


# --- Reading served files with mutagen ----------------------------------------------------------

def open_mutagen(path, kind):
    cls = {"flac": mutagen.flac.FLAC, "vorbis": mutagen.oggvorbis.OggVorbis,
           "opus": mutagen.oggopus.OggOpus, "oggflac": mutagen.oggflac.OggFLAC}[kind]
    return cls(path)


def raw_fields(f):
    """The comment fields in file order, as (name, value)."""
    return [(k, v) for k, v in (f.tags or [])]


def pictures_of(f, kind):
    """[(type, mime, description, data)] of a file opened with open_mutagen."""
    if kind == "flac":
        pics = list(f.pictures)
    else:
        pics = [mutagen.flac.Picture(base64.b64decode(v))
                for k, v in raw_fields(f) if k.upper() == "METADATA_BLOCK_PICTURE"]
    return [(p.type, p.mime, p.desc, bytes(p.data)) for p in pics]


# --- FLAC surgery ---------------------------------------------------------------------------------

def flac_blocks(data):
    """(offset of the first block, [(type, body)], audio offset) of a FLAC file."""
    pos = data.index(b"fLaC") + 4
    start, blocks = pos, []
    while True:
        hdr = data[pos]
        length = int.from_bytes(data[pos + 1:pos + 4], "big")
        blocks.append((hdr & 0x7F, data[pos + 4:pos + 4 + length]))
        pos += 4 + length
        if hdr & 0x80:
            return start, blocks, pos


def flac_with_blocks(data, blocks):
    """The FLAC `data` with its metadata blocks replaced by `blocks` [(type, body)]."""
    start, _, audio = flac_blocks(data)
    out = bytearray(data[:start])
    for i, (t, body) in enumerate(blocks):
        out.append(t | (0x80 if i + 1 == len(blocks) else 0))
        out += len(body).to_bytes(3, "big") + body
    return bytes(out) + data[audio:]


def id3v2_tag(title):
    """A small ID3v2.4 tag with a TIT2 frame (what some rippers put before a FLAC stream)."""
    frame_body = b"\x03" + title.encode("utf-8")
    frame = b"TIT2" + syncsafe(len(frame_body)) + b"\x00\x00" + frame_body
    padding = b"\x00" * 100
    return b"ID3\x04\x00\x00" + syncsafe(len(frame) + len(padding)) + frame + padding


def syncsafe(n):
    return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])


def id3v1_tag(title):
    t = title.encode("latin-1")[:30].ljust(30, b"\x00")
    return b"TAG" + t + b"\x00" * 30 + b"\x00" * 30 + b"2000" + b"\x00" * 30 + b"\xff"


# --- Ogg surgery ----------------------------------------------------------------------------------

def _crc_table():
    table = []
    for i in range(256):
        r = i << 24
        for _ in range(8):
            r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else (r << 1)
        table.append(r & 0xFFFFFFFF)
    return table


_CRC = _crc_table()


def ogg_crc(data):
    crc = 0
    for b in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _CRC[((crc >> 24) ^ b) & 0xFF]
    return crc


class Page:
    def __init__(self, flags, granule, serial, seq, lacing, body, offset=0):
        self.flags, self.granule, self.serial, self.seq = flags, granule, serial, seq
        self.lacing, self.body, self.offset = list(lacing), bytes(body), offset

    def bytes(self):
        head = struct.pack("<4sBBqIIIB", b"OggS", 0, self.flags, self.granule, self.serial,
                           self.seq, 0, len(self.lacing)) + bytes(self.lacing)
        raw = bytearray(head + self.body)
        raw[22:26] = struct.pack("<I", ogg_crc(raw))
        return bytes(raw)


def crc_error(raw):
    """The stored CRC of the page `raw` xor its right CRC: 0 when the CRC is right."""
    zeroed = raw[:22] + b"\x00\x00\x00\x00" + raw[26:]
    return ogg_crc(zeroed) ^ struct.unpack("<I", raw[22:26])[0]


def crc_right(raw):
    return crc_error(raw) == 0


def ogg_pages(data):
    pages, pos = [], 0
    while pos + 27 <= len(data) and data[pos:pos + 4] == b"OggS":
        _, flags, granule, serial, seq, _, n = struct.unpack("<BBqIIIB", data[pos + 4:pos + 27])
        lacing = data[pos + 27:pos + 27 + n]
        size = sum(lacing)
        body = data[pos + 27 + n:pos + 27 + n + size]
        page = Page(flags, granule, serial, seq, lacing, body, pos)
        page.raw = data[pos:pos + 27 + n + size]
        pages.append(page)
        pos += 27 + n + size
    return pages


def header_page_count(pages, packets):
    """How many pages hold the first `packets` packets."""
    done = 0
    for i, p in enumerate(pages):
        done += sum(1 for v in p.lacing if v < 255)
        if done >= packets:
            return i + 1
    raise ValueError("not enough packets")


def renumbered(pages, first_seq=None):
    seq = pages[0].seq if first_seq is None else first_seq
    out = []
    for p in pages:
        out.append(Page(p.flags, p.granule, p.serial, seq, p.lacing, p.body))
        seq += 1
    return out


def ogg_bytes(pages):
    return b"".join(p.bytes() for p in pages)


def merge_tail(data, header_packets):
    """The Ogg file with its first audio page merged into the last header page: audio that does
    not start on a fresh page (allowed by Ogg, unusual in practice)."""
    pages = ogg_pages(data)
    h = header_page_count(pages, header_packets)
    last, first_audio = pages[h - 1], pages[h]
    assert not first_audio.flags & 1 and len(last.lacing) + len(first_audio.lacing) <= 255
    merged = Page(last.flags, first_audio.granule, last.serial, last.seq,
                  last.lacing + first_audio.lacing, last.body + first_audio.body)
    return ogg_bytes(renumbered(pages[:h - 1] + [merged] + pages[h + 1:]))


def split_headers(data, header_packets, per_page):
    """The Ogg file with the header packets after the first spread over pages of at most
    `per_page` lacing values: a comment packet spanning many pages."""
    pages = ogg_pages(data)
    h = header_page_count(pages, header_packets)
    lacing, body = [], b""
    for p in pages[1:h]:
        lacing += p.lacing
        body += p.body
    new, at = [], 0
    for i in range(0, len(lacing), per_page):
        chunk = lacing[i:i + per_page]
        size = sum(chunk)
        flags = 1 if i > 0 and lacing[i - 1] == 255 else 0
        granule = 0 if any(v < 255 for v in chunk) else -1
        new.append(Page(flags, granule, pages[0].serial, 0, chunk, body[at:at + size]))
        at += size
    return ogg_bytes(renumbered([pages[0]] + new + pages[h:]))


def flac_ogg_unknown_count(data):
    """The Ogg FLAC file with the header-packet count of its first packet set to 0 (unknown)."""
    pages = ogg_pages(data)
    body = bytearray(pages[0].body)
    body[7:9] = b"\x00\x00"
    pages[0].body = bytes(body)
    return ogg_bytes(pages)


def multiplexed(a, b):
    """Two Ogg streams multiplexed: both first pages, then the rest of each."""
    pa, pb = ogg_pages(a), ogg_pages(b)
    assert pa[0].serial != pb[0].serial
    return ogg_bytes([pa[0], pb[0]] + pa[1:] + pb[1:])


def multiplexed_after_headers(a, b, header_packets_a):
    """Stream `a`'s header pages, then all of stream `b`, then `a`'s audio pages: a second
    logical stream that only shows up after the first one's headers."""
    pa, pb = ogg_pages(a), ogg_pages(b)
    h = header_page_count(pa, header_packets_a)
    return ogg_bytes(pa[:h] + pb + pa[h:])
