"""Helpers for the M4A writer's tests (test_mp4.py): MP4 atoms in Python, originals crafted
from an FFmpeg-made file (several mdats, co64, 64-bit and open-ended mdat headers, huge sparse
files), and MP4 tags read back under Picard's names the way Picard itself reads them.

Runs under /usr/bin/python3, which has mutagen.
"""

import os
import struct

from mutagen.mp4 import MP4

# --- atoms --------------------------------------------------------------------------------------

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"dinf", b"edts"}


class Box:
    """An atom: `children` for the containers above, `data` (payload bytes) otherwise."""

    def __init__(self, type_, data=b"", children=None):
        self.type = type_
        self.data = data
        self.children = children

    def find(self, *path):
        node = self
        for t in path:
            node = next((c for c in node.children or [] if c.type == t), None)
            if node is None:
                return None
        return node

    def find_all(self, type_):
        out = []
        for c in self.children or []:
            if c.type == type_:
                out.append(c)
            out.extend(c.find_all(type_))
        return out

    def serialize(self):
        payload = self.data if self.children is None else b"".join(
            c.serialize() for c in self.children)
        return struct.pack(">I4s", len(payload) + 8, self.type) + payload


def read_header(buf, pos, end):
    """(type, header size, atom size) of the atom at `pos`; size 0 runs to `end`."""
    size, type_ = struct.unpack(">I4s", buf[pos:pos + 8])
    header = 8
    if size == 1:
        size = struct.unpack(">Q", buf[pos + 8:pos + 16])[0]
        header = 16
    elif size == 0:
        size = end - pos
    return type_, header, size


def parse(buf, pos=0, end=None):
    """The atoms of buf[pos:end] as Boxes, containers parsed into children."""
    end = len(buf) if end is None else end
    out = []
    while pos + 8 <= end:
        type_, header, size = read_header(buf, pos, end)
        if size < header or pos + size > end:
            raise ValueError("bad atom %r at %d" % (type_, pos))
        if type_ in CONTAINERS:
            out.append(Box(type_, children=parse(buf, pos + header, pos + size)))
        else:
            out.append(Box(type_, data=bytes(buf[pos + header:pos + size])))
        pos += size
    return out


def top_level(path):
    """[(type, offset, header size, size)] of a file's top-level atoms, read header by header."""
    out = []
    file_size = os.path.getsize(path)
    with open(path, "rb") as f:
        pos = 0
        while pos + 8 <= file_size:
            f.seek(pos)
            head = f.read(16)
            type_, header, size = read_header(head, 0, file_size - pos)
            out.append((type_, pos, header, size))
            if size <= 0:
                break
            pos += size
    return out


def read_moov(path):
    """The moov of a file as a Box (read whole, however big the file)."""
    for type_, offset, header, size in top_level(path):
        if type_ == b"moov":
            with open(path, "rb") as f:
                f.seek(offset)
                return parse(f.read(size))[0]
    raise ValueError("no moov in %s" % path)


def chunk_offsets(box):
    """The entries of an stco or co64 box."""
    count = struct.unpack(">I", box.data[4:8])[0]
    fmt = ">%dQ" % count if box.type == b"co64" else ">%dI" % count
    width = 8 if box.type == b"co64" else 4
    return list(struct.unpack(fmt, box.data[8:8 + width * count]))


def samples(path):
    """(offset, size) of every sample of the file's first track, from stsc/stco|co64/stsz."""
    stbl = read_moov(path).find(b"trak", b"mdia", b"minf", b"stbl")
    stsc = stbl.find(b"stsc").data
    stsz = stbl.find(b"stsz").data
    table = stbl.find(b"stco") or stbl.find(b"co64")
    chunks = chunk_offsets(table)
    uniform, count = struct.unpack(">II", stsz[4:12])
    sizes = [uniform] * count if uniform else list(struct.unpack(">%dI" % count, stsz[12:12 + 4 * count]))
    runs = [struct.unpack(">III", stsc[8 + 12 * i:20 + 12 * i])
            for i in range(struct.unpack(">I", stsc[4:8])[0])]
    out = []
    sample = 0
    for index, chunk_offset in enumerate(chunks, start=1):
        per_chunk = [r[1] for r in runs if r[0] <= index][-1]
        pos = chunk_offset
        for _ in range(per_chunk):
            if sample >= count:
                break
            out.append((pos, sizes[sample]))
            pos += sizes[sample]
            sample += 1
    return out


def craft(src, dst, *, moov_first=True, table=b"stco", per_chunk=5, mdats=1, mdat_header="32",
          free_after_moov=0, free_between=0, lead_free=0, moov_edit=None):
    """Writes `dst`: the first track of `src` re-laid out as asked, samples byte for byte.

    per_chunk: samples per chunk; mdats: how many mdat atoms share the chunks; mdat_header:
    "32", "64" (size 1 + largesize) or "zero" (size 0, last atom only); free_*: sizes of free
    atoms after moov, between mdats, before the first mdat (a lead_free of gigabytes stays a
    hole in a sparse file); moov_edit(moov Box): changes to make to moov.
    Returns the chunk offsets written."""
    first_type, _, _, first_size = top_level(src)[0]
    with open(src, "rb") as f:
        ftyp = f.read(first_size) if first_type == b"ftyp" else b""
    moov = read_moov(src)
    sample_list = samples(src)
    with open(src, "rb") as f:
        blobs = []
        for offset, size in sample_list:
            f.seek(offset)
            blobs.append(f.read(size))
    chunks = [blobs[i:i + per_chunk] for i in range(0, len(blobs), per_chunk)]

    stbl = moov.find(b"trak", b"mdia", b"minf", b"stbl")
    runs = [(1, per_chunk, 1)]
    if len(blobs) % per_chunk:
        runs.append((len(chunks), len(blobs) % per_chunk, 1))
    stbl.find(b"stsc").data = struct.pack(">II", 0, len(runs)) + b"".join(
        struct.pack(">III", *r) for r in runs)
    for c in list(stbl.children):
        if c.type in (b"stco", b"co64"):
            stbl.children.remove(c)
    width = 8 if table == b"co64" else 4
    offsets_box = Box(table, data=struct.pack(">II", 0, len(chunks)) + b"\0" * width * len(chunks))
    stbl.children.append(offsets_box)
    if moov_edit:
        moov_edit(moov)
    moov_size = len(moov.serialize())

    def free(n):
        return struct.pack(">I4s", n, b"free") + b"\0" * (n - 8) if n else b""

    # Chunks into mdats, as evenly as they go.
    groups = [chunks[len(chunks) * i // mdats:len(chunks) * (i + 1) // mdats] for i in range(mdats)]
    pieces = [ftyp]  # (bytes | ("hole", n) | "moov")
    if moov_first:
        pieces += ["moov", free(free_after_moov)]
    if lead_free:
        pieces.append(("hole", lead_free))
    for i, group in enumerate(groups):
        payload = b"".join(b"".join(c) for c in group)
        if mdat_header == "64":
            head = struct.pack(">I4sQ", 1, b"mdat", len(payload) + 16)
        elif mdat_header == "zero" and i == len(groups) - 1 and moov_first:
            head = struct.pack(">I4s", 0, b"mdat")
        else:
            head = struct.pack(">I4s", len(payload) + 8, b"mdat")
        pieces += [head, ("chunks", group)]
        if free_between and i + 1 < len(groups):
            pieces.append(free(free_between))
    if not moov_first:
        pieces += [free(free_after_moov), "moov"]

    offsets = []
    pos = 0
    for p in pieces:
        if p == "moov":
            pos += moov_size
        elif isinstance(p, tuple) and p[0] == "hole":
            pos += p[1]
        elif isinstance(p, tuple):
            for c in p[1]:
                offsets.append(pos)
                pos += sum(len(s) for s in c)
        else:
            pos += len(p)
    if table == b"stco" and offsets and max(offsets) >= 1 << 32:
        raise ValueError("offsets do not fit stco")
    fmt = ">%dQ" % len(offsets) if table == b"co64" else ">%dI" % len(offsets)
    offsets_box.data = struct.pack(">II", 0, len(offsets)) + struct.pack(fmt, *offsets)
    moov_bytes = moov.serialize()
    assert len(moov_bytes) == moov_size

    with open(dst, "wb") as f:
        for p in pieces:
            if p == "moov":
                f.write(moov_bytes)
            elif isinstance(p, tuple) and p[0] == "hole":
                # A free atom whose payload is a hole: 32-bit size when it fits.
                n = p[1]
                if n < 1 << 32:
                    f.write(struct.pack(">I4s", n, b"free"))
                    f.seek(n - 8, os.SEEK_CUR)
                else:
                    f.write(struct.pack(">I4sQ", 1, b"free", n))
                    f.seek(n - 16, os.SEEK_CUR)
            elif isinstance(p, tuple):
                for c in p[1]:
                    f.write(b"".join(c))
            else:
                f.write(p)
        f.truncate(f.tell())
    return offsets


def text_atom(type_, value):
    """An ilst-style item (or QuickTime udta text atom) holding one UTF-8 `data` atom."""
    data = struct.pack(">I4sII", 16 + len(value), b"data", 1, 0) + value
    return Box(type_, data=data)


# --- tags under Picard's names ------------------------------------------------------------------

# Picard 2.x, picard/formats/mp4.py, MP4File._load.
TEXT_TAGS = {
    "\xa9ART": "artist", "\xa9nam": "title", "\xa9alb": "album", "\xa9wrt": "composer",
    "aART": "albumartist", "\xa9grp": "grouping", "\xa9day": "date", "\xa9gen": "genre",
    "\xa9lyr": "lyrics", "\xa9cmt": "comment", "\xa9too": "encodedby", "\xa9dir": "director",
    "cprt": "copyright", "soal": "albumsort", "soaa": "albumartistsort", "soar": "artistsort",
    "sonm": "titlesort", "soco": "composersort", "sosn": "showsort", "tvsh": "show",
    "purl": "podcasturl", "\xa9mvn": "movement", "\xa9wrk": "work",
}
BOOL_TAGS = {"pcst": "podcast", "cpil": "compilation", "pgap": "gapless"}
INT_TAGS = {"tmpo": "bpm", "\xa9mvi": "movementnumber", "\xa9mvc": "movementtotal",
            "shwm": "showmovement"}
_FF = "----:com.apple.iTunes:"
FREEFORM_TAGS = {_FF + k: v for k, v in {
    "MusicBrainz Track Id": "musicbrainz_recordingid",
    "MusicBrainz Artist Id": "musicbrainz_artistid",
    "MusicBrainz Album Id": "musicbrainz_albumid",
    "MusicBrainz Album Artist Id": "musicbrainz_albumartistid",
    "MusicIP PUID": "musicip_puid",
    "MusicBrainz Album Status": "releasestatus",
    "MusicBrainz Album Release Country": "releasecountry",
    "MusicBrainz Album Type": "releasetype",
    "MusicBrainz Disc Id": "musicbrainz_discid",
    "MusicBrainz TRM Id": "musicbrainz_trmid",
    "MusicBrainz Work Id": "musicbrainz_workid",
    "MusicBrainz Release Group Id": "musicbrainz_releasegroupid",
    "MusicBrainz Release Track Id": "musicbrainz_trackid",
    "MusicBrainz Original Album Id": "musicbrainz_originalalbumid",
    "MusicBrainz Original Artist Id": "musicbrainz_originalartistid",
    "Acoustid Fingerprint": "acoustid_fingerprint",
    "Acoustid Id": "acoustid_id",
    "ASIN": "asin", "BARCODE": "barcode", "PRODUCER": "producer", "LYRICIST": "lyricist",
    "CONDUCTOR": "conductor", "ENGINEER": "engineer", "MIXER": "mixer", "DJMIXER": "djmixer",
    "REMIXER": "remixer", "ISRC": "isrc", "MEDIA": "media", "LABEL": "label",
    "LICENSE": "license", "CATALOGNUMBER": "catalognumber", "SUBTITLE": "subtitle",
    "DISCSUBTITLE": "discsubtitle", "MOOD": "mood", "SCRIPT": "script", "LANGUAGE": "language",
    "ARTISTS": "artists", "WORK": "work", "initialkey": "key",
}.items()}
FREEFORM_TAGS_CI = {(_FF + k).lower(): k.lower() for k in (
    "REPLAYGAIN_ALBUM_GAIN", "REPLAYGAIN_ALBUM_PEAK", "REPLAYGAIN_ALBUM_RANGE",
    "REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK", "REPLAYGAIN_TRACK_RANGE",
    "REPLAYGAIN_REFERENCE_LOUDNESS")}

def picard_tags(path):
    """{Picard name: [values]} of an MP4 file, read with mutagen as Picard's MP4File._load does
    (covr left out; a 0 total in trkn/disk means "no total")."""
    tags = MP4(path).tags or {}
    out = {}

    def add(name, value):
        out.setdefault(name, []).append(value)

    for name, values in tags.items():
        lower = name.lower()
        if name in TEXT_TAGS:
            for v in values:
                add(TEXT_TAGS[name], v)
        elif name in BOOL_TAGS:
            add(BOOL_TAGS[name], "1" if values else "0")
        elif name in INT_TAGS:
            for v in values:
                add(INT_TAGS[name], str(v))
        elif name in FREEFORM_TAGS:
            for v in values:
                add(FREEFORM_TAGS[name], bytes(v).decode("utf-8", "replace").strip("\x00"))
        elif lower in FREEFORM_TAGS_CI:
            for v in values:
                add(FREEFORM_TAGS_CI[lower], bytes(v).decode("utf-8", "replace").strip("\x00"))
        elif name == _FF + "fingerprint":
            for v in values:
                v = bytes(v).decode("utf-8", "replace").strip("\x00")
                if v.startswith("MusicMagic Fingerprint"):
                    add("musicip_fingerprint", v[22:])
        elif name in ("trkn", "disk"):
            number, total = values[0]
            prefix = "track" if name == "trkn" else "disc"
            add(prefix + "number", str(number))
            if total:
                add("total%ss" % prefix, str(total))
        elif name == "covr":
            continue
        elif name.startswith(_FF):
            for v in values:
                add(lower[len(_FF):], bytes(v).decode("utf-8", "replace").strip("\x00"))
        else:
            add("<unmapped %r>" % name, repr(values))
    return out


def covers(path):
    """[(imageformat, bytes)] of the covr item."""
    tags = MP4(path).tags or {}
    return [(int(c.imageformat), bytes(c)) for c in tags.get("covr", [])]


def as_dict(pairs):
    """[(key, value)] -> {key: [values]} keeping each key's values in order, empties dropped."""
    out = {}
    for k, v in pairs:
        if v != "":
            out.setdefault(k, []).append(v)
    return out
