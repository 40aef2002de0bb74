#!/usr/bin/python3
"""sdk.examples_out_of_tree: the plugin SDK as a third-party author gets it.

1. `cmake --install` the build into a temporary prefix.
2. Copy each example of examples/ out of the source tree and build it as its own CMake project
   against that prefix only (find_package(MusicFS) + musicfs_add_plugin), warnings as errors,
   the SDK headers not hidden behind -isystem.
3. Each built .so exports musicfs_plugin_entry and nothing else (nm -D).
4. The installed `musicfs plugins --plugin-dir DIR` lists every example and refuses none.
5. template-the's functions give the right results through the C ABI (dlopen):
   tests/sdk/template_the_test.cpp; the mount below also calls them from a `paths` template.
6. A library served by the example tar origin (two archives, GNU and pax formats) with the
   sidecar metadata source listed before taglib is mounted: every track is where the naming
   rules put it, with its original bytes, and sidecar tags win (path and xattrs).

Environment (tests/sdk/CMakeLists.txt): MUSICFS_BUILD_DIR, MUSICFS_EXAMPLES_DIR,
MUSICFS_TEST_LIBRARY, MUSICFS_TEMPLATE_THE_TEST, MUSICFS_CMAKE, MUSICFS_CMAKE_GENERATOR,
MUSICFS_C_COMPILER, MUSICFS_CXX_COMPILER, MUSICFS_TESTLIB_DIR, MUSICFS_TEST_WATCHDOG.
Exits 0 (passed), 1 (failed), or 77 (skipped, printing why: no /dev/fuse for the mount, no
test library) once everything that can run here has run.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.environ.get("MUSICFS_TESTLIB_DIR", ""))
import musicfs_testlib as t  # noqa: E402

EXAMPLES = {  # example directory -> (plugin file, plugin name in configs, kind)
    "origin-c": ("origin-tar.so", "tar", "origin"),
    "meta-sidecar": ("meta-sidecar.so", "sidecar", "metadata"),
    "template-the": ("template-the.so", "the", "template"),
}
BUILD_TIMEOUT = 300
SR = "Downloads/Sigur Ros - Agaetis Byrjun (1999) [FLAC]"

# Sidecars written for the mount test: origin path -> (sidecar file name, JSON text).
SIDECARS = {
    # No tags of its own: everything comes from the sidecar, which is named <file>.json.
    "Unsorted/untitled track 7.flac": (
        "untitled track 7.flac.json",
        json.dumps({"title": "Sidecar Title", "artists": ["Ann", "Bob"],
                    "albumartist": "Sidecar Artist", "album": "Sidecar Album",
                    "tracknumber": 7, "compilation": True, "genre": None})),
    # Fully tagged: the sidecar (listed first) wins for the title only. Keys are lower-cased.
    SR + "/01. intro.flac": ("01. intro.flac.json", '{"TITLE": "Intro (Sidecar)"}'),
    # The <stem>.json spelling.
    "Unsorted/collab.flac": ("collab.json", '{"title": "Meeting Point (Sidecar)"}'),
    # Broken JSON: a warning, and the embedded tags stay.
    "mp3/NeonHarbor_-_Night_Drive_(2004)_[V2]/nh-02.mp3": ("nh-02.mp3.json", '{"title": '),
}
CHANGED_PATHS = {  # manifest expected_path -> where the sidecar moves it
    "Non-Album/untitled track 7.flac":
        "Compilations/Sidecar Album/07 Sidecar Title.flac",
    "Sigur Rós/Ágætis byrjun/01 Intro.flac":
        "Sigur Rós/Ágætis byrjun/01 Intro (Sidecar).flac",
    "Mira Sol; Lumen/Collabs/01 Meeting Point.flac":
        "Mira Sol; Lumen/Collabs/01 Meeting Point (Sidecar).flac",
}
# The example's template functions, called by the daemon: one album moves under a template
# that uses %bucket{} and %the{}.
PATHS = ('[paths]\n"albumartist:\'Neon Harbor\'" = '
         '"%bucket{$year,10}/%the{The $albumartist}/$album/$track $title"\n')
NEON_HARBOR_DIR = "2000-2009/Neon Harbor, The/Night Drive"

# The two archives and the top-level folders of the library each holds. Each also gets a copy of
# an untagged track under a folder name too long for a plain ustar header (GNU 'L' records, pax
# 'path' records).
ARCHIVES = {
    "gnu": ["Downloads", "Favourites", "mp3", "Unsorted"],
    "posix": ["ogg", "Compilations", "Duplicates", "Field Recordings"],
}
UNTAGGED = "Unsorted/untitled track 7.flac"
LONG_FOLDER = "Long/" + "Ωmega Ünïcode folder name " * 6


def env(name):
    value = os.environ.get(name)
    if not value:
        t.skip(f"{name} is not set (run through ctest)")
    return value


def check_run(args, timeout, env_=None):
    """Runs a command; fails the test with its output when it fails."""
    r = t.run([os.fspath(a) for a in args], timeout=timeout, env=env_)
    if r.returncode != 0:
        raise AssertionError(f"`{' '.join(map(str, args))}` exited {r.returncode}\n"
                             f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


def fuse_problem():
    if not os.path.exists("/dev/fuse"):
        return "/dev/fuse does not exist (no FUSE in this environment)"
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        return "/dev/fuse is not accessible to this user"
    if shutil.which("fusermount3") is None:
        return "fusermount3 is not installed"
    return None


class ConfigMount(t.Mount):
    """`musicfs mount --config FILE ... MOUNTPOINT`: origins from the file, no SOURCE_DIR."""

    def args(self):
        return [t.musicfs_bin(), "mount", "--state-dir", self.state_dir, "--library",
                self.library, *self.extra, self.mp]


class ExamplesOutOfTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cmake, build_dir = env("MUSICFS_CMAKE"), env("MUSICFS_BUILD_DIR")
        examples, generator = env("MUSICFS_EXAMPLES_DIR"), env("MUSICFS_CMAKE_GENERATOR")
        cls.work = tempfile.mkdtemp(prefix="musicfs-sdk-")
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        cls.prefix = os.path.join(cls.work, "prefix")
        cls.plugin_dir = os.path.join(cls.work, "plugins")
        os.makedirs(cls.plugin_dir)
        check_run([cmake, "--install", build_dir, "--prefix", cls.prefix], timeout=120)
        cls.musicfs = os.path.join(cls.prefix, "bin", "musicfs")
        os.environ["MUSICFS_BIN"] = cls.musicfs  # for musicfs_testlib's Mount

        # A build environment that knows nothing of the source tree or another MusicFS.
        build_env = {k: v for k, v in os.environ.items()
                     if k not in ("CMAKE_PREFIX_PATH", "MusicFS_DIR", "CPATH", "CPLUS_INCLUDE_PATH",
                                  "C_INCLUDE_PATH", "LIBRARY_PATH")}
        # The compilers MusicFS was built with (as CC/CXX: a C project has no use for CXX).
        for var, name in (("CC", "MUSICFS_C_COMPILER"), ("CXX", "MUSICFS_CXX_COMPILER")):
            if os.environ.get(name):
                build_env[var] = os.environ[name]
        cls.built = {}
        for example, (so, _name, _kind) in EXAMPLES.items():
            src = os.path.join(cls.work, "src", example)
            build = os.path.join(cls.work, "build", example)
            shutil.copytree(os.path.join(examples, example), src)
            configure = [cmake, "-S", src, "-B", build, "-G", generator,
                         f"-DCMAKE_PREFIX_PATH={cls.prefix}",
                         "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                         "-DCMAKE_COMPILE_WARNING_AS_ERROR=ON",
                         # Check the installed SDK headers with the example's warnings too.
                         "-DCMAKE_NO_SYSTEM_FROM_IMPORTED=ON",
                         "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"]
            check_run(configure, timeout=BUILD_TIMEOUT, env_=build_env)
            check_run([cmake, "--build", build], timeout=BUILD_TIMEOUT, env_=build_env)
            cls.built[example] = build
            shutil.copy2(os.path.join(build, so), os.path.join(cls.plugin_dir, so))

    # --- building ------------------------------------------------------------------------------

    def test_found_the_installed_package_and_nothing_of_the_source_tree(self):
        source_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        build_dir = os.path.abspath(env("MUSICFS_BUILD_DIR"))
        for example, build in self.built.items():
            with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
                cache = f.read()
            self.assertIn(f"MusicFS_DIR:PATH={self.prefix}/lib/cmake/MusicFS", cache, example)
            with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
                commands = f.read()
            self.assertIn(f"{self.prefix}/include", commands, example)
            for tree in (source_dir, build_dir):
                self.assertNotIn(tree, commands, f"{example} compiles with a path into {tree}")

    def test_each_plugin_exports_only_its_entry_point(self):
        for so, _name, _kind in EXAMPLES.values():
            r = check_run(["nm", "-D", "--defined-only", os.path.join(self.plugin_dir, so)],
                          timeout=60)
            exported = sorted({fields[-1].split("@")[0] for fields in map(str.split,
                                                                          r.stdout.splitlines())
                               if len(fields) == 3 and fields[1] != "A"})
            self.assertEqual(exported, ["musicfs_plugin_entry"], so)

    def test_musicfs_plugins_lists_every_example(self):
        r = check_run([self.musicfs, "plugins", "--plugin-dir", self.plugin_dir], timeout=60)
        out = r.stdout + r.stderr
        for so, name, kind in EXAMPLES.values():
            path = os.path.join(self.plugin_dir, so)
            listed = [line for line in r.stdout.splitlines()
                      if line.startswith(name + " ") and line.rstrip().endswith(path)]
            self.assertTrue(listed, f"{so} ({name}) not listed:\n{out}")
            self.assertIn(kind, listed[0].split(), f"{so} not listed as a {kind} plugin:\n{out}")
            self.assertNotIn(f"{path}:", "\n".join(line for line in r.stdout.splitlines()
                                                   if line.startswith("refused")),
                             f"{so} refused:\n{out}")

    def test_template_functions_through_the_c_abi(self):
        r = t.run([env("MUSICFS_TEMPLATE_THE_TEST")], timeout=120,
                  env={**os.environ, "MUSICFS_TEMPLATE_THE_SO":
                       os.path.join(self.plugin_dir, "template-the.so")})
        self.assertEqual(r.returncode, 0, f"{r.stdout}\n{r.stderr}")

    # --- mounting ------------------------------------------------------------------------------

    def test_mount_tar_origin_with_sidecar_tags(self):
        problem = fuse_problem()
        if problem:
            self.skipTest(problem)
        library = os.environ.get("MUSICFS_TEST_LIBRARY", "")
        if not os.path.isfile(os.path.join(library, "MANIFEST.json")):
            self.skipTest(f"no test library at {library!r} (the integration.make_library "
                          "fixture)")
        manifest = t.Manifest(library)

        # The library in two archives; the sidecars in their own tree of the same layout,
        # since a metadata source cannot read files through the origin (see meta_sidecar.cpp).
        archives = {}
        long_tracks = {}  # mounted path -> origin path, of the long-named copies
        for fmt, folders in ARCHIVES.items():
            extra = os.path.join(self.work, f"extra-{fmt}")
            long_name = f"{LONG_FOLDER}/deep track {fmt}.flac"
            os.makedirs(os.path.join(extra, LONG_FOLDER))
            shutil.copy2(os.path.join(library, UNTAGGED), os.path.join(extra, long_name))
            long_tracks[f"Non-Album/deep track {fmt}.flac"] = long_name
            archives[fmt] = os.path.join(self.work, f"music-{fmt}.tar")
            check_run(["tar", f"--format={fmt}", "-cf", archives[fmt], "-C", library, *folders,
                       "-C", extra, "Long"], timeout=120)
        sidecars = os.path.join(self.work, "sidecars")
        for track, (name, text) in SIDECARS.items():
            folder = os.path.join(sidecars, os.path.dirname(track))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
                f.write(text)

        config = os.path.join(self.work, "musicfs.toml")
        with open(config, "w", encoding="utf-8") as f:
            for fmt, path in archives.items():
                f.write(f'[[origin]]\nname = "{fmt}"\ntype = "tar"\narchive = "{path}"\n\n')
            f.write('[metadata]\nsources = ["sidecar", "taglib"]\n\n'
                    f'[metadata.sidecar]\nroot = "{sidecars}"\n\n' + PATHS)

        expected = {}
        for track in manifest.tracks:
            path = CHANGED_PATHS.get(track["expected_path"], track["expected_path"])
            if path.startswith("Neon Harbor/Night Drive/"):
                path = NEON_HARBOR_DIR + path[len("Neon Harbor/Night Drive"):]
            expected[os.fsencode(path)] = track
        untagged = next(t_ for t_ in manifest.tracks if t_["path"] == UNTAGGED)
        for mounted, origin in long_tracks.items():
            expected[os.fsencode(mounted)] = {**untagged, "path": origin,
                                              "path_b": os.fsencode(origin)}

        m = ConfigMount(self.work, "--config", config, "--plugin-dir", self.plugin_dir,
                        library="sdk")
        with m:
            mp = os.fsencode(m.mp)
            files = set(t.walk_files(mp))
            self.assertEqual(sorted(files - set(expected)), [], "unexpected files in the mount")
            self.assertEqual(sorted(set(expected) - files), [], "files missing from the mount")
            wrong = []
            for rel, track in expected.items():
                full = os.path.join(mp, rel)
                if t.origin_path(full) != track["path_b"]:
                    wrong.append(f"{rel!r} serves {t.origin_path(full)!r}, not {track['path']!r}")
                elif t.sha256_file(full) != track["sha256"]:
                    wrong.append(f"{rel!r}: not the original's bytes")
            self.assertEqual(wrong, [], "files served wrongly through the tar origin")

            def xattr(rel, name):
                return os.getxattr(os.path.join(mp, os.fsencode(rel)), f"user.musicfs.{name}")

            untitled = "Compilations/Sidecar Album/07 Sidecar Title.flac"
            self.assertEqual(xattr(untitled, "artists"), b"Ann\0Bob")
            self.assertEqual(xattr(untitled, "compilation"), b"1")
            self.assertEqual(xattr(untitled, "tracknumber"), b"7")
            intro = "Sigur Rós/Ágætis byrjun/01 Intro (Sidecar).flac"
            self.assertEqual(xattr(intro, "title"), "Intro (Sidecar)".encode())
            self.assertEqual(xattr(intro, "artist"), "Sigur Rós".encode())  # from taglib
            self.assertEqual(xattr(intro, "musicbrainz_recordingid"),
                             b"00000000-0000-4000-8000-00000000a101")
            # The broken sidecar changed nothing, and the user was told.
            self.assertEqual(xattr(NEON_HARBOR_DIR + "/02 Coastline.mp3", "title"),
                             b"Coastline")
            self.assertIn("nh-02.mp3.json: [json.exception.parse_error", m.log(),
                          "the broken sidecar was not reported")


def main():
    watchdog = float(os.environ.get("MUSICFS_TEST_WATCHDOG", "585"))
    if watchdog > 0:
        t.install_watchdog(watchdog)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda s, f: (t.force_cleanup_all(), os._exit(128 + s)))
    try:
        program = unittest.main(module="__main__", exit=False, verbosity=2)
    finally:
        t.force_cleanup_all()
    result = program.result
    if not result.wasSuccessful():
        sys.exit(1)
    if result.skipped:
        # Everything else passed, but a part of the test could not run here: not a pass.
        for _case, reason in result.skipped:
            print(f"SKIPPED: {reason}", flush=True)
        sys.exit(t.SKIP)
    sys.exit(0)


if __name__ == "__main__":
    main()
