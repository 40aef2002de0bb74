#!/usr/bin/env bash
# make-library.sh OUTDIR — generate the MusicFS demo and test library.
#
# A small music collection as people actually have one: albums in folders with messy names,
# several formats, Unicode, duplicates, untagged and broken files, cover art and notes next to
# the music, symlinks. Mounted with MusicFS it becomes a tidy AlbumArtist/Album/NN Title.ext
# tree. The audio is a few seconds of generated tones per track, so the whole library is about
# 2 MB and takes a few seconds to build.
#
# Deterministic: every run produces the same names, tags and bytes. Idempotent: running it again
# replaces OUTDIR. To protect real music, an existing OUTDIR is only replaced when it is empty or
# was made by this script (it holds a MANIFEST.json written by it).
#
# OUTDIR/MANIFEST.json describes what a correct scanner must find; the integration tests use it:
#   tracks[]:  every valid audio file, as {path, format, codec, bytes, sha256, expected_path,
#              expected_tags, symlink_to?}. expected_tags uses Picard tag names (title, artist,
#              albumartist, tracknumber, totaltracks, musicbrainz_recordingid, ...); a value is a
#              string, or a list when the tag has several values. expected_path is where the
#              track must appear in the mounted tree.
#              Favourites/svefn.flac is a relative symlink to a track of the FLAC album. It IS a
#              separate track (origin-local follows file symlinks) with the same tags as its
#              target, so it lands next to it as "02 Svefn-g-englar (2).flac".
#   broken[]:  audio-named files that cannot be read (garbage, truncated): the scanner must
#              report each as unreadable with a reason, and the tree must not show them.
#   ignored[]: files that must not appear in the tree at all (cover art, notes, a dangling
#              symlink); the scanner may or may not mention them.
#   Paths are relative to OUTDIR. One file name is not valid UTF-8 (Unsorted/bad<0xFF>name.flac);
#   in JSON its byte 0xFF is written as the lone surrogate \udcff (Python's surrogateescape),
#   so os.fsencode(path) gives back the bytes on disk.
#
# Needs sox, flac, metaflac, lame, oggenc (vorbis-tools), opusenc (opus-tools), ffmpeg and
# /usr/bin/python3. Exits 77 (the test suite's "skipped" code) when one of them is missing.
set -euo pipefail
export LC_ALL=C.UTF-8

die() { printf 'make-library.sh: %s\n' "$*" >&2; exit "${2:-1}"; }

[[ $# -eq 1 && -n $1 ]] || { printf 'usage: make-library.sh OUTDIR\n' >&2; exit 2; }
out=${1%/}
[[ -n $out ]] || die "refusing to use / as OUTDIR" 2

python=/usr/bin/python3
for tool in sox flac metaflac lame oggenc opusenc ffmpeg "$python"; do
  command -v "$tool" >/dev/null 2>&1 || die "missing tool: $tool (Debian: apt install sox flac lame vorbis-tools opus-tools ffmpeg python3)" 77
done

if [[ -e $out || -L $out ]]; then
  [[ -d $out && ! -L $out ]] || die "$out exists and is not a directory"
  if [[ -n $(ls -A -- "$out") ]] && ! grep -qs '"generator": "make-library.sh"' "$out/MANIFEST.json"; then
    die "$out is not empty and was not made by make-library.sh; refusing to replace it"
  fi
fi

# Build next to OUTDIR and swap it in at the end, so an interrupted run never leaves half a library.
mkdir -p -- "$(dirname -- "$out")"
stage=$(mktemp -d "$out.partial.XXXXXX")
work=$stage/.work
trap 'rm -rf -- "$stage"' EXIT
mkdir -p "$work/records"

n=0  # track counter: names the temporary wav and the manifest record

# Picard tag name -> Vorbis comment field name.
vorbis_key() {
  case $1 in
    totaltracks) echo TRACKTOTAL ;;
    totaldiscs) echo DISCTOTAL ;;
    musicbrainz_recordingid) echo MUSICBRAINZ_TRACKID ;;
    musicbrainz_trackid) echo MUSICBRAINZ_RELEASETRACKID ;;
    *) echo "${1^^}" ;;
  esac
}

# record REL FORMAT CODEC EXPECTED_PATH SYMLINK_TO TAG=VALUE... — one manifest entry.
record() {
  printf '%s\0' "$@" >"$work/records/$(printf '%03d' "$n")"
}

# track FORMAT REL SECONDS "SOX SYNTH ARGS" EXPECTED_PATH TAG=VALUE...
# Synthesises the audio, encodes it to OUTDIR/REL with the given tags (Picard names) and records
# it in the manifest. FORMAT: flac, mp3, vorbis, opus, aac, alac, wav, aiff.
track() {
  local format=$1 rel=$2 seconds=$3 synth=$4 expected=$5
  shift 5
  n=$((n + 1))
  local wav=$work/$n.wav dest=$stage/$rel
  # shellcheck disable=SC2086 # $synth is a list of sox arguments
  sox -R -n -r 44100 -c 2 -b 16 "$wav" synth "$seconds" $synth fade q 0.05 "$seconds" 0.3 vol 0.5
  mkdir -p -- "$(dirname -- "$dest")"

  # Split the tags once; track/disc number and total travel together in ID3 and MP4.
  local -A one=()
  local tag key value
  for tag in "$@"; do one[${tag%%=*}]=${tag#*=}; done
  local trk=${one[tracknumber]:-} disc=${one[discnumber]:-}
  [[ -n $trk && -n ${one[totaltracks]:-} ]] && trk+=/${one[totaltracks]}
  [[ -n $disc && -n ${one[totaldiscs]:-} ]] && disc+=/${one[totaldiscs]}

  local -a args=()
  local codec=$format container=$format
  case $format in
    flac)
      for tag in "$@"; do args+=(-T "$(vorbis_key "${tag%%=*}")=${tag#*=}"); done
      flac --silent --force --best "${args[@]}" -o "$dest" "$wav"
      ;;
    vorbis | opus)
      for tag in "$@"; do args+=(--comment "$(vorbis_key "${tag%%=*}")=${tag#*=}"); done
      # Fixed Ogg serial numbers: both encoders pick a random one otherwise.
      if [[ $format == vorbis ]]; then
        container=ogg
        oggenc --quiet -q 4 --serial "$((1000 + n))" "${args[@]}" -o "$dest" "$wav"
      else
        opusenc --quiet --bitrate "${OPUS_BITRATE:-96}" --serial "$((1000 + n))" "${args[@]}" "$wav" "$dest"
      fi
      ;;
    mp3)
      for tag in "$@"; do
        key=${tag%%=*} value=${tag#*=}
        case $key in
          title) args+=(--tt "$value") ;;
          artist) args+=(--ta "$value") ;;
          album) args+=(--tl "$value") ;;
          date) args+=(--ty "$value") ;;
          genre) args+=(--tg "$value") ;;
          tracknumber) args+=(--tn "$trk") ;;
          albumartist) args+=(--tv "TPE2=$value") ;;
          discnumber) args+=(--tv "TPOS=$disc") ;;
          compilation) args+=(--tv "TCMP=$value") ;;
          musicbrainz_albumid) args+=(--tv "TXXX=MusicBrainz Album Id=$value") ;;
          totaltracks | totaldiscs) ;;
          *) die "track: no ID3 mapping for $key" ;;
        esac
      done
      lame --quiet -V 2 --id3v2-only "${args[@]}" "$wav" "$dest"
      ;;
    aac | alac | wav | aiff)
      for tag in "$@"; do
        key=${tag%%=*} value=${tag#*=}
        case $key in
          albumartist) args+=(-metadata "album_artist=$value") ;;
          tracknumber) args+=(-metadata "track=$trk") ;;
          discnumber) args+=(-metadata "disc=$disc") ;;
          totaltracks | totaldiscs) ;;
          *) args+=(-metadata "$key=$value") ;;
        esac
      done
      case $format in
        aac) container=m4a; args+=(-c:a aac -b:a 128k) ;;
        alac) container=m4a; args+=(-c:a alac) ;;
        wav) codec=pcm_s16le ;;                                 # tags as RIFF INFO
        aiff) codec=pcm_s16be; args+=(-write_id3v2 1) ;;        # tags as an ID3v2.4 chunk
      esac
      # -bitexact keeps encoder versions and timestamps out of the files.
      ffmpeg -nostdin -v error -y -i "$wav" -bitexact "${args[@]}" "$dest"
      ;;
    *) die "track: unknown format $format" ;;
  esac
  record "$rel" "$container" "$codec" "$expected" "" "$@"
}

# --- Album 1: FLAC, fully tagged the way MusicBrainz Picard does it. -------------------------
sr="Downloads/Sigur Ros - Agaetis Byrjun (1999) [FLAC]"
sr_tags=(albumartist="Sigur Rós" album="Ágætis byrjun" totaltracks=3 discnumber=1 totaldiscs=1
  date=1999-06-12 genre=Post-Rock
  musicbrainz_albumid=00000000-0000-4000-8000-00000000a100
  musicbrainz_albumartistid=00000000-0000-4000-8000-00000000a000)
track flac "$sr/01. intro.flac" 3 "sine 220 sine 330" "Sigur Rós/Ágætis byrjun/01 Intro.flac" \
  title=Intro artist="Sigur Rós" tracknumber=1 "${sr_tags[@]}" \
  musicbrainz_artistid=00000000-0000-4000-8000-00000000a000 \
  musicbrainz_recordingid=00000000-0000-4000-8000-00000000a101
svefn=(title=Svefn-g-englar artist="Sigur Rós" tracknumber=2 "${sr_tags[@]}"
  musicbrainz_artistid=00000000-0000-4000-8000-00000000a000
  musicbrainz_recordingid=00000000-0000-4000-8000-00000000a102)
track flac "$sr/02 - Svefn-g-englar.FLAC" 4 "sine 246.9 sine 370" \
  "Sigur Rós/Ágætis byrjun/02 Svefn-g-englar.flac" "${svefn[@]}"
# Two performers: ARTIST is the display string, ARTISTS is set twice (a multi-valued field).
track flac "$sr/sr03_staralfur.flac" 3 "pluck G3 pluck D4" "Sigur Rós/Ágætis byrjun/03 Starálfur.flac" \
  title=Starálfur artist="Sigur Rós feat. amiina" artists="Sigur Rós" artists=amiina \
  tracknumber=3 "${sr_tags[@]}" \
  musicbrainz_artistid=00000000-0000-4000-8000-00000000a000 \
  musicbrainz_artistid=00000000-0000-4000-8000-00000000a001 \
  musicbrainz_recordingid=00000000-0000-4000-8000-00000000a103
ffmpeg -nostdin -v error -y -f lavfi -i color=c=0x1f3a5f:s=64x64 -frames:v 1 -bitexact "$stage/$sr/cover.jpg"
cat >"$stage/$sr/notes.txt" <<'EOF'
Ripped with a drive that was probably fine.
Track 4 got cut off when the disk filled up -- re-rip some day.
EOF
# A rip that died after 100 bytes: the FLAC header is there, the rest is not.
head -c 100 "$stage/$sr/01. intro.flac" >"$stage/$sr/sr04_incomplete.flac"

# --- Album 2: MP3 (ID3v2.3 by lame), a '/' in a title, a title starting with '.'. -----------
nh="mp3/NeonHarbor_-_Night_Drive_(2004)_[V2]"
nh_tags=(albumartist="Neon Harbor" album="Night Drive" date=2004 genre=Synthwave totaltracks=3
  discnumber=1 totaldiscs=1 musicbrainz_albumid=00000000-0000-4000-8000-00000000b100)
track mp3 "$nh/nh-01.mp3" 3 "square 110 sine 440" "Neon Harbor/Night Drive/01 Either_Or.mp3" \
  title=Either/Or artist="Neon Harbor" tracknumber=1 "${nh_tags[@]}"
track mp3 "$nh/nh-02.mp3" 2 "sine 523.3 sine 659.3" "Neon Harbor/Night Drive/02 Coastline.mp3" \
  title=Coastline artist="Neon Harbor feat. Mira Sol" tracknumber=2 "${nh_tags[@]}"
track mp3 "$nh/nh-03.mp3" 3 "sawtooth 82.4 sine 164.8" "Neon Harbor/Night Drive/03 Tail Lights.mp3" \
  title="Tail Lights" artist="Neon Harbor" tracknumber=3 "${nh_tags[@]}"
# No track number: beets pads it to "00"; the title starts with '.', which must not hide it.
track mp3 "$nh/nh-xx interlude.mp3" 2 "sine 880" "Neon Harbor/Night Drive/00 .Interlude.mp3" \
  title=.Interlude artist="Neon Harbor" albumartist="Neon Harbor" album="Night Drive" \
  date=2004 genre=Synthwave

# --- Album 3: Ogg Vorbis, Unicode folder names and titles. ----------------------------------
kq="ogg/kaze quartet/Tōkyō Sketches"
kq_tags=(albumartist="Kaze Quartet" artist="Kaze Quartet" album="Tōkyō Sketches" totaltracks=3
  date=2011 genre=Jazz)
track vorbis "$kq/1 東京.ogg" 3 "pluck A3 pluck E4" "Kaze Quartet/Tōkyō Sketches/01 東京.ogg" \
  title=東京 tracknumber=1 "${kq_tags[@]}"
track vorbis "$kq/2 shibuya rain.ogg" 2 "pinknoise sine 392" \
  "Kaze Quartet/Tōkyō Sketches/02 Shibuya Rain.ogg" title="Shibuya Rain" tracknumber=2 "${kq_tags[@]}"
track vorbis "$kq/3 last train.ogg" 3 "sine 293.7 sine 349.2" \
  "Kaze Quartet/Tōkyō Sketches/03 Last Train.ogg" title="Last Train" tracknumber=3 "${kq_tags[@]}"

# --- Album 4: a compilation, one format per track (Opus, AAC, ALAC, AIFF). ------------------
cs="Compilations/Codec Sampler (2019)"
cs_tags=(albumartist="Various Artists" album="Codec Sampler" compilation=1 totaltracks=4
  discnumber=1 totaldiscs=1 date=2019 genre=Electronic)
glass=(title=Glass artist=Lumen tracknumber=1 "${cs_tags[@]}")
track opus "$cs/01 lumen - glass.opus" 3 "sine 196 sine 294" "Compilations/Codec Sampler/01 Glass.opus" \
  "${glass[@]}"
track aac "$cs/02 mira sol - harbour lights.m4a" 3 "sine 261.6 sine 329.6 sine 392" \
  "Compilations/Codec Sampler/02 Harbour Lights.m4a" \
  title="Harbour Lights" artist="Mira Sol" tracknumber=2 "${cs_tags[@]}"
track alac "$cs/03 the quiet hours - still.m4a" 2 "sine 174.6" "Compilations/Codec Sampler/03 Still.m4a" \
  title=Still artist="The Quiet Hours" tracknumber=3 "${cs_tags[@]}"
# ffmpeg writes the compilation flag into AIFF as a non-standard TXXX frame, so leave it out.
track aiff "$cs/04 ostinato - loop study.aiff" 2 "square 130.8" \
  "Various Artists/Codec Sampler/04 Loop Study.aiff" \
  title="Loop Study" artist=Ostinato albumartist="Various Artists" album="Codec Sampler" \
  tracknumber=4 totaltracks=4 discnumber=1 totaldiscs=1 date=2019 genre=Electronic

# The same track again at a lower bitrate: same tags, same album, same name: "01 Glass (2)".
OPUS_BITRATE=48 track opus "Duplicates/glass (48k re-encode).opus" 3 "sine 196 sine 294" \
  "Compilations/Codec Sampler/01 Glass (2).opus" "${glass[@]}"

# --- Loose files. ---------------------------------------------------------------------------
# A field recorder's WAV, tagged with RIFF INFO (which has no album artist field).
track wav "Field Recordings/ZOOM0001.WAV" 4 "brownnoise brownnoise" \
  "Hanna Berg/Field Notes/01 Wind over Reykjanes.wav" \
  title="Wind over Reykjanes" artist="Hanna Berg" album="Field Notes" tracknumber=1 date=2023 \
  genre="Field Recording"
# No tags at all: a singleton named after its file (its empty artist component vanishes).
track flac "Unsorted/untitled track 7.flac" 2 "sine 600" "Non-Album/untitled track 7.flac"
# Two ARTIST values and no album artist: the folder joins them with "; ".
track flac "Unsorted/collab.flac" 2 "sine 311.1 sine 466.2" "Mira Sol; Lumen/Collabs/01 Meeting Point.flac" \
  title="Meeting Point" artist="Mira Sol" artist=Lumen album=Collabs tracknumber=1
# A file name that is not valid UTF-8 (Latin-1 from an old disk); its tags are fine.
track flac $'Unsorted/bad\xffname.flac' 2 "sine 700" "Byte Order/Encoding Errors/01 Latin-1 Ghost.flac" \
  title="Latin-1 Ghost" artist="Byte Order" album="Encoding Errors" tracknumber=1
# Not audio at all, despite the name: 4096 bytes of text.
for _ in $(seq 128); do printf 'not an MPEG audio stream, sorry\n'; done >"$stage/Unsorted/broken.mp3"

# --- Symlinks. ------------------------------------------------------------------------------
mkdir -p "$stage/Favourites"
ln -s "../$sr/02 - Svefn-g-englar.FLAC" "$stage/Favourites/svefn.flac"
n=$((n + 1))
record "Favourites/svefn.flac" flac flac "Sigur Rós/Ágætis byrjun/02 Svefn-g-englar (2).flac" \
  "$sr/02 - Svefn-g-englar.FLAC" "${svefn[@]}"
ln -s ../Unsorted/deleted.mp3 "$stage/Favourites/gone.mp3"

cat >"$stage/notes.txt" <<'EOF'
MusicFS demo library, generated by tests/data/make-library.sh.
Mount it and compare:  musicfs mount THIS_FOLDER /mnt/music
MANIFEST.json says what MusicFS should make of every file here.
EOF

# --- Manifest. ------------------------------------------------------------------------------
"$python" - "$stage" "$work/records" <<'PY'
import hashlib, json, os, sys

stage, records = sys.argv[1], sys.argv[2]
# Picard's order, so that the manifest reads like a tag editor.
ORDER = ["title", "artist", "artists", "album", "albumartist", "tracknumber", "totaltracks",
         "discnumber", "totaldiscs", "date", "genre", "compilation"]
rank = lambda key: (ORDER.index(key) if key in ORDER else len(ORDER), key)
tracks = []
for name in sorted(os.listdir(records)):
    with open(os.path.join(records, name), "rb") as f:
        fields = [os.fsdecode(x) for x in f.read().split(b"\0")[:-1]]
    path, fmt, codec, expected, link, *tags = fields
    expected_tags = {}
    for tag in tags:
        key, value = tag.split("=", 1)
        expected_tags.setdefault(key, []).append(value)
    with open(os.path.join(stage, path), "rb") as f:
        data = f.read()
    entry = {"path": path, "format": fmt, "codec": codec, "bytes": len(data),
             "sha256": hashlib.sha256(data).hexdigest(), "expected_path": expected,
             "expected_tags": {k: expected_tags[k][0] if len(expected_tags[k]) == 1
                               else expected_tags[k] for k in sorted(expected_tags, key=rank)}}
    if link:
        entry["symlink_to"] = link
    tracks.append(entry)
tracks.sort(key=lambda t: os.fsencode(t["path"]))

sr = "Downloads/Sigur Ros - Agaetis Byrjun (1999) [FLAC]"
manifest = {
    "generator": "make-library.sh",
    "version": 1,
    "notes": "Paths are relative to this folder. A path that is not valid UTF-8 is written with "
             "Python's surrogateescape (\\udcXX for byte XX): os.fsencode(path) gives the bytes. "
             "expected_tags use Picard tag names; a list means several values.",
    "tracks": tracks,
    "broken": ["Unsorted/broken.mp3", sr + "/sr04_incomplete.flac"],
    "ignored": [sr + "/cover.jpg", sr + "/notes.txt", "notes.txt", "Favourites/gone.mp3"],
}
# Readable UTF-8, except that a lone surrogate becomes the JSON escape \udcXX.
text = json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
with open(os.path.join(stage, "MANIFEST.json"), "wb") as f:
    f.write(text.encode("utf-8", "backslashreplace"))
PY

rm -rf -- "$work"
rm -rf -- "$out"
mv -- "$stage" "$out"
chmod 755 "$out"  # mktemp made it 0700
trap - EXIT
printf 'make-library.sh: %d tracks in %s (see %s/MANIFEST.json)\n' "$n" "$out" "$out"
