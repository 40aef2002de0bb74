// Conformance suite for origin plugins (sdk/include/musicfs/origin.h), run against every origin.
//
//   musicfs_conformance_origin --plugin PATH [--config KEY=VALUE]... [--fixture DIR]
//                              [--bad-config KEY=VALUE]... [--empty-config-ok] [--verbose]
//                              [doctest options, e.g. -tc="*range*" -s]
//
// The origin must serve the tree of a local directory, the FIXTURE: every check compares what
// the plugin says with what the file system says about that directory (symlinks followed).
//  - Without --fixture the suite builds one in a temp dir: files of many sizes (one of 200 003
//    bytes), a name that is not UTF-8, symlinks to a file and to a directory, a dangling
//    symlink, a symlink loop, a link to its own parent directory, a FIFO, empty files and
//    directories. "{fixture}" in a --config value names it. For origin-local:
//        musicfs_conformance_origin --plugin origin-local.so --config 'root={fixture}'
//  - With --fixture DIR, DIR is the reference (only read): configure the plugin to serve
//    exactly that tree, e.g. an archive origin with an archive made from DIR:
//        tar -C DIR -cf /tmp/t.tar .
//        musicfs_conformance_origin --plugin origin-tar.so --fixture DIR --config archive=/tmp/t.tar
//  - With neither (no --fixture, no "{fixture}" in the configuration), an origin with nothing
//    local behind it (generated, remote) is checked against itself: listings against stat,
//    every read against one sequential read of the file, sizes against what the reads return.
//        musicfs_conformance_origin --plugin origin-synthetic.so --empty-config-ok
//            --config tracks=40 --config size_mean=100K       (one command line)
// Configuration errors: an instance with an empty configuration, and one with every configured
// value emptied, must be refused with -EINVAL and a log line (--empty-config-ok skips the
// first, for origins that need no configuration); each --bad-config KEY=VALUE (the valid
// configuration with KEY set to VALUE) must be refused with a negative errno.
//
// Exit code: 0 when every check passed, 1 when one failed, 2 on bad usage.
#include <doctest/doctest.h>

#include "conformance.hpp"

#include "origins/origin.hpp"
#include "plugin/host.hpp"
#include "util/error.hpp"

#include <musicfs/origin.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using musicfs::conformance::options;
using musicfs::conformance::Mismatches;
using musicfs::conformance::printable;
using musicfs::conformance::run_threads;
using musicfs::origins::Origin;

namespace {

// --- The fixture -----------------------------------------------------------------------------

std::unique_ptr<musicfs::conformance::TempDir> g_temp;  // owns the generated fixture
bool g_generated = false;                               // the suite built the fixture
bool g_self = false;  // no fixture: the origin's own listing and reads are the reference

const std::string kBadName = "bad\xFFname \xE9t\xE9.bin";  // Latin-1, not UTF-8

void write_file(const fs::path& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

void make_fixture(const fs::path& root) {
    using musicfs::conformance::pseudo_random_bytes;
    fs::create_directories(root / "sub" / "nested");
    fs::create_directories(root / "empty-dir");
    write_file(root / "hello.txt", {'h', 'e', 'l', 'l', 'o', '\n'});
    write_file(root / "empty.bin", {});
    write_file(root / "big.bin", pseudo_random_bytes(200'003, 1));
    write_file(root / "page.bin", pseudo_random_bytes(4096, 2));
    write_file(root / "spaces and \xC3\xBCnic\xC3\xB6" "de.txt", pseudo_random_bytes(777, 3));
    write_file(root / kBadName, pseudo_random_bytes(1234, 4));
    write_file(root / "sub" / "in-sub.bin", pseudo_random_bytes(65'537, 5));
    write_file(root / "sub" / "nested" / "deep.txt", pseudo_random_bytes(10, 6));
    write_file(root.parent_path() / "outside.txt", {'o', 'u', 't', '\n'});
    fs::create_symlink("big.bin", root / "link-to-big");
    fs::create_directory_symlink("sub", root / "link-to-sub");
    fs::create_directory_symlink("..", root / "sub" / "up");  // a way back up: a cycle
    fs::create_symlink("does-not-exist", root / "dangling");
    fs::create_symlink("loop-b", root / "loop-a");
    fs::create_symlink("loop-a", root / "loop-b");
    fs::create_symlink("self", root / "self");
    if (mkfifo((root / "fifo").c_str(), 0644) != 0)
        throw std::runtime_error("mkfifo: " + musicfs::errno_text(errno));
    if (geteuid() != 0) {
        // Unreadable for real only when not root (root reads anything).
        write_file(root / "locked.bin", pseudo_random_bytes(100, 7));
        chmod((root / "locked.bin").c_str(), 0);
    }
}

int prepare(musicfs::conformance::Options& opts) {
    if (!musicfs::conformance::plugin_under_test()->origin_kind()) {
        std::cerr << "the plugin provides no origin kind (it provides: "
                  << musicfs::conformance::plugin_under_test()->kinds() << ")\n";
        return 2;
    }
    if (!opts.fixture.empty()) {
        if (!fs::is_directory(opts.fixture)) {
            std::cerr << "--fixture " << opts.fixture << " is not a directory\n";
            return 2;
        }
        return 0;
    }
    const bool wants_fixture = std::any_of(opts.config.begin(), opts.config.end(), [](const auto& kv) {
        return kv.second.find("{fixture}") != std::string::npos;
    });
    if (!wants_fixture) {
        g_self = true;
        std::cout << "no fixture: the origin is checked against its own listings and reads\n";
        return 0;
    }
    g_temp = std::make_unique<musicfs::conformance::TempDir>("musicfs-conformance-origin");
    opts.fixture = g_temp->path() / "root";
    make_fixture(opts.fixture);
    g_generated = true;
    std::cout << "fixture: " << opts.fixture.string() << " (generated)\n";
    return 0;
}

// --- What the file system says (or, without a fixture, what the origin said first) -------------

std::shared_ptr<Origin> make_origin();
const Origin& reference_origin() {
    static std::shared_ptr<Origin> origin;
    if (!origin) {
        origin = make_origin();
        musicfs::conformance::at_end([] { origin.reset(); });
    }
    return *origin;
}

std::string join(const std::string& dir, const std::string& name) {
    return dir.empty() ? name : dir + "/" + name;
}

fs::path disk_path(const std::string& rel) {
    return rel.empty() ? options().fixture : options().fixture / rel;
}

struct DiskEntry {
    std::uint32_t type = MFS_ENTRY_OTHER;
    std::uint64_t size = 0;
    std::int64_t mtime_ns = 0;
    bool ancestor_link = false;  // a link to the directory itself or one of its ancestors
};

std::map<std::string, DiskEntry> disk_list(const std::string& dir);

std::optional<DiskEntry> disk_stat(const std::string& rel) {
    if (g_self) {
        if (rel.empty()) return DiskEntry{MFS_ENTRY_DIRECTORY, 0, 0, false};
        const auto slash = rel.rfind('/');
        const auto parent = disk_list(slash == std::string::npos ? "" : rel.substr(0, slash));
        const auto it = parent.find(slash == std::string::npos ? rel : rel.substr(slash + 1));
        return it == parent.end() ? std::nullopt : std::optional<DiskEntry>(it->second);
    }
    struct stat st {};
    if (::stat(disk_path(rel).c_str(), &st) != 0) return std::nullopt;
    DiskEntry e;
    e.type = S_ISREG(st.st_mode)   ? MFS_ENTRY_FILE
             : S_ISDIR(st.st_mode) ? MFS_ENTRY_DIRECTORY
                                   : MFS_ENTRY_OTHER;
    e.size = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
    e.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    return e;
}

std::string real(const fs::path& p) {
    char buf[PATH_MAX];
    return realpath(p.c_str(), buf) ? std::string(buf) : std::string();
}

// Entries of `dir` that stat() can resolve (the others, dangling links and loops, must not be
// listed), by name.
std::map<std::string, DiskEntry> disk_list(const std::string& dir) {
    std::map<std::string, DiskEntry> out;
    if (g_self) {
        reference_origin().list(dir, [&](std::string_view name, const mfs_origin_stat_t& st) {
            out.emplace(std::string(name), DiskEntry{st.type, st.size, st.mtime_ns, false});
            return true;
        });
        return out;
    }
    DIR* d = opendir(disk_path(dir).c_str());
    if (!d) return out;
    const std::string dir_real = real(disk_path(dir));
    while (const dirent* de = readdir(d)) {
        const std::string name = de->d_name;
        if (name == "." || name == "..") continue;
        auto e = disk_stat(join(dir, name));
        if (!e) continue;
        if (e->type == MFS_ENTRY_DIRECTORY) {
            const std::string target = real(disk_path(join(dir, name)));
            e->ancestor_link = !target.empty() &&
                               (dir_real == target || dir_real.rfind(target + "/", 0) == 0 ||
                                target == "/");
        }
        out.emplace(name, *e);
    }
    closedir(d);
    return out;
}

// The whole tree: relative path -> entry, directories entered unless they lead back up (at
// most 5000 entries, to stay quick on big origins).
std::map<std::string, DiskEntry> disk_tree() {
    static std::map<std::string, DiskEntry> cached;  // the reference does not change in a run
    if (!cached.empty()) return cached;
    std::map<std::string, DiskEntry> out;
    std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int depth) {
        for (const auto& [name, e] : disk_list(dir)) {
            if (out.size() >= 5000) return;
            const std::string path = join(dir, name);
            out.emplace(path, e);
            if (e.type == MFS_ENTRY_DIRECTORY && !e.ancestor_link && depth < 12) walk(path, depth + 1);
        }
    };
    walk("", 0);
    cached = out;
    return out;
}

// errno of opening `rel` for reading on disk (0 when it opens), without blocking on FIFOs.
int disk_open_errno(const std::string& rel) {
    if (g_self) return 0;
    const int fd = ::open(disk_path(rel).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
}

std::vector<unsigned char> disk_bytes(const std::string& rel) {
    if (g_self) {
        std::vector<unsigned char> out;
        int err = 0;
        auto file = reference_origin().open(rel, err);
        if (!file) return out;
        std::vector<unsigned char> chunk(1 << 16);
        for (;;) {
            const auto n = file->read(out.size(), chunk.data(), chunk.size());
            if (n <= 0) break;
            out.insert(out.end(), chunk.begin(), chunk.begin() + n);
        }
        return out;
    }
    std::ifstream in(disk_path(rel), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// --- What the origin says ----------------------------------------------------------------------

std::shared_ptr<Origin> make_origin() {
    return std::make_shared<Origin>("conformance", musicfs::conformance::plugin_under_test(),
                                    musicfs::conformance::config_map());
}

struct Listing {
    int rc = 0;
    std::map<std::string, mfs_origin_stat_t> entries;
    std::vector<std::string> problems;  // duplicates, "." and "..", bad names
};

Listing list(const Origin& origin, const std::string& dir) {
    Listing out;
    out.rc = origin.list(dir, [&](std::string_view name, const mfs_origin_stat_t& st) {
        const std::string n(name);
        if (n.empty() || n == "." || n == ".." || n.find('/') != std::string::npos)
            out.problems.push_back("listed an invalid name '" + printable(n) + "'");
        if (!out.entries.emplace(n, st).second)
            out.problems.push_back("listed '" + printable(n) + "' twice");
        return true;
    });
    return out;
}

const char* type_name(std::uint32_t type) {
    switch (type) {
        case MFS_ENTRY_FILE: return "file";
        case MFS_ENTRY_DIRECTORY: return "directory";
        case MFS_ENTRY_OTHER: return "other";
        default: return "invalid type";
    }
}

// Reads [offset, offset + len) through `file`; the count, or a negative errno.
std::int64_t read_range(musicfs::origins::OriginFile& file, std::uint64_t offset,
                        std::uint64_t len, std::vector<unsigned char>& out) {
    out.assign(len, 0);
    const auto n = file.read(offset, out.data(), len);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return n;
}

// The regular files of the tree that can be read on disk, largest first.
std::vector<std::pair<std::string, DiskEntry>> readable_files() {
    std::vector<std::pair<std::string, DiskEntry>> out;
    for (const auto& [path, e] : disk_tree())
        if (e.type == MFS_ENTRY_FILE && disk_open_errno(path) == 0) out.emplace_back(path, e);
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.second.size > b.second.size; });
    return out;
}

bool mtime_close(std::int64_t a, std::int64_t b) {
    return (a > b ? a - b : b - a) < 1'000'000'000;  // archives keep whole seconds
}

}  // namespace

TEST_CASE("listing every directory gives the names, types and sizes on disk") {
    const auto origin = make_origin();
    std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int depth) {
        CAPTURE(printable(dir));
        const Listing got = list(*origin, dir);
        REQUIRE_MESSAGE(got.rc == 0, "list: ", musicfs::errno_text(got.rc));
        for (const auto& p : got.problems) FAIL_CHECK(p);
        const auto expected = disk_list(dir);
        for (const auto& [name, e] : expected) {
            CAPTURE(printable(name));
            const auto it = got.entries.find(name);
            if (it == got.entries.end()) {
                FAIL_CHECK("not listed, but on disk as a ", type_name(e.type));
                continue;
            }
            const mfs_origin_stat_t& st = it->second;
            if (e.ancestor_link) {
                // Following it would never end: "other" (not followed) or a directory.
                CHECK((st.type == MFS_ENTRY_DIRECTORY || st.type == MFS_ENTRY_OTHER));
                continue;
            }
            CHECK(type_name(st.type) == std::string(type_name(e.type)));
            if (e.type == MFS_ENTRY_FILE) CHECK(st.size == e.size);
            if (e.type != MFS_ENTRY_OTHER) CHECK(mtime_close(st.mtime_ns, e.mtime_ns));
            if (e.type == MFS_ENTRY_DIRECTORY && depth < 12) walk(join(dir, name), depth + 1);
        }
        for (const auto& [name, st] : got.entries)
            if (!expected.count(name))
                FAIL_CHECK("listed '", printable(join(dir, name)), "' (", type_name(st.type),
                           "), which is not on disk or cannot be resolved there");
    };
    walk("", 0);
}

TEST_CASE("the generated fixture's special entries are served as documented") {
    if (!g_generated) {
        MESSAGE("skipped: only with the fixture the suite generates itself");
        return;
    }
    const auto origin = make_origin();
    const Listing root = list(*origin, "");
    REQUIRE(root.rc == 0);
    const auto& e = root.entries;
    CHECK_MESSAGE(e.count(kBadName), "a non-UTF-8 name is passed through as bytes");
    CHECK_MESSAGE(e.count("spaces and \xC3\xBCnic\xC3\xB6" "de.txt"), "a UTF-8 name with spaces");
    REQUIRE(e.count("link-to-big"));
    CHECK(e.at("link-to-big").type == MFS_ENTRY_FILE);
    CHECK(e.at("link-to-big").size == 200'003);
    REQUIRE(e.count("link-to-sub"));
    CHECK(e.at("link-to-sub").type == MFS_ENTRY_DIRECTORY);
    CHECK_MESSAGE(!e.count("dangling"), "a dangling symlink cannot be stat'ed: skipped");
    CHECK_MESSAGE(!e.count("loop-a"), "a symlink loop cannot be stat'ed: skipped");
    CHECK_MESSAGE(!e.count("self"), "a symlink to itself cannot be stat'ed: skipped");
    REQUIRE(e.count("fifo"));
    CHECK(e.at("fifo").type == MFS_ENTRY_OTHER);
    REQUIRE(e.count("empty.bin"));
    CHECK(e.at("empty.bin").size == 0);
    const Listing sub = list(*origin, "sub");
    REQUIRE(sub.rc == 0);
    CHECK(sub.entries.size() == 3);  // in-sub.bin, nested, up
    CHECK(list(*origin, "empty-dir").entries.empty());
    mfs_origin_stat_t st{};
    CHECK(origin->stat(kBadName, st) == 0);
    CHECK(st.size == 1234);
}

TEST_CASE("stat agrees with the file system and with the listing") {
    const auto origin = make_origin();
    mfs_origin_stat_t st{};
    REQUIRE(origin->stat("", st) == 0);
    CHECK(st.type == MFS_ENTRY_DIRECTORY);
    for (const auto& [path, e] : disk_tree()) {
        CAPTURE(printable(path));
        REQUIRE_MESSAGE(origin->stat(path, st) == 0, "stat failed");
        if (e.ancestor_link) {
            CHECK((st.type == MFS_ENTRY_DIRECTORY || st.type == MFS_ENTRY_OTHER));
        } else {
            CHECK(type_name(st.type) == std::string(type_name(e.type)));
            if (e.type == MFS_ENTRY_FILE) CHECK(st.size == e.size);
            if (e.type != MFS_ENTRY_OTHER) CHECK(mtime_close(st.mtime_ns, e.mtime_ns));
        }
    }
    // list() fills each entry "as by stat()": the two must agree.
    std::function<void(const std::string&, int)> walk = [&](const std::string& dir, int depth) {
        for (const auto& [name, listed] : list(*origin, dir).entries) {
            const std::string path = join(dir, name);
            CAPTURE(printable(path));
            mfs_origin_stat_t s{};
            REQUIRE(origin->stat(path, s) == 0);
            const auto disk = disk_stat(path);
            if (listed.type != s.type && disk && disk->type == MFS_ENTRY_DIRECTORY &&
                listed.type == MFS_ENTRY_OTHER) {
                MESSAGE("'", printable(path), "' is listed as other but stats as a directory (",
                        "a link back up, not followed by list)");
                continue;
            }
            CHECK(type_name(listed.type) == std::string(type_name(s.type)));
            if (s.type == MFS_ENTRY_FILE) CHECK(listed.size == s.size);
            CHECK(listed.mtime_ns == s.mtime_ns);
            if (listed.type == MFS_ENTRY_DIRECTORY && depth < 12) walk(path, depth + 1);
        }
    };
    walk("", 0);

    CHECK(origin->stat("no such file", st) == -ENOENT);
    CHECK(origin->stat("no such dir/file", st) == -ENOENT);
    const auto files = readable_files();
    if (!files.empty()) CHECK(origin->stat(files.front().first + "/below", st) < 0);
    if (g_generated) {
        CHECK(origin->stat("dangling", st) == -ENOENT);
        CHECK(origin->stat("loop-a", st) < 0);
        CHECK(origin->stat("self", st) < 0);
    }
}

TEST_CASE("listing what is not a directory fails, and a sink can stop a listing") {
    const auto origin = make_origin();
    CHECK(list(*origin, "no such dir").rc == -ENOENT);
    const auto files = readable_files();
    REQUIRE_MESSAGE(!files.empty(), "the fixture needs at least one readable file");
    CHECK(list(*origin, files.back().first).rc == -ENOTDIR);

    int calls = 0;
    const int rc = origin->list("", [&](std::string_view, const mfs_origin_stat_t&) {
        ++calls;
        return false;  // stop
    });
    CHECK(rc == 0);
    CHECK(calls == 1);
}

TEST_CASE("every file reads back byte for byte") {
    const auto origin = make_origin();
    int checked = 0;
    for (const auto& [path, e] : readable_files()) {
        CAPTURE(printable(path));
        if (e.size > (64u << 20)) continue;  // keep the suite quick on big fixtures
        int err = 0;
        auto file = origin->open(path, err);
        REQUIRE_MESSAGE(file, "open: ", musicfs::errno_text(err));
        const auto expected = disk_bytes(path);
        std::vector<unsigned char> got;
        std::vector<unsigned char> chunk;
        for (;;) {
            const auto n = read_range(*file, got.size(), 65'537, chunk);
            REQUIRE(n >= 0);
            if (n == 0) break;
            got.insert(got.end(), chunk.begin(), chunk.end());
            REQUIRE(got.size() <= expected.size());
        }
        CHECK(got.size() == e.size);  // the size listed is the size read
        CHECK(got.size() == expected.size());
        CHECK(got == expected);
        ++checked;
    }
    MESSAGE(checked, " files compared");
}

TEST_CASE("range reads at odd offsets and lengths, across and past the end") {
    const auto files = readable_files();
    REQUIRE_MESSAGE(!files.empty(), "the fixture needs at least one readable file");
    const auto& [path, e] = files.front();  // the largest
    CAPTURE(printable(path));
    const std::uint64_t size = e.size;
    if (size < 65'538) MESSAGE("the largest file has only ", size, " bytes: fewer offsets tested");
    const auto disk = disk_bytes(path);
    REQUIRE(disk.size() == size);
    const auto origin = make_origin();
    int err = 0;
    auto file = origin->open(path, err);
    REQUIRE_MESSAGE(file, "open: ", musicfs::errno_text(err));

    std::set<std::uint64_t> offsets = {0, 1, 4095, 4096, 4097, 65'535, 65'536, 65'537};
    if (size > 0) offsets.insert({size / 2, size - 1});
    if (size > 4097) offsets.insert(size - 4097);
    const std::uint64_t lengths[] = {0, 1, 2, 3, 4095, 4096, 4097, 65'536, 65'537, 200'000};
    std::vector<unsigned char> got;
    for (const auto offset : offsets) {
        if (offset >= size) continue;
        for (const auto len : lengths) {
            CAPTURE(offset);
            CAPTURE(len);
            const std::uint64_t expected = std::min(len, size - offset);
            const auto n = read_range(*file, offset, len, got);
            REQUIRE(n == static_cast<std::int64_t>(expected));  // short only at the end
            CHECK(std::equal(got.begin(), got.end(), disk.begin() + static_cast<std::ptrdiff_t>(offset)));
        }
    }
    // At and past the end: 0 bytes, not an error.
    for (const std::uint64_t offset : {size, size + 1, size + 4096, std::uint64_t{1} << 40,
                                       std::uint64_t{1} << 62}) {
        CAPTURE(offset);
        CHECK(read_range(*file, offset, 4096, got) == 0);
        CHECK(read_range(*file, offset, 0, got) == 0);
    }
    // Crossing the end: short.
    if (size >= 10) {
        CHECK(read_range(*file, size - 10, 100, got) == 10);
        CHECK(std::equal(got.begin(), got.end(), disk.end() - 10));
    }
    // One read larger than the file.
    CHECK(read_range(*file, 0, size + (1u << 20), got) == static_cast<std::int64_t>(size));
    CHECK(got == disk);
}

TEST_CASE("concurrent reads on one handle from several threads") {
    const auto files = readable_files();
    REQUIRE(!files.empty());
    const auto& [path, e] = files.front();
    const auto disk = disk_bytes(path);
    const auto origin = make_origin();
    int err = 0;
    auto file = origin->open(path, err);
    REQUIRE_MESSAGE(file, "open: ", musicfs::errno_text(err));
    Mismatches wrong;
    std::atomic<int> reads{0};
    run_threads(8, [&](int t) {
        std::mt19937_64 rng(static_cast<unsigned>(t) + 1);
        std::vector<unsigned char> buf;
        for (int i = 0; i < 300; ++i) {
            const std::uint64_t offset = rng() % (disk.size() + 100);
            const std::uint64_t len = rng() % 70'000;
            const std::uint64_t expected =
                offset >= disk.size() ? 0 : std::min<std::uint64_t>(len, disk.size() - offset);
            buf.assign(len, 0);
            const auto n = file->read(offset, buf.data(), len);
            ++reads;
            const bool ok = n == static_cast<std::int64_t>(expected) &&
                            std::equal(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(expected),
                                       disk.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(offset, disk.size())));
            if (!ok)
                wrong.note([&] {
                    return "read(" + std::to_string(offset) + ", " + std::to_string(len) + ") gave " +
                           std::to_string(n) + ", expected " + std::to_string(expected);
                });
        }
    });
    INFO("first wrong read: ", wrong.first());
    CHECK(wrong.count() == 0);
    CHECK(reads == 2400);
}

TEST_CASE("list, stat, open and read from several threads at once") {
    const auto origin = make_origin();
    const auto expected_root = list(*origin, "");
    REQUIRE(expected_root.rc == 0);
    const auto files = readable_files();
    REQUIRE(!files.empty());
    const std::string small = files.back().first;
    const auto small_bytes = disk_bytes(small);
    std::atomic<int> wrong{0};
    run_threads(6, [&](int) {
        for (int i = 0; i < 40; ++i) {
            const auto l = list(*origin, "");
            if (l.rc != 0 || l.entries.size() != expected_root.entries.size()) ++wrong;
            for (const auto& [path, e] : files) {
                mfs_origin_stat_t st{};
                if (origin->stat(path, st) != 0 || st.size != e.size) ++wrong;
            }
            int err = 0;
            auto f = origin->open(small, err);
            if (!f) {
                ++wrong;
                continue;
            }
            std::vector<unsigned char> buf(small_bytes.size() + 1);
            const auto n = f->read(0, buf.data(), buf.size());
            buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
            if (buf != small_bytes) ++wrong;
        }
    });
    CHECK(wrong == 0);
}

TEST_CASE("opening anything but a regular file fails with a negative errno") {
    const auto origin = make_origin();
    int err = 0;
    CHECK_FALSE(origin->open("", err));
    CHECK(err < 0);
    CHECK_FALSE(origin->open("no such file", err));
    CHECK(err == -ENOENT);
    for (const auto& [path, e] : disk_tree()) {
        CAPTURE(printable(path));
        if (e.type == MFS_ENTRY_DIRECTORY) {
            CHECK_FALSE(origin->open(path, err));
            CHECK(err < 0);
        } else if (e.type == MFS_ENTRY_OTHER) {
            // A FIFO without a writer: open must neither succeed nor block.
            auto attempt = std::async(std::launch::async, [&origin, path = path] {
                int e2 = 0;
                auto f = origin->open(path, e2);
                return std::make_pair(f != nullptr, e2);
            });
            if (attempt.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
                FAIL_CHECK("open of '", printable(path), "' (not a regular file) blocks");
                std::cerr.flush();
                std::_Exit(1);  // the thread cannot be cancelled
            }
            const auto [opened, e2] = attempt.get();
            CHECK_FALSE(opened);
            CHECK(e2 < 0);
        } else if (const int disk_err = disk_open_errno(path); disk_err != 0) {
            CHECK_FALSE(origin->open(path, err));
            CHECK(err == -disk_err);
        }
    }
    if (g_generated) {
        CHECK_FALSE(origin->open("dangling", err));
        CHECK(err == -ENOENT);
        CHECK_FALSE(origin->open("loop-a", err));
        CHECK(err < 0);
        if (geteuid() != 0) {
            CHECK_FALSE(origin->open("locked.bin", err));
            CHECK(err == -EACCES);
        } else {
            MESSAGE("running as root: an unreadable file cannot be made; covered by the FIFO "
                    "and dangling-link cases");
        }
    }
}

TEST_CASE("paths that climb out of the root, or are absolute, are refused") {
    const auto origin = make_origin();
    const auto files = readable_files();
    REQUIRE(!files.empty());
    const std::string some_file = files.back().first;
    std::vector<std::string> bad = {
        "..", "../", "../..", "./..", "../outside.txt", "x/../..", "x/../" + some_file, "sub/..",
        "/", "/etc/passwd", "/" + some_file,
    };
    if (!options().fixture.empty()) {
        const std::string root_name = options().fixture.filename().string();
        bad.push_back("../" + root_name);
        bad.push_back("../" + root_name + "/" + some_file);  // out and back in: still refused
        bad.push_back((options().fixture / some_file).string());
    }
    for (const auto& path : bad) {
        CAPTURE(path);
        mfs_origin_stat_t st{};
        CHECK(origin->stat(path, st) < 0);
        int err = 0;
        CHECK_FALSE(origin->open(path, err));
        CHECK(err < 0);
        CHECK(list(*origin, path).rc < 0);
    }
}

TEST_CASE("many open, read, close and list cycles leak no file descriptor") {
    using musicfs::conformance::open_fd_count;
    const auto files = readable_files();
    REQUIRE(!files.empty());
    const std::string file = files.back().first;
    std::optional<std::string> dir;
    std::optional<std::string> other;
    for (const auto& [path, e] : disk_tree()) {
        if (e.type == MFS_ENTRY_DIRECTORY && !e.ancestor_link && !dir) dir = path;
        if (e.type == MFS_ENTRY_OTHER && !other) other = path;
    }
    auto cycle = [&](const Origin& origin) {
        int err = 0;
        {
            auto f = origin.open(file, err);
            REQUIRE(f);
            unsigned char b = 0;
            f->read(0, &b, 1);
        }
        CHECK_FALSE(origin.open("no such file", err));
        CHECK_FALSE(origin.open("", err));
        if (dir) CHECK_FALSE(origin.open(*dir, err));
        if (other) CHECK_FALSE(origin.open(*other, err));
        if (dir) list(origin, *dir);
        list(origin, "");
        list(origin, "no such dir");
        mfs_origin_stat_t st{};
        origin.stat(file, st);
    };
    {
        const auto warm = make_origin();  // first calls may set up lazily (caches, pools)
        cycle(*warm);
    }
    const std::size_t before = open_fd_count();
    {
        const auto origin = make_origin();
        for (int i = 0; i < 1000; ++i) cycle(*origin);
    }
    for (int i = 0; i < 50; ++i) cycle(*make_origin());  // instances come and go too
    const std::size_t after = open_fd_count();
    CHECK_MESSAGE(after == before, "open descriptors went from ", before, " to ", after);
}

TEST_CASE("configuration errors are refused with -EINVAL and logged") {
    const auto plugin = musicfs::conformance::plugin_under_test();
    const mfs_origin_kind_t& kind = *plugin->origin_kind();
    auto create = [&](const std::map<std::string, std::string>& config) {
        std::vector<mfs_config_entry_t> entries;
        for (const auto& [k, v] : config) entries.push_back({k.c_str(), v.c_str()});
        const mfs_config_entry_t none{"", ""};
        const mfs_config_t cfg{sizeof(mfs_config_t), static_cast<std::uint32_t>(entries.size()),
                               entries.empty() ? &none : entries.data()};
        mfs_origin_t* instance = nullptr;
        musicfs::conformance::clear_host_log();
        const int rc = kind.create(musicfs::plugin::host_services(), &cfg, &instance);
        if (rc == 0 && instance) kind.destroy(instance);
        if (rc != 0) CHECK_MESSAGE(instance == nullptr, "a failed create left an instance");
        bool logged = false;
        for (const auto& line : musicfs::conformance::host_log())
            logged = logged || line.level >= spdlog::level::warn;
        return std::make_pair(rc, logged);
    };

    const auto valid = musicfs::conformance::config_map();
    CHECK_MESSAGE(create(valid).first == 0, "the configuration given with --config is refused");

    if (options().flag("--empty-config-ok")) {
        MESSAGE("--empty-config-ok: an empty configuration is accepted by design");
    } else {
        const auto [rc, logged] = create({});
        CHECK_MESSAGE(rc == -EINVAL, "an empty configuration gave ", rc);
        CHECK_MESSAGE(logged, "the refusal was not logged (at warn or above)");
        CHECK_THROWS_AS(std::make_shared<Origin>("conformance", plugin,
                                                 std::map<std::string, std::string>{}),
                        musicfs::UserError);
    }
    if (!valid.empty()) {
        auto emptied = valid;
        for (auto& [k, v] : emptied) v.clear();
        const auto [rc, logged] = create(emptied);
        CHECK_MESSAGE(rc == -EINVAL, "every value emptied gave ", rc);
        CHECK_MESSAGE(logged, "the refusal was not logged (at warn or above)");
    }
    for (const auto& bad : options().all("--bad-config")) {
        const auto eq = bad.find('=');
        REQUIRE_MESSAGE(eq != std::string::npos, "--bad-config wants KEY=VALUE: ", bad);
        auto config = valid;
        const auto substituted =
            musicfs::conformance::config_map({{bad.substr(0, eq), bad.substr(eq + 1)}});
        config[substituted.begin()->first] = substituted.begin()->second;
        CAPTURE(bad);
        const auto [rc, logged] = create(config);
        CHECK(rc < 0);
        CHECK_MESSAGE(logged, "the refusal was not logged (at warn or above)");
        if (rc < 0 && rc != -EINVAL)
            MESSAGE("refused with ", musicfs::errno_text(rc), " rather than EINVAL");
    }
}

TEST_CASE("unknown extensions are absent") {
    const auto origin = make_origin();
    const mfs_origin_kind_t& kind = *origin->plugin().origin_kind();
    if (!kind.get_extension) {
        MESSAGE("the plugin offers no get_extension: no extensions");
        return;
    }
    // The instance is private to Origin: ask through a fresh one.
    mfs_origin_t* instance = nullptr;
    std::vector<mfs_config_entry_t> entries;
    const auto config = musicfs::conformance::config_map();
    for (const auto& [k, v] : config) entries.push_back({k.c_str(), v.c_str()});
    const mfs_config_entry_t none{"", ""};
    const mfs_config_t cfg{sizeof cfg, static_cast<std::uint32_t>(entries.size()),
                           entries.empty() ? &none : entries.data()};
    REQUIRE(kind.create(musicfs::plugin::host_services(), &cfg, &instance) == 0);
    CHECK(kind.get_extension(instance, "org.musicfs.conformance.no-such-extension/1") == nullptr);
    CHECK(kind.get_extension(instance, "") == nullptr);
    kind.destroy(instance);
}

int main(int argc, char** argv) {
    static constexpr std::string_view kUsage =
        "usage: musicfs_conformance_origin --plugin PATH [--config KEY=VALUE]... [--fixture DIR]\n"
        "           [--bad-config KEY=VALUE]... [--empty-config-ok] [--verbose] [doctest options]\n"
        "Checks an origin plugin against the directory FIXTURE it must serve (generated when\n"
        "--fixture is not given; \"{fixture}\" in a --config value names it). See the top of\n"
        "tests/conformance/origin_conformance.cpp.\n";
    return musicfs::conformance::run(argc, argv, kUsage,
                                     {{"--bad-config"}, {"--empty-config-ok"}}, &prepare);
}
