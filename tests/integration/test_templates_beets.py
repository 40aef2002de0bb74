#!/usr/bin/python3
"""beets as the oracle: for the same paths: block, the tree MusicFS mounts must put every track
where `beet move --pretend` would move it.

Two libraries are imported into a throwaway beets library as they are (`beet import -A -C -W`,
with `import: {copy: no, write: no, autotag: no}`, BEETSDIR in a temporary directory):
  - the generated test library (tests/data/make-library.sh), untouched;
  - a fixture made here with sox, flac and metaflac: one folder per album, built to exercise
    %aunique (one artist, one album name, two years), compilations, singletons (imported with
    -s), a multi-disc album, Unicode for %asciify, characters beets replaces.
Several paths blocks, which together call every standard function beets 1.6 has, are then
compared track by track (by original path). A difference fails the test unless it is listed in
ACCEPTED with its reason; docs/templates.md ("Differences from beets") documents each one.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402

BEETS_DEFAULT = [
    ("default", "$albumartist/$album%aunique{}/$track $title"),
    ("singleton", "Non-Album/$artist/$title"),
    ("comp", "Compilations/$album%aunique{}/$track $title"),
]

# Between them, every function beets 1.6 has: lower upper title left right if ifdef asciify
# aunique time first (capitalize and sunique came later; see docs/templates.md).
FUNCTIONS = [
    ("default", "%upper{%left{$albumartist,1}}/%title{$albumartist}/"
                "%lower{$album}%aunique{albumartist album,year,()} [%right{$year,2}]/"
                "%if{$disctotal,$disc-}$track %asciify{$title}"),
    ("singleton", "Singles/%first{$artist}/%time{$year-01-01 00:00:00,%y} - $title"),
    ("comp", "Compilations/%ifdef{label,$label,No Label}/$album/$track $artist - $title"),
    ("genre:Jazz", "Jazz/%if{$comp,VA,$albumartist}/$album%aunique{}/$track $title"),
    ("year:1960..1969", "Sixties/$albumartist/$album%aunique{}/$track $title"),
]

QUERIES = [
    ("format:MP3", "mp3/%lower{$artist}/$title"),
    ("^genre:jazz year:..2000", "old/$year/%asciify{$albumartist - $album}/$track"),
    ("title::^[A-M]", "a-m/%left{$title,1}/$title [$format]"),
    ("default", "rest/$genre/%if{$track,$track,none} %right{$title,3}"),
]

OPTIONS = {  # beets option -> (TOML line, YAML lines)
    "asciify": ("asciify_paths = true\n", "asciify_paths: yes\n"),
    "replace": ('[replace]\n"^The " = ""\n"[aeiou]$" = "_"\n"\\\\s" = "."\n',
                "replace:\n  '^The ': ''\n  '[aeiou]$': '_'\n  '\\s': '.'\n"),
}

CONFIGS = {
    "beets-default": (BEETS_DEFAULT, ()),
    "functions": (FUNCTIONS, ()),
    "queries": (QUERIES, ()),
    "options": (BEETS_DEFAULT, ("asciify", "replace")),
}

MAKE_LIBRARY = "make-library"
FIXTURE = "fixture"

# (config or "*", library, original path) -> why MusicFS differs there. Keep in step with
# docs/templates.md, "Differences from beets".
ACCEPTED = {}


def accept(reason, library, *paths, config="*"):
    for p in paths:
        ACCEPTED[(config, library, p)] = reason


FOLDER_ALBUMS = (
    "beets' as-is import makes one album of each folder: unrelated files in one folder become "
    "one various-artists album, and a copy of an album's track in another folder is another "
    "album that %aunique tells apart with beets' album id; MusicFS groups albums by their tags")
AS_IS_COMP = ("beets' as-is import decides `comp` itself (false when every track of the folder "
              "has the same album artist); MusicFS reads the compilation tag")
SR = "Downloads/Sigur Ros - Agaetis Byrjun (1999) [FLAC]/"
CS = "Compilations/Codec Sampler (2019)/"
accept(FOLDER_ALBUMS, MAKE_LIBRARY,
       "Unsorted/collab.flac", "Unsorted/badname.flac", "Unsorted/untitled track 7.flac",
       "Duplicates/glass (48k re-encode).opus", "Favourites/svefn.flac",
       CS + "04 ostinato - loop study.aiff",
       SR + "01. intro.flac", SR + "02 - Svefn-g-englar.FLAC", SR + "sr03_staralfur.flac")
accept(FOLDER_ALBUMS + "; " + AS_IS_COMP, MAKE_LIBRARY,
       CS + "01 lumen - glass.opus", CS + "02 mira sol - harbour lights.m4a",
       CS + "03 the quiet hours - still.m4a")
accept("beets reads no RIFF INFO tags from WAV files (mediafile); MusicFS reads them (TagLib)",
       MAKE_LIBRARY, "Field Recordings/ZOOM0001.WAV")
for _config in ("functions", "options"):
    accept("%asciify / asciify_paths: ICU transliterates CJK by its Mandarin reading without "
           "tones ('dong jing'), unidecode differently ('Dong Jing ')", MAKE_LIBRARY,
           "ogg/kaze quartet/Tōkyō Sketches/1 東京.ogg", config=_config)


# --- the fixture ----------------------------------------------------------------------------

FIXTURE_TRACKS = [
    # folder/file, tags
    ("Nico - Chelsea Girl (1967)/01 the fairest.flac",
     dict(albumartist="Nico", artist="Nico", album="Chelsea Girl", date="1967-10-01",
          tracknumber="1", totaltracks="2", title="The Fairest of the Seasons", genre="Folk",
          label="Verve", releasetype="album")),
    ("Nico - Chelsea Girl (1967)/02 these days.flac",
     dict(albumartist="Nico", artist="Nico", album="Chelsea Girl", date="1967-10-01",
          tracknumber="2", totaltracks="2", title="These Days", genre="Folk", label="Verve",
          releasetype="album")),
    ("Nico - Chelsea Girl (1992 reissue)/01.flac",
     dict(albumartist="Nico", artist="Nico", album="Chelsea Girl", date="1992",
          tracknumber="1", title="The Fairest of the Seasons", genre="Folk", label="Polydor",
          releasetype="album")),
    ("Miles Davis - Kind of Blue/1.flac",
     dict(albumartist="Miles Davis", artist="Miles Davis", album="Kind of Blue", date="1959",
          tracknumber="1", title="So What", genre="Jazz")),
    ("Miles Davis - Kind of Blue/2.flac",
     dict(albumartist="Miles Davis", artist="Miles Davis", album="Kind of Blue", date="1959",
          tracknumber="2", title="Blue in Green", genre="Jazz")),
    ("Jazz Cafe/01.flac",
     dict(artist="Chet Baker", album="Jazz Café", compilation="1", date="2001",
          tracknumber="1", title="Almost Blue", genre="Jazz")),
    ("Jazz Cafe/02.flac",
     dict(artist="Sonny Rollins", album="Jazz Café", compilation="1", date="2001",
          tracknumber="2", title="St. Thomas", genre="Jazz")),
    ("Gould - Goldberg/CD1/01.flac",
     dict(albumartist="Glenn Gould", artist="Glenn Gould", album="Goldberg Variations",
          date="1981", discnumber="1", totaldiscs="2", tracknumber="1", title="Aria",
          genre="Classical")),
    ("Gould - Goldberg/CD2/01.flac",
     dict(albumartist="Glenn Gould", artist="Glenn Gould", album="Goldberg Variations",
          date="1981", discnumber="2", totaldiscs="2", tracknumber="1",
          title="Aria da capo", genre="Classical")),
    ("Sigur Ros/01.flac",
     dict(albumartist="Sigur Rós", artist="Sigur Rós", album="Ágætis byrjun", date="1999",
          tracknumber="1", title="Svefn-g-englar", genre="Post-Rock")),
    ("AC-DC/01.flac",
     dict(albumartist="AC/DC", artist="AC/DC", album="-Live: at <Donington>?-",
          date="1992", tracknumber="1", title="Intro: Thunder*struck.", genre="Rock")),
    ("The Band/01.flac",
     dict(albumartist="The Band", artist="The Band", album="Music from Big Pink",
          date="1968", tracknumber="5", title="The Weight", genre="Rock")),
    ("Singles/bjork.flac", dict(artist="Björk", title="Jóga", date="1997", genre="Pop")),
    ("Singles/xtal.flac", dict(artist="Aphex Twin", title="Xtal", date="1992",
                               genre="Electronic")),
]


def make_fixture(root):
    """Writes the fixture's FLAC files (0.1 s of silence each, tagged with metaflac)."""
    wav = os.path.join(root, ".tone.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", wav, "trim", "0", "0.1"],
                   check=True, timeout=60)
    vorbis = {"totaltracks": "TRACKTOTAL", "totaldiscs": "DISCTOTAL"}
    for rel, tags in FIXTURE_TRACKS:
        dest = os.path.join(root, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        subprocess.run(["flac", "--silent", "--force", "-o", dest, wav], check=True, timeout=60)
        args = ["metaflac", "--remove-all-tags"]
        args += [f"--set-tag={vorbis.get(k, k.upper())}={v}" for k, v in tags.items()]
        subprocess.run(args + [dest], check=True, timeout=60)
    os.unlink(wav)


# --- beets ----------------------------------------------------------------------------------

def yaml_quote(s):
    return "'" + s.replace("'", "''") + "'"


class Beets:
    """A throwaway beets library (BEETSDIR in a temporary directory) with one library imported
    as-is. Singletons are imported from `singles` (relative to the library) with -s."""

    def __init__(self, library, singles=None):
        self.library = os.path.abspath(library)
        self.home = tempfile.mkdtemp(prefix="musicfs-beets-")
        self.music = os.path.join(self.home, "music")
        self.write_config(BEETS_DEFAULT, ())
        if singles is None:
            self.beet(["import", "-A", "-C", "-W", "-q", self.library])
        else:
            albums = [os.path.join(self.library, d) for d in sorted(os.listdir(self.library))
                      if d != singles and os.path.isdir(os.path.join(self.library, d))]
            self.beet(["import", "-A", "-C", "-W", "-q", *albums])
            self.beet(["import", "-A", "-C", "-W", "-q", "-s", os.path.join(self.library, singles)])

    def write_config(self, paths, options):
        lines = [f"directory: {yaml_quote(self.music)}",
                 f"library: {yaml_quote(os.path.join(self.home, 'library.db'))}",
                 "import: {copy: no, write: no, move: no, autotag: no, log: null}",
                 "ui: {color: no}", "threaded: no", "paths:"]
        lines += [f"  {yaml_quote(q)}: {yaml_quote(tmpl)}" for q, tmpl in paths]
        text = "\n".join(lines) + "\n" + "".join(OPTIONS[o][1] for o in options)
        with open(os.path.join(self.home, "config.yaml"), "w", encoding="utf-8") as f:
            f.write(text)

    def beet(self, args):
        env = dict(os.environ, BEETSDIR=self.home, HOME=self.home, LC_ALL="C.UTF-8")
        r = t.run(["beet", *args], env=env, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"beet {' '.join(args)} exited {r.returncode}:\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def destinations(self, paths, options):
        """{original path relative to the library (as beets displays it): destination}."""
        self.write_config(paths, options)
        out = self.beet(["move", "--pretend"]).splitlines()
        dests, src = {}, None
        for line in out:
            if line.startswith("  -> "):
                dest = line[5:]
                if dest.startswith(self.music + "/"):
                    dest = dest[len(self.music) + 1:]
                # else: beets left its directory (a path starting with '/' replaces it)
                dests[os.path.relpath(src, self.library)] = dest
            elif line.startswith(self.library + "/"):
                src = line.rstrip(" ")
        return dests

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


# --- MusicFS --------------------------------------------------------------------------------

def toml_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def musicfs_paths(library, state, paths, options):
    """{original path (decoded as beets displays it): mounted path} with the same paths."""
    os.makedirs(state, exist_ok=True)
    config = os.path.join(state, "musicfs.toml")
    text = "".join(OPTIONS[o][0] for o in options if not OPTIONS[o][0].startswith("["))
    text += "[paths]\n" + "".join(f"{toml_quote(q)} = {toml_quote(tmpl)}\n" for q, tmpl in paths)
    text += "".join(OPTIONS[o][0] for o in options if OPTIONS[o][0].startswith("["))
    with open(config, "w", encoding="utf-8") as f:
        f.write(text)
    out = {}
    with t.Mount(library, "--config", config, "--scan", "always", state_dir=state,
                 library="oracle") as m:
        mp = os.fsencode(m.mp)
        for rel in t.walk_files(mp):
            origin = t.origin_path(os.path.join(mp, rel))
            out[origin.decode("utf-8", "ignore")] = rel.decode("utf-8", "surrogateescape")
    return out


def numbered_as(musicfs_path, beets_path):
    """True when MusicFS numbered a name beets would give twice: "x (2).ext" for "x.ext"."""
    stem, ext = os.path.splitext(beets_path)
    if not musicfs_path.startswith(stem + " (") or not musicfs_path.endswith(")" + ext):
        return False
    return musicfs_path[len(stem) + 2:len(musicfs_path) - len(ext) - 1].isdigit()


class OracleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        t.require_tools("beet", "sox", "flac", "metaflac")
        cls.work = tempfile.mkdtemp(prefix="musicfs-oracle-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        fixture = os.path.join(cls.work, "fixture")
        os.makedirs(fixture)
        make_fixture(fixture)
        cls.libraries = {MAKE_LIBRARY: (t.library_dir(), None), FIXTURE: (fixture, "Singles")}
        cls.beets = {}
        for name, (root, singles) in cls.libraries.items():
            b = Beets(root, singles)
            cls.addClassCleanup(b.close)
            cls.beets[name] = b
        cls.states = {name: os.path.join(cls.work, f"state-{name}") for name in cls.libraries}
        cls.report = []

    def compare(self, config, library):
        paths, options = CONFIGS[config]
        root, _ = self.libraries[library]
        expected = self.beets[library].destinations(paths, options)
        got = musicfs_paths(root, self.states[library], paths, options)
        self.assertTrue(expected, "beets computed no destination at all")
        unexpected, accepted = [], []
        for src in sorted(set(expected) | set(got)):
            want, have = expected.get(src), got.get(src)
            if want == have or (want and have and numbered_as(have, want)):
                continue
            line = f"{src}\n      beets:   {want}\n      MusicFS: {have}"
            reason = ACCEPTED.get((config, library, src)) or ACCEPTED.get(("*", library, src))
            (accepted if reason else unexpected).append(line + (f"\n      ({reason})" if reason else ""))
        print(f"\n[{config} / {library}] {len(expected)} tracks, {len(accepted)} accepted "
              f"differences, {len(unexpected)} unexpected", file=sys.stderr)
        for line in accepted:
            print("  accepted: " + line, file=sys.stderr)
        self.assertEqual(unexpected, [], f"{config} / {library}: MusicFS and beets disagree:\n"
                         + "\n".join(unexpected))

    def test_beets_default_make_library(self):
        self.compare("beets-default", MAKE_LIBRARY)

    def test_beets_default_fixture(self):
        self.compare("beets-default", FIXTURE)

    def test_functions_make_library(self):
        self.compare("functions", MAKE_LIBRARY)

    def test_functions_fixture(self):
        self.compare("functions", FIXTURE)

    def test_queries_make_library(self):
        self.compare("queries", MAKE_LIBRARY)

    def test_queries_fixture(self):
        self.compare("queries", FIXTURE)

    def test_options_make_library(self):
        self.compare("options", MAKE_LIBRARY)

    def test_options_fixture(self):
        self.compare("options", FIXTURE)


if __name__ == "__main__":
    t.require_all()
    t.main(watchdog=400)
