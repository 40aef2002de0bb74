#!/usr/bin/env python3
"""Setup of the ctest fixture musicfs_conformance_examples: builds the out-of-tree example
plugins (examples/) the way a third party does, against this build INSTALLED into a prefix
(never against the source tree), and makes what their conformance runs need.

    build_examples.py CMAKE GENERATOR BUILD_DIR EXAMPLES_DIR LIBRARY OUT

OUT receives:
    prefix/                      cmake --install BUILD_DIR
    build/<example>/<plugin>.so  each example built against prefix/
    tar/tree/, tar/tree.tar      a directory and a tar archive of it (for the tar origin)
    sidecars/                    one <track>.json per track of LIBRARY's MANIFEST.json, with its
                                 expected tags (for the sidecar metadata source)
The conformance tests then find the plugins at fixed paths under OUT.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile

EXAMPLES = ("origin-c", "meta-sidecar", "template-the")


def run(args, env=None):
    print("+", " ".join(args), flush=True)
    subprocess.run(args, check=True, env=env, timeout=600)


def make_tree(root):
    """A small tree with the shapes an archive origin must serve: nested and empty directories,
    an empty file, a file of 200 003 bytes, names with spaces and non-ASCII UTF-8."""
    os.makedirs(os.path.join(root, "sub", "nested"))
    os.makedirs(os.path.join(root, "empty-dir"))
    files = {
        "hello.txt": b"hello\n",
        "empty.bin": b"",
        "big.bin": bytes((i * 31 + 7) % 251 for i in range(200_003)),
        "page.bin": bytes((i * 13) % 256 for i in range(4096)),
        "spaces and \u00fcnic\u00f6de.txt": b"x" * 777,
        "sub/in-sub.bin": bytes(i % 199 for i in range(65_537)),
        "sub/nested/deep.txt": b"0123456789",
    }
    for rel, data in files.items():
        with open(os.path.join(root, rel), "wb") as f:
            f.write(data)


def make_sidecars(library, out):
    with open(os.path.join(library, "MANIFEST.json"), "rb") as f:
        manifest = json.loads(f.read().decode("utf-8", "surrogatepass"))
    n = 0
    for track in manifest["tracks"]:
        # Non-UTF-8 names are written as lone surrogates \udcXX: back to their bytes.
        rel = os.fsencode(track["path"])
        path = os.path.join(os.fsencode(out), rel + b".json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            json.dump(track["expected_tags"], f, ensure_ascii=False)
        n += 1
    print(f"{n} sidecars in {out}")


def main():
    cmake, generator, build_dir, examples, library, out = sys.argv[1:7]
    if os.path.exists(out):
        shutil.rmtree(out)
    prefix = os.path.join(out, "prefix")
    run([cmake, "--install", build_dir, "--prefix", prefix])

    # A build environment that knows nothing of the source tree or of another MusicFS.
    env = {k: v for k, v in os.environ.items()
           if k not in ("CMAKE_PREFIX_PATH", "MusicFS_DIR", "CPATH", "CPLUS_INCLUDE_PATH",
                        "C_INCLUDE_PATH", "LIBRARY_PATH")}
    for example in EXAMPLES:
        src = os.path.join(out, "src", example)
        build = os.path.join(out, "build", example)
        shutil.copytree(os.path.join(examples, example), src)
        run([cmake, "-S", src, "-B", build, "-G", generator, f"-DCMAKE_PREFIX_PATH={prefix}",
             "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DCMAKE_COMPILE_WARNING_AS_ERROR=ON"], env)
        run([cmake, "--build", build], env)

    tree = os.path.join(out, "tar", "tree")
    make_tree(tree)
    with tarfile.open(os.path.join(out, "tar", "tree.tar"), "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(os.listdir(tree)):
            tar.add(os.path.join(tree, name), arcname=name)
    make_sidecars(library, os.path.join(out, "sidecars"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
