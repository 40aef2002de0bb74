#!/usr/bin/python3
"""Plugin lifecycle in a running daemon: a plugin replaced on disk is reloaded on SIGHUP
without unmounting (files open on the old version keep working), init and deinit run once per
loaded library, a plugin that throws or is refused costs only what depends on it, and
`musicfs plugins` names every refused plugin with the reason."""

import os
import shutil
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musicfs_testlib as t  # noqa: E402


def probe_plugin(variant):
    d = os.environ.get("MUSICFS_TEST_PLUGINS")
    if not d:
        t.skip("MUSICFS_TEST_PLUGINS is not set (run through ctest)")
    path = os.path.join(d, f"origin-probe-{variant}.so")
    if not os.path.exists(path):
        t.skip(f"{path} was not built")
    return path


def install(src, dst):
    """Replaces a plugin file the safe way (a new inode renamed over the old name)."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.rename(tmp, dst)


def wait_for(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class PluginLifecycleTest(unittest.TestCase):
    def setUp(self):
        t.require_all()
        self.tmp = tempfile.mkdtemp(prefix="musicfs-plugins-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.plugin_dir = os.path.join(self.tmp, "plugins")
        os.mkdir(self.plugin_dir)
        self.plugin = os.path.join(self.plugin_dir, "probe.so")
        install(probe_plugin("v1"), self.plugin)
        self.probe_log = os.path.join(self.tmp, "probe.log")
        lib = t.library_dir()
        # A second, small origin served through the probe plugin.
        self.probe_root = os.path.join(self.tmp, "probe-root")
        os.mkdir(self.probe_root)
        manifest = t.Manifest(lib)
        flac = next(tr for tr in manifest.tracks if tr["format"] == "flac" and not tr.get("symlink_to"))
        self.probe_file = os.path.join(self.probe_root, "probe.flac")
        shutil.copyfile(manifest.original(flac), self.probe_file)
        self.config = os.path.join(self.tmp, "musicfs.toml")
        with open(self.config, "w") as f:
            f.write(f'''
[plugins.probe]
log = "{self.probe_log}"

[[origin]]
name = "main"
type = "local"
root = "{lib}"

[[origin]]
name = "probed"
type = "probe"
root = "{self.probe_root}"

[[origin]]
name = "careless"
type = "probe"
root = "{self.probe_root}"
throw_on = "list"
''')

    def log_lines(self):
        try:
            with open(self.probe_log) as f:
                return f.read().split("\n")[:-1]
        except FileNotFoundError:
            return []

    def probed_file(self, m):
        for rel in t.walk_files(m.mp):
            path = os.path.join(os.fsencode(m.mp), rel)
            if t.origin_path(path) == b"probe.flac":
                return path
        self.fail(f"the probe origin's file is not in the tree\n{m.describe()}")

    def test_reload_replaced_plugin_while_mounted(self):
        with t.Mount(None, "--config", self.config, "--plugin-dir", self.plugin_dir) as m:
            # Both probe instances share one loaded library: one init. The careless origin's
            # exception was contained; the others are served.
            self.assertEqual(self.log_lines(), ["init 1.0.0"], m.log())
            self.assertIn("threw an exception from list", m.log())
            served = t.walk_files(m.mp)
            self.assertGreater(len(served), 10, "the local origin's files are missing")
            path = self.probed_file(m)
            with open(self.probe_file, "rb") as f:
                original = f.read()

            held = open(path, "rb")
            try:
                first = held.read(1000)
                install(probe_plugin("v2"), self.plugin)
                m.kill(signal.SIGHUP)
                wait_for(lambda: "init 2.0.0" in self.log_lines(), what="the new plugin's init")
                self.assertIn("reloaded: 1.0.0 -> 2.0.0", m.log())
                # The file opened before the reload still reads through the old library.
                self.assertNotIn("deinit 1.0.0", self.log_lines(),
                                 "the old plugin was unloaded while a file was open on it")
                self.assertEqual(first + held.read(), original)
            finally:
                held.close()
            # Last user gone: the old library is deinitialised, exactly once.
            wait_for(lambda: "deinit 1.0.0" in self.log_lines(), what="the old plugin's deinit")
            with open(path, "rb") as f:
                self.assertEqual(f.read(), original, "a read through the reloaded plugin")
            self.assertTrue(os.path.ismount(m.mp))
        self.assertEqual(sorted(self.log_lines()),
                         ["deinit 1.0.0", "deinit 2.0.0", "init 1.0.0", "init 2.0.0"])

    def test_refused_plugins_are_listed_with_the_reason(self):
        shutil.copyfile(probe_plugin("major2"), os.path.join(self.plugin_dir, "future.so"))
        with open(os.path.join(self.plugin_dir, "garbage.so"), "wb") as f:
            f.write(b"not an ELF file")
        out = t.musicfs("plugins", "--plugin-dir", self.plugin_dir)
        self.assertEqual(out.returncode, 0, out.stderr)
        text = out.stdout
        self.assertRegex(text, r"probe\s+org\.musicfs\.test\.probe\s+1\.0\.0\s+origin")
        self.assertRegex(text, r"REFUSED .*future\.so: .*plugin ABI 2\.\d+.*ABI 1\.\d+")
        self.assertRegex(text, r"REFUSED .*garbage\.so: cannot be loaded")
        self.assertRegex(text, r"local\s+org\.musicfs\.origin\.local")


def built_plugin(file_name):
    """A standard plugin as built (bin/../lib/musicfs/plugins)."""
    top = os.path.dirname(os.path.dirname(os.path.abspath(t.musicfs_bin())))
    path = os.path.join(top, "lib", "musicfs", "plugins", file_name)
    if not os.path.exists(path):
        t.skip(f"{path} was not built")
    return path


class FormatWriterReloadTest(unittest.TestCase):
    """A format writer replaced on disk is taken on SIGHUP too: edited tracks are served through
    the new library from then on (what the kernel cached of them is dropped), and the old library
    is unloaded as soon as no open file reads through it."""

    def setUp(self):
        t.require_all(mutagen=True)
        self.tmp = tempfile.mkdtemp(prefix="musicfs-writers-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.plugin_dir = os.path.join(self.tmp, "plugins")
        os.mkdir(self.plugin_dir)
        self.plugin = os.path.join(self.plugin_dir, "format-flac.so")
        install(built_plugin("format-flac.so"), self.plugin)  # overrides the standard one
        self.lib = os.path.join(self.tmp, "library")
        os.mkdir(self.lib)
        manifest = t.Manifest(t.library_dir())
        flac = next(tr for tr in manifest.tracks
                    if tr["format"] == "flac" and not tr.get("symlink_to"))
        self.original = os.path.join(self.lib, "one.flac")
        shutil.copyfile(manifest.original(flac), self.original)

    def served(self, m):
        files = t.walk_files(os.fsencode(m.mp))
        self.assertEqual(len(files), 1, files)
        return os.path.join(os.fsencode(m.mp), files[0])

    def check(self, path, title):
        from mutagen.flac import FLAC
        self.assertEqual(FLAC(path).get("title"), [title])
        self.assertEqual(t.ffmpeg_audio_md5(path), t.ffmpeg_audio_md5(self.original),
                         "the audio differs from the original's")

    def test_reload_replaces_format_writers(self):
        with t.Mount(self.lib, "--plugin-dir", self.plugin_dir, "--log-level", "debug") as m:
            def tag_title(title):
                r = t.musicfs("tag", "set", self.served(m), f"title={title}")
                self.assertEqual(r.returncode, 0, r.stderr)
            tag_title("Before the reload")
            self.check(self.served(m), "Before the reload")  # a layout of the first library

            forgotten = m.log().count("forget track")
            install(built_plugin("format-flac.so"), self.plugin)  # a new inode: a new library
            m.kill(signal.SIGHUP)
            wait_for(lambda: "plugin org.musicfs.format.flac reloaded" in m.log(),
                     what="the format writer's reload")
            wait_for(lambda: "org.musicfs.format.flac 0.1.0: deinit" in m.log(),
                     what=f"the old format writer's deinit\n{m.log()}")
            wait_for(lambda: m.log().count("forget track") > forgotten,
                     what="the kernel told to forget the edited track")
            self.check(self.served(m), "Before the reload")
            tag_title("After the reload")
            self.check(self.served(m), "After the reload")
            self.assertTrue(os.path.ismount(m.mp))


if __name__ == "__main__":
    t.main()
