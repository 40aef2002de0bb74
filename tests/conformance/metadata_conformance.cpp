// Conformance suite for metadata-source plugins (sdk/include/musicfs/metadata.h), run against
// every metadata source.
//
//   musicfs_conformance_metadata --plugin PATH [--config KEY=VALUE]... [--fixture LIBRARY]
//                                [--formats flac,mp3,...] [--check-tags] [--corpus DIR]
//                                [--origin-plugin PATH] [--ignores-content] [--verbose]
//                                [doctest options]
//
//   --fixture LIBRARY   a library made by tests/data/make-library.sh (its MANIFEST.json lists
//                       every valid track with its format and tags, and the broken files);
//                       the ctest fixture musicfs_library builds one. Without it the checks
//                       that need valid audio say so and are skipped.
//   --formats LIST      the formats (as the sink names them: flac, mp3, vorbis, opus, aac, alac,
//                       wav, aiff, ...) the plugin is expected to read; default: every format
//                       of the manifest. Tracks in other formats must give 0 or -ENOTSUP.
//   --check-tags        the tags read must equal the manifest's expected_tags (for sources
//                       that read embedded tags)
//   --corpus DIR        also read every file under DIR (e.g. /work/shared/corpus/public):
//                       no crash, every failure has a reason; skipped with a message when DIR
//                       does not exist
//   --origin-plugin P   also read the library the way the scanner does: through the host's
//                       MetadataSource over an origin-local-like plugin P (config root=LIBRARY)
//   --ignores-content   the source answers from elsewhere than the track's bytes (e.g. sidecar
//                       files): a track cut short is not expected to be refused
//
// The plugin's own checks need no fixture: unknown formats (-ENOTSUP), broken files (-EINVAL or
// -ENOTSUP with a reason, never a crash), failing and short read callbacks, reason buffers of
// size 0, 1 and 7, sinks smaller than the host's, calls from several threads at once.
//
// Example, for the bundled TagLib source:
//   musicfs_conformance_metadata --plugin lib/musicfs/plugins/meta-taglib.so
//       --fixture tests/integration/library --check-tags --corpus /work/shared/corpus/public
//   (one command line; paths relative to the build directory)
// Exit code: 0 when every check passed, 1 when one failed, 2 on bad usage.
#include <doctest/doctest.h>

#include "conformance.hpp"

#include "origins/origin.hpp"
#include "plugin/host.hpp"
#include "scanner/metadata_source.hpp"
#include "util/error.hpp"

#include <musicfs/metadata.h>

#include <nlohmann/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using musicfs::conformance::options;
using musicfs::conformance::printable;
using musicfs::conformance::Mismatches;
using musicfs::conformance::check_reason_buffers;
using musicfs::conformance::run_threads;
using musicfs::conformance::pseudo_random_bytes;

namespace {

using Bytes = std::vector<unsigned char>;

// --- The fixture library -------------------------------------------------------------------

using musicfs::conformance::Manifest;
using musicfs::conformance::ManifestTrack;

Manifest g_manifest;
std::set<std::string> g_formats;  // expected to be read

int prepare(musicfs::conformance::Options& opts) {
    if (!musicfs::conformance::plugin_under_test()->metadata_kind()) {
        std::cerr << "the plugin provides no metadata kind (it provides: "
                  << musicfs::conformance::plugin_under_test()->kinds() << ")\n";
        return 2;
    }
    if (opts.fixture.empty()) return 0;
    try {
        g_manifest = musicfs::conformance::load_manifest(opts.fixture);
    } catch (const std::exception& e) {
        std::cerr << "--fixture " << opts.fixture << ": " << e.what() << "\n";
        return 2;
    }
    for (const auto& t : g_manifest.tracks) g_formats.insert(t.format);
    if (const auto list = opts.value("--formats"); !list.empty()) {
        g_formats.clear();
        std::stringstream ss(list);
        for (std::string f; std::getline(ss, f, ',');)
            if (!f.empty()) g_formats.insert(f);
    }
    return 0;
}

bool need_manifest() {
    if (g_manifest.loaded) return true;
    MESSAGE("skipped: needs --fixture LIBRARY (a library from tests/data/make-library.sh)");
    return false;
}

using musicfs::conformance::file_bytes;

Bytes fixture_bytes(const std::string& rel) { return file_bytes(options().fixture / rel); }

// --- Calling the plugin ----------------------------------------------------------------------

// The instance under test, created with --config and destroyed at the end of the test.
class Instance {
public:
    Instance() : kind_(*musicfs::conformance::plugin_under_test()->metadata_kind()) {
        const auto config = musicfs::conformance::config_map();
        std::vector<mfs_config_entry_t> entries;
        for (const auto& [k, v] : config) entries.push_back({k.c_str(), v.c_str()});
        const mfs_config_entry_t none{"", ""};
        const mfs_config_t cfg{sizeof cfg, static_cast<std::uint32_t>(entries.size()),
                               entries.empty() ? &none : entries.data()};
        const int rc = kind_.create(musicfs::plugin::host_services(), &cfg, &instance_);
        REQUIRE_MESSAGE(rc == 0, "create: ", musicfs::errno_text(rc));
        REQUIRE(instance_);
    }
    Instance(const Instance&) = delete;
    ~Instance() { kind_.destroy(instance_); }
    const mfs_metadata_kind_t& kind() const { return kind_; }
    mfs_metadata_t* get() const { return instance_; }

private:
    const mfs_metadata_kind_t& kind_;
    mfs_metadata_t* instance_ = nullptr;
};

// A track source over bytes in memory, which can misbehave on purpose.
struct Reader {
    const Bytes* bytes = nullptr;
    std::uint64_t max_chunk = std::numeric_limits<std::uint64_t>::max();  // short reads
    int fail_on_call = 0;  // 1-based number of the call that fails (and every later one); 0: none
    std::uint64_t fail_from = std::numeric_limits<std::uint64_t>::max();  // reads reaching it fail
    std::int32_t error = -EIO;
    // What happened.
    int calls = 0;
    bool failed = false;
    bool other_thread = false;  // called from a thread other than the one that called read()
    std::thread::id thread = std::this_thread::get_id();
};

std::int64_t reader_read(void* ctx, std::uint64_t offset, void* buf, std::uint64_t len) {
    auto& r = *static_cast<Reader*>(ctx);
    ++r.calls;
    if (std::this_thread::get_id() != r.thread) r.other_thread = true;
    const std::uint64_t size = r.bytes->size();
    if ((r.fail_on_call > 0 && r.calls >= r.fail_on_call) ||
        (len > 0 && offset + len > r.fail_from && offset < size)) {
        r.failed = true;
        return r.error;
    }
    if (offset >= size) return 0;
    const std::uint64_t n = std::min({len, size - offset, r.max_chunk});
    std::memcpy(buf, r.bytes->data() + offset, n);
    return static_cast<std::int64_t>(n);
}

struct Result {
    std::string path;  // as given to the plugin
    int rc = 0;
    std::uint64_t size = 0;
    std::string reason;
    bool reason_terminated = true;
    std::vector<std::pair<std::string, std::string>> tags;
    std::map<std::string, std::int64_t> properties;
    std::vector<std::string> formats;  // one per format() call
    int sink_calls = 0;

    bool operator==(const Result& o) const {
        return rc == o.rc && tags == o.tags && properties == o.properties && formats == o.formats;
    }
};

std::string describe(const Result& r) {
    std::string out = printable(r.path) + " (" + std::to_string(r.size) + " bytes): rc " + std::to_string(r.rc);
    if (r.rc != 0) out += " (" + musicfs::errno_text(r.rc) + ", reason '" + printable(r.reason) + "')";
    out += ", format " + (r.formats.empty() ? std::string("-") : r.formats.front()) + ", " +
           std::to_string(r.tags.size()) + " tags";
    for (std::size_t i = 0; i < r.tags.size() && i < 3; ++i)
        out += (i ? ", " : " (") + printable(r.tags[i].first) + "=" + printable(r.tags[i].second);
    if (!r.tags.empty()) out += r.tags.size() > 3 ? ", ...)" : ")";
    out += ", properties";
    for (const auto& [k, v] : r.properties) out += " " + k + "=" + std::to_string(v);
    if (r.properties.empty()) out += " none";
    return out;
}

// Calls to sink fields past the struct_size the host declared: must never happen.
std::atomic<int> g_calls_past_size{0};

enum class SinkShape {
    full,         // everything
    no_format,    // struct_size ends before format
    tag_only,     // ... before property
    header_only,  // ... before tag: only struct_size and ctx
    size_only,    // struct_size = 4: not even ctx
    null_fields,  // full size, every callback NULL
};

mfs_metadata_sink_t make_sink(Result& result, SinkShape shape) {
    mfs_metadata_sink_t sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = &result;
    sink.tag = [](void* c, const char* key, const char* value) {
        auto& r = *static_cast<Result*>(c);
        ++r.sink_calls;
        r.tags.emplace_back(key ? key : "(null)", value ? value : "(null)");
    };
    sink.property = [](void* c, const char* key, std::int64_t value) {
        auto& r = *static_cast<Result*>(c);
        ++r.sink_calls;
        r.properties[key ? key : "(null)"] = value;
    };
    sink.format = [](void* c, const char* format) {
        auto& r = *static_cast<Result*>(c);
        ++r.sink_calls;
        r.formats.emplace_back(format ? format : "(null)");
    };
    std::size_t size = sizeof sink;
    switch (shape) {
        case SinkShape::full: break;
        case SinkShape::no_format: size = offsetof(mfs_metadata_sink_t, format); break;
        case SinkShape::tag_only: size = offsetof(mfs_metadata_sink_t, property); break;
        case SinkShape::header_only: size = offsetof(mfs_metadata_sink_t, tag); break;
        case SinkShape::size_only: size = sizeof(std::uint32_t); break;
        case SinkShape::null_fields:
            sink.tag = nullptr;
            sink.property = nullptr;
            sink.format = nullptr;
            break;
    }
    sink.struct_size = static_cast<std::uint32_t>(size);
    // Fields past the declared size point at traps: a conforming plugin never looks there.
    if (size <= offsetof(mfs_metadata_sink_t, ctx)) sink.ctx = nullptr;
    if (size <= offsetof(mfs_metadata_sink_t, tag))
        sink.tag = [](void*, const char*, const char*) { ++g_calls_past_size; };
    if (size <= offsetof(mfs_metadata_sink_t, property))
        sink.property = [](void*, const char*, std::int64_t) { ++g_calls_past_size; };
    if (size <= offsetof(mfs_metadata_sink_t, format))
        sink.format = [](void*, const char*) { ++g_calls_past_size; };
    return sink;
}

Result read_track(const Instance& inst, const std::string& path, Reader& reader,
                  SinkShape shape = SinkShape::full, char* reason = nullptr,
                  std::size_t reason_size = 0) {
    Result result;
    result.path = path;
    result.size = reader.bytes->size();
    char own_reason[512];
    if (!reason && reason_size == 0) {
        reason = own_reason;
        reason_size = sizeof own_reason;
        std::memset(own_reason, 'X', sizeof own_reason);
    }
    const mfs_track_source_t source{sizeof source, path.c_str(), reader.bytes->size(),
                                    &reader_read, &reader};
    const mfs_metadata_sink_t sink = make_sink(result, shape);
    reader.thread = std::this_thread::get_id();
    result.rc = inst.kind().read(inst.get(), &source, &sink, reason, reason_size);
    if (reason == own_reason) {
        const char* end = static_cast<const char*>(std::memchr(own_reason, '\0', sizeof own_reason));
        result.reason_terminated = end != nullptr;
        if (end) result.reason.assign(static_cast<const char*>(own_reason), end);
    }
    return result;
}

Result read_bytes(const Instance& inst, const std::string& path, const Bytes& bytes,
                  SinkShape shape = SinkShape::full) {
    Reader reader;
    reader.bytes = &bytes;
    Result r = read_track(inst, path, reader, shape);
    CHECK_MESSAGE(!reader.other_thread, "the read callback was called from another thread");
    return r;
}

// What every failure must look like: a documented errno and a one-line, NUL-terminated reason.
void check_failure(const Result& r, std::initializer_list<int> allowed) {
    if (r.rc == 0) {
        FAIL_CHECK("accepted as valid: ", describe(r));
        return;
    }
    CHECK_MESSAGE(std::find(allowed.begin(), allowed.end(), r.rc) != allowed.end(),
                  "unexpected result: ", describe(r));
    CHECK_MESSAGE(r.reason_terminated, "the reason is not NUL-terminated in its buffer");
    CHECK_MESSAGE(!r.reason.empty(), "an error without a reason: ", describe(r));
    CHECK_MESSAGE(r.reason.find('\n') == std::string::npos, "the reason is not one line");
}

bool expected_readable(const ManifestTrack& t) { return g_formats.count(t.format) > 0; }

// A track per format of the manifest that the plugin is expected to read.
std::vector<const ManifestTrack*> one_per_format() {
    std::map<std::string, const ManifestTrack*> by_format;
    for (const auto& t : g_manifest.tracks)
        if (expected_readable(t)) by_format.emplace(t.format, &t);
    std::vector<const ManifestTrack*> out;
    for (const auto& [f, t] : by_format) out.push_back(t);
    return out;
}

// --- Crash reporting for the corpus run --------------------------------------------------------

char g_current_file[4096];  // the file being read, for the crash handler

void on_crash(int sig) {
    const char prefix[] = "\nCRASH while reading ";
    (void)!write(STDERR_FILENO, prefix, sizeof prefix - 1);
    (void)!write(STDERR_FILENO, g_current_file, strnlen(g_current_file, sizeof g_current_file));
    (void)!write(STDERR_FILENO, "\n", 1);
    signal(sig, SIG_DFL);
    raise(sig);
}

}  // namespace

TEST_CASE("every track of the fixture library is read, in the right format") {
    if (!need_manifest()) return;
    const Instance inst;
    int read = 0;
    for (const auto& t : g_manifest.tracks) {
        CAPTURE(printable(t.path));
        const Bytes bytes = fixture_bytes(t.path);
        REQUIRE(!bytes.empty());
        const Result r = read_bytes(inst, t.path, bytes);
        if (!expected_readable(t)) {
            if (r.rc != 0) check_failure(r, {-ENOTSUP});
            continue;
        }
        REQUIRE_MESSAGE(r.rc == 0, describe(r));
        ++read;
        CHECK_MESSAGE(r.formats.size() <= 1, "format() called ", r.formats.size(), " times");
        if (!r.formats.empty()) CHECK(r.formats.front() == t.format);
        for (const auto& [key, value] : r.properties) {
            CAPTURE(key);
            CHECK(value > 0);
        }
        if (r.properties.count(MFS_PROP_DURATION_MS))
            CHECK(r.properties.at(MFS_PROP_DURATION_MS) < 60'000);  // the tracks last seconds
        if (r.properties.count(MFS_PROP_CHANNELS)) CHECK(r.properties.at(MFS_PROP_CHANNELS) <= 2);
        for (const auto& [key, value] : r.tags) {
            CHECK_MESSAGE(!key.empty(), "a tag with an empty key");
            CHECK_MESSAGE(key == musicfs::conformance::printable(key),
                          "a tag key that is not printable ASCII: ", printable(key));
        }
        if (options().flag("--check-tags")) {
            for (const auto& [key, values] : t.tags) {
                CAPTURE(key);
                std::vector<std::string> got;
                for (const auto& [k, v] : r.tags)
                    if (k == key) got.push_back(v);
                CHECK(got == values);
            }
        }
    }
    MESSAGE(read, " tracks read in formats: ", [] {
        std::string s;
        for (const auto& f : g_formats) s += f + " ";
        return s;
    }());
    const bool any_expected = std::any_of(g_manifest.tracks.begin(), g_manifest.tracks.end(),
                                          [](const ManifestTrack& t) { return expected_readable(t); });
    if (any_expected) CHECK(read > 0);
}

TEST_CASE("the library's broken files are refused with a reason") {
    if (!need_manifest()) return;
    const Instance inst;
    for (const auto& path : g_manifest.broken) {
        CAPTURE(printable(path));
        const Result r = read_bytes(inst, path, fixture_bytes(path));
        check_failure(r, {-EINVAL, -ENOTSUP});
        CHECK_MESSAGE(r.sink_calls == 0, "a refused file still reported ", r.sink_calls, " values");
    }
}

TEST_CASE("files in no audio format are not supported") {
    const Instance inst;
    // Random bytes without 0xFF: an MPEG frame sync (0xFFEx) can appear in random data, and a
    // parser that finds two in a row may fairly call it MPEG audio.
    Bytes random = pseudo_random_bytes(10'000, 11);
    std::replace(random.begin(), random.end(), static_cast<unsigned char>(0xFF),
                 static_cast<unsigned char>(0x00));
    std::string text;
    for (int i = 0; i < 100; ++i) text += "Just some notes about this album, nothing to see.\n";
    const Bytes notes(text.begin(), text.end());
    Bytes png(random.begin(), random.begin() + 2008);  // a PNG signature, then noise
    const unsigned char signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    std::copy(std::begin(signature), std::end(signature), png.begin());
    const std::vector<std::pair<std::string, const Bytes*>> cases = {
        {"random.xyz", &random}, {"random", &random},  {"notes.txt", &notes},
        {"cover.png", &png},     {"dir/.hidden", &random},
    };
    for (const auto& [path, bytes] : cases) {
        CAPTURE(path);
        const Result r = read_bytes(inst, path, *bytes);
        check_failure(r, {-ENOTSUP});
        CHECK(r.sink_calls == 0);
    }
    const Bytes empty;
    check_failure(read_bytes(inst, "empty.xyz", empty), {-ENOTSUP});
}

TEST_CASE("broken audio files are refused with -EINVAL or -ENOTSUP and a reason, never a crash") {
    const Instance inst;
    const std::vector<std::string> extensions = {"flac", "mp3", "ogg", "opus", "m4a", "mp4",
                                                 "wav",  "aiff", "wv", "ape", "mpc", "wma",
                                                 "tta",  "spx", "oga", "FLAC"};
    Bytes garbage = pseudo_random_bytes(8'192, 12);
    std::replace(garbage.begin(), garbage.end(), static_cast<unsigned char>(0xFF),
                 static_cast<unsigned char>(0x00));
    const Bytes raw_random = pseudo_random_bytes(8'192, 13);
    const Bytes empty;
    const Bytes one_byte = {0};
    for (const auto& ext : extensions) {
        CAPTURE(ext);
        check_failure(read_bytes(inst, "empty." + ext, empty), {-EINVAL, -ENOTSUP});
        check_failure(read_bytes(inst, "one-byte." + ext, one_byte), {-EINVAL, -ENOTSUP});
        check_failure(read_bytes(inst, "garbage." + ext, garbage), {-EINVAL, -ENOTSUP});
        // Raw random bytes may hold MPEG frame syncs: any answer, but a failure has a reason.
        const Result r = read_bytes(inst, "random." + ext, raw_random);
        if (r.rc != 0) check_failure(r, {-EINVAL, -ENOTSUP});
    }
    if (!g_manifest.loaded) {
        MESSAGE("truncated real files skipped: needs --fixture LIBRARY");
        return;
    }
    if (options().flag("--ignores-content")) {
        MESSAGE("truncated real files skipped: --ignores-content");
        return;
    }
    for (const auto* t : one_per_format()) {
        CAPTURE(printable(t->path));
        const Bytes whole = fixture_bytes(t->path);
        for (const std::size_t keep : {std::size_t{4}, std::size_t{16}, std::size_t{64}}) {
            CAPTURE(keep);
            const Bytes head(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(keep));
            check_failure(read_bytes(inst, t->path, head), {-EINVAL, -ENOTSUP});
        }
        // Cut in the middle of the audio: readable or refused, never a crash or a silent error.
        for (const std::size_t keep : {whole.size() / 8, whole.size() / 2, whole.size() - 1}) {
            CAPTURE(keep);
            const Bytes head(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(keep));
            const Result r = read_bytes(inst, t->path, head);
            if (r.rc != 0) check_failure(r, {-EINVAL, -ENOTSUP});
        }
    }
}

TEST_CASE("a failing read callback gives -EIO and no partial result") {
    if (!need_manifest()) return;
    const Instance inst;
    for (const auto* t : one_per_format()) {
        CAPTURE(printable(t->path));
        const Bytes bytes = fixture_bytes(t->path);
        const std::uint64_t size = bytes.size();
        const Result good = read_bytes(inst, t->path, bytes);
        REQUIRE(good.rc == 0);
        struct Failure {
            const char* what;
            int on_call;
            std::uint64_t from;
        };
        const Failure failures[] = {
            {"every read fails", 1, ~std::uint64_t{0}},
            {"the second read fails", 2, ~std::uint64_t{0}},
            {"the third read fails", 3, ~std::uint64_t{0}},
            {"reads from byte 4096 on fail", 0, 4096},
            {"reads of the second half fail", 0, size / 2},
            {"reads of the last byte fail", 0, size - 1},
        };
        {
            Reader counting;
            counting.bytes = &bytes;
            read_track(inst, t->path, counting);
            if (counting.calls == 0) {
                MESSAGE("skipped: the plugin does not read the track's bytes");
                continue;
            }
        }
        int hit = 0;
        for (const auto& f : failures) {
            CAPTURE(std::string(f.what));
            Reader reader;
            reader.bytes = &bytes;
            reader.fail_on_call = f.on_call;
            reader.fail_from = f.from;
            const Result r = read_track(inst, t->path, reader);
            if (!reader.failed) {
                CHECK_MESSAGE(r == good, "no read failed, yet the result differs: ", describe(r));
                continue;
            }
            ++hit;
            CHECK_MESSAGE(r.rc == -EIO, describe(r));
            CHECK(!r.reason.empty());
            CHECK_MESSAGE(r.sink_calls == 0, "a failed read still reported ", r.sink_calls, " values");
        }
        CHECK(hit >= 2);
        // Another errno from the reader: still a failure, still nothing reported.
        Reader reader;
        reader.bytes = &bytes;
        reader.fail_on_call = 1;
        reader.error = -ETIMEDOUT;
        const Result r = read_track(inst, t->path, reader);
        CHECK_MESSAGE(r.rc < 0, describe(r));
        CHECK(r.sink_calls == 0);
        CHECK(!r.reason.empty());
    }
}

TEST_CASE("short reads from the callback give the same result") {
    if (!need_manifest()) return;
    const Instance inst;
    for (const auto* t : one_per_format()) {
        CAPTURE(printable(t->path));
        const Bytes bytes = fixture_bytes(t->path);
        const Result good = read_bytes(inst, t->path, bytes);
        REQUIRE(good.rc == 0);
        for (const std::uint64_t chunk : {std::uint64_t{4093}, std::uint64_t{100}, std::uint64_t{1}}) {
            if (chunk == 1 && bytes.size() > 300'000) continue;  // too many calls to be quick
            CAPTURE(chunk);
            Reader reader;
            reader.bytes = &bytes;
            reader.max_chunk = chunk;
            const Result r = read_track(inst, t->path, reader);
            CHECK_MESSAGE(r == good, describe(r), " instead of ", describe(good));
        }
    }
}

TEST_CASE("reason buffers of size 0, 1 and 7 are never overrun") {
    const Instance inst;
    const Bytes notes(300, 'n');
    Bytes broken = {'f', 'L', 'a', 'C', 0, 0, 0, 0};
    for (const auto& [path, bytes] : {std::pair<std::string, const Bytes*>{"notes.xyz", &notes},
                                      {"broken.flac", &broken}}) {
        CAPTURE(path);
        Reader reader;
        reader.bytes = bytes;
        check_reason_buffers([&](char* buf, std::size_t size) {
            return read_track(inst, path, reader, SinkShape::full, buf, size).rc;
        });
    }
}

TEST_CASE("a sink smaller than the host's: fields past its size are never touched") {
    if (!need_manifest()) return;
    const Instance inst;
    const ManifestTrack* tagged = nullptr;
    for (const auto* t : one_per_format())
        if (!t->tags.empty()) tagged = t;
    if (!tagged) {
        MESSAGE("skipped: no tagged track in a format the plugin reads (--formats)");
        return;
    }
    CAPTURE(printable(tagged->path));
    const Bytes bytes = fixture_bytes(tagged->path);
    g_calls_past_size = 0;
    const Result full = read_bytes(inst, tagged->path, bytes, SinkShape::full);
    REQUIRE(full.rc == 0);
    const Result no_format = read_bytes(inst, tagged->path, bytes, SinkShape::no_format);
    CHECK(no_format.rc == 0);
    CHECK(no_format.formats.empty());
    CHECK(no_format.tags == full.tags);
    CHECK(no_format.properties == full.properties);
    const Result tag_only = read_bytes(inst, tagged->path, bytes, SinkShape::tag_only);
    CHECK(tag_only.rc == 0);
    CHECK(tag_only.tags == full.tags);
    CHECK(tag_only.properties.empty());
    CHECK(read_bytes(inst, tagged->path, bytes, SinkShape::header_only).rc == 0);
    CHECK(read_bytes(inst, tagged->path, bytes, SinkShape::size_only).rc == 0);
    CHECK_MESSAGE(g_calls_past_size == 0, g_calls_past_size.load(),
                  " calls to sink fields past the sink's struct_size");
    // Every callback NULL ("not implemented"): nothing to report to, and no crash.
    CHECK(read_bytes(inst, tagged->path, bytes, SinkShape::null_fields).rc == 0);
}

TEST_CASE("calls from several threads at once give the single-threaded results") {
    if (!need_manifest()) return;
    const Instance inst;
    std::vector<Bytes> bytes;
    std::vector<Result> expected;
    for (const auto& t : g_manifest.tracks) {
        bytes.push_back(fixture_bytes(t.path));
        expected.push_back(read_bytes(inst, t.path, bytes.back()));
    }
    Mismatches wrong;
    std::atomic<int> other_thread{0};
    run_threads(6, [&](int n) {
        for (int round = 0; round < 3; ++round) {
            for (std::size_t k = 0; k < bytes.size(); ++k) {
                const std::size_t i = (k + static_cast<std::size_t>(n) * 3) % bytes.size();
                Reader reader;
                reader.bytes = &bytes[i];
                const Result r = read_track(inst, g_manifest.tracks[i].path, reader);
                if (reader.other_thread) ++other_thread;
                if (!(r == expected[i]))
                    wrong.note([&] { return printable(g_manifest.tracks[i].path) + ": " + describe(r); });
            }
        }
    });
    INFO("first difference: ", wrong.first());
    CHECK(wrong.count() == 0);
    CHECK_MESSAGE(other_thread == 0, "the read callback was called from a thread other than the caller's");
}

TEST_CASE("instances come and go, and unknown extensions are absent") {
    for (int i = 0; i < 20; ++i) {
        const Instance inst;
        if (inst.kind().get_extension)
            CHECK(inst.kind().get_extension(inst.get(), "org.musicfs.conformance.no-such-extension/1") ==
                  nullptr);
    }
}

TEST_CASE("through the host: MetadataSource over an origin reads what the plugin reads") {
    const std::string origin_plugin = options().value("--origin-plugin");
    if (origin_plugin.empty()) {
        MESSAGE("skipped: needs --origin-plugin PATH (an origin serving root=LIBRARY)");
        return;
    }
    if (!need_manifest()) return;
    std::string reason;
    const auto origin_p = musicfs::conformance::load_other_plugin(origin_plugin, reason);
    REQUIRE_MESSAGE(origin_p, "the origin plugin was refused: ", reason);
    REQUIRE(origin_p->origin_kind());
    const auto origin = std::make_shared<musicfs::origins::Origin>(
        "library", origin_p, std::map<std::string, std::string>{{"root", options().fixture.string()}});
    musicfs::scanner::MetadataSource source("conformance", musicfs::conformance::plugin_under_test(),
                                            musicfs::conformance::config_map());
    const Instance inst;
    for (const auto& t : g_manifest.tracks) {
        if (!expected_readable(t)) continue;
        CAPTURE(printable(t.path));
        mfs_origin_stat_t st{};
        REQUIRE(origin->stat(t.path, st) == 0);
        int err = 0;
        auto file = origin->open(t.path, err);
        REQUIRE_MESSAGE(file, "open: ", musicfs::errno_text(err));
        const auto hosted = source.read(t.path, st.size, *file);
        REQUIRE_MESSAGE(hosted.rc == 0, hosted.reason);
        const Result direct = read_bytes(inst, t.path, fixture_bytes(t.path));
        CHECK(hosted.tags == musicfs::catalog::TagList(direct.tags.begin(), direct.tags.end()));
        if (!direct.formats.empty()) CHECK(hosted.info.format == direct.formats.front());
    }
    for (const auto& path : g_manifest.broken) {
        CAPTURE(printable(path));
        mfs_origin_stat_t st{};
        REQUIRE(origin->stat(path, st) == 0);
        int err = 0;
        auto file = origin->open(path, err);
        REQUIRE(file);
        const auto hosted = source.read(path, st.size, *file);
        CHECK(hosted.rc < 0);
        CHECK(!hosted.reason.empty());
    }
}

TEST_CASE("every file of the public corpus: no crash, and every failure has a reason") {
    const std::string corpus = options().value("--corpus");
    if (corpus.empty()) {
        MESSAGE("skipped: no --corpus DIR given");
        return;
    }
    if (!fs::is_directory(corpus)) {
        MESSAGE("skipped: the corpus ", corpus, " is not here");
        return;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(corpus))
        if (e.is_regular_file()) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    const Instance inst;
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGABRT, on_crash);
    signal(SIGFPE, on_crash);
    std::map<int, int> by_rc;
    for (const auto& path : files) {
        const std::string rel = fs::relative(path, corpus).string();
        std::snprintf(g_current_file, sizeof g_current_file, "%s", path.c_str());
        CAPTURE(rel);
        const Bytes bytes = file_bytes(path);
        const Result r = read_bytes(inst, rel, bytes);
        ++by_rc[r.rc];
        if (r.rc == 0) {
            CHECK_MESSAGE(r.formats.size() <= 1, "format() called ", r.formats.size(), " times");
        } else {
            check_failure(r, {-EINVAL, -ENOTSUP, -EIO});
        }
    }
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    signal(SIGABRT, SIG_DFL);
    signal(SIGFPE, SIG_DFL);
    std::string summary;
    for (const auto& [rc, n] : by_rc)
        summary += " " + std::to_string(n) + " " + (rc == 0 ? std::string("read") : musicfs::errno_text(rc)) + ";";
    MESSAGE(files.size(), " corpus files:", summary);
}

int main(int argc, char** argv) {
    static constexpr std::string_view kUsage =
        "usage: musicfs_conformance_metadata --plugin PATH [--config KEY=VALUE]... [--fixture LIBRARY]\n"
        "           [--formats flac,mp3,...] [--check-tags] [--corpus DIR] [--origin-plugin PATH]\n"
        "           [--ignores-content]\n"
        "           [--verbose] [doctest options]\n"
        "Checks a metadata-source plugin; LIBRARY is made by tests/data/make-library.sh. See the\n"
        "top of tests/conformance/metadata_conformance.cpp.\n";
    return musicfs::conformance::run(argc, argv, kUsage,
                                     {{"--formats", "--corpus", "--origin-plugin"}, {"--check-tags", "--ignores-content"}},
                                     &prepare);
}
