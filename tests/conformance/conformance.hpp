#pragma once
// Shared by the conformance suites (one executable per plugin kind): command-line options, the
// plugin under test, the host log as the plugin fills it, and small helpers.
//
// Each executable takes, before or among doctest's own options:
//   --plugin PATH         the plugin (.so) under test (required)
//   --config KEY=VALUE    one entry of the instance configuration; repeat for more. "{fixture}"
//                         in a value is replaced by the fixture directory
//   --fixture DIR         the fixture directory (what it must hold depends on the kind)
//   --verbose             show the host log (plugin log lines included) on stderr
// plus options of its own kind (see the top of origin_conformance.cpp / metadata_conformance.cpp).
// Everything else goes to doctest (-tc=..., -s, -ltc, --help, ...).

#include "plugin/registry.hpp"

#include <spdlog/common.h>

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicfs::conformance {

struct Options {
    std::filesystem::path plugin;
    std::vector<std::pair<std::string, std::string>> config;  // as given, in order
    std::filesystem::path fixture;                            // empty when not given
    std::multimap<std::string, std::string> values;           // the kind's own --name VALUE
    std::set<std::string> flags;                              // the kind's own --name

    bool flag(const std::string& name) const { return flags.count(name) > 0; }
    std::vector<std::string> all(const std::string& name) const;
    std::string value(const std::string& name) const;  // the last one given, or ""
};

// The kind's own options, for parsing and for --help.
struct KindOptions {
    std::set<std::string> with_value;  // e.g. "--corpus"
    std::set<std::string> flags;       // e.g. "--check-tags"
};

// Parses the options, loads the plugin (exit 1 with the loader's reason when it is refused),
// calls `prepare` (which may set options().fixture and must return 0 to go on), runs doctest.
int run(int argc, char** argv, std::string_view usage, const KindOptions& kind,
        int (*prepare)(Options&));

const Options& options();
// Runs `fn` after the tests, while the plugin and the host log are still there (for objects a
// suite keeps for the whole run).
void at_end(std::function<void()> fn);
const plugin::PluginPtr& plugin_under_test();
// Loads another plugin through the same registry (e.g. an origin to read a fixture through);
// nullptr with the loader's reason in `reason` when it is refused.
plugin::PluginPtr load_other_plugin(const std::filesystem::path& path, std::string& reason);

// The configuration with "{fixture}" substituted, as the host passes it: key -> value.
std::map<std::string, std::string> config_map(
    const std::vector<std::pair<std::string, std::string>>& entries);
std::map<std::string, std::string> config_map();  // options().config

// Host log lines (every level, plugin lines included) since the last clear.
struct LogLine {
    spdlog::level::level_enum level;
    std::string text;
};
std::vector<LogLine> host_log();
void clear_host_log();

// Open file descriptors of this process (entries of /proc/self/fd).
std::size_t open_fd_count();

// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
std::vector<unsigned char> pseudo_random_bytes(std::size_t n, std::uint64_t seed);

// A fresh directory under $TMPDIR, removed (with everything in it) on destruction.
class TempDir {
public:
    explicit TempDir(std::string_view prefix);
    TempDir(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

// The MANIFEST.json of a library made by tests/data/make-library.sh (the ctest fixture
// musicfs_library): every valid track with its format and expected tags, and the broken files.
struct ManifestTrack {
    std::string path;    // relative to the library, as bytes
    std::string format;  // as mfs_metadata_sink_t.format names it ("flac", "vorbis", "wav", ...)
    std::map<std::string, std::vector<std::string>> tags;
};

struct Manifest {
    bool loaded = false;
    std::vector<ManifestTrack> tracks;
    std::vector<std::string> broken;
};

// Reads LIBRARY/MANIFEST.json; throws std::runtime_error when it is missing or malformed.
Manifest load_manifest(const std::filesystem::path& library);

// The whole content of a file (empty when it cannot be read).
std::vector<unsigned char> file_bytes(const std::filesystem::path& path);

// Printable form of a byte string (non-UTF-8 bytes and controls as \xNN) for messages.
std::string printable(std::string_view bytes);

// Mismatches found on other threads, where doctest's assertions may not be used: each is
// counted, the first one described (`describe` is only called for it). Check after joining.
class Mismatches {
public:
    void note(const std::function<std::string()>& describe);
    int count() const { return count_; }
    std::string first() const;

private:
    std::atomic<int> count_{0};
    mutable std::mutex mu_;
    std::string first_;  // guarded by mu_
};

// Runs fn(0) ... fn(n - 1) on n threads at once and joins them.
void run_threads(int n, const std::function<void(int)>& fn);

// For a plugin call that must fail and explain why in a caller's buffer: `call(buf, size)` is
// made with no buffer and with buffers of 0, 1 and 7 bytes. Each must fail, NUL-terminate what
// it wrote, and write nothing past `size`.
void check_reason_buffers(const std::function<int(char* buf, std::size_t size)>& call);

}  // namespace musicfs::conformance
