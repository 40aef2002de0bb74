// Conformance suite for format-writer plugins (sdk/include/musicfs/format.h), run against every
// format writer.
//
//   musicfs_conformance_format --plugin PATH [--config KEY=VALUE]... --fixture LIBRARY
//                              [--metadata-plugin PATH] [--verbose] [doctest options]
//
//   --fixture LIBRARY      a library made by tests/data/make-library.sh (the ctest fixture
//                          musicfs_library): its MANIFEST.json gives every track's format. The
//                          tracks in the formats the writer declares are the originals; the
//                          others must be refused with -ENOTSUP. Required: without originals
//                          nothing of a writer can be checked.
//   --metadata-plugin P    also read every served file back with the metadata source P (e.g.
//                          meta-taglib): it must be understood, in the original's format, with
//                          the original's audio properties and exactly the tags written.
//
// For every original, with the original's tags, with no tags, and with awkward ones (multiple
// values, non-Latin text, a 10 KiB value), keeping, removing and replacing its pictures:
//  - the layout calls the sink in order and returns 0; original and transformed ranges lie
//    within the original; transformed segments come with a transform() that keeps their length;
//  - the served file is exactly the sum of the segments, and the same inputs give the same
//    layout and bytes, again and from several threads at once;
//  - originals cut short, corrupted or replaced by noise give a layout within the bytes there
//    are, or -EINVAL / -ENOTSUP with a one-line reason: never a crash;
//  - files in other audio formats are refused with -ENOTSUP, text and images with -ENOTSUP or
//    -EINVAL;
//  - a failing read callback, and a sink that reports an error, make layout() fail;
//  - reason buffers of size 0, 1 and 7 are never overrun.
//
// Exit code: 0 when every check passed, 1 when one failed, 2 on bad usage.
#include <doctest/doctest.h>

#include "conformance.hpp"

#include "plugin/host.hpp"
#include "util/error.hpp"

#include <musicfs/format.h>
#include <musicfs/metadata.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using musicfs::conformance::ManifestTrack;
using musicfs::conformance::options;
using musicfs::conformance::printable;
using musicfs::conformance::Mismatches;
using musicfs::conformance::check_reason_buffers;
using musicfs::conformance::run_threads;
using musicfs::conformance::pseudo_random_bytes;

namespace {

using Bytes = std::vector<unsigned char>;
using Tags = std::vector<std::pair<std::string, std::string>>;

musicfs::conformance::Manifest g_manifest;
std::set<std::string> g_formats;                    // the writer's
std::vector<const ManifestTrack*> g_originals;      // tracks in those formats
std::vector<const ManifestTrack*> g_foreign;        // one track per other format
musicfs::plugin::PluginPtr g_reader;                // --metadata-plugin

Bytes fixture_bytes(const std::string& rel) {
    return musicfs::conformance::file_bytes(options().fixture / rel);
}

// --- Calling the writer ----------------------------------------------------------------------

const mfs_format_kind_t& kind() { return *musicfs::conformance::plugin_under_test()->format_kind(); }

class Instance {
public:
    Instance() {
        const auto config = musicfs::conformance::config_map();
        std::vector<mfs_config_entry_t> entries;
        for (const auto& [k, v] : config) entries.push_back({k.c_str(), v.c_str()});
        const mfs_config_entry_t none{"", ""};
        const mfs_config_t cfg{sizeof cfg, static_cast<std::uint32_t>(entries.size()),
                               entries.empty() ? &none : entries.data()};
        const int rc = kind().create(musicfs::plugin::host_services(), &cfg, &writer_);
        REQUIRE_MESSAGE(rc == 0, "create: ", musicfs::errno_text(rc));
        REQUIRE(writer_);
    }
    Instance(const Instance&) = delete;
    ~Instance() { kind().destroy(writer_); }
    mfs_format_writer_t* get() const { return writer_; }

private:
    mfs_format_writer_t* writer_ = nullptr;
};

struct Reader {
    const Bytes* bytes = nullptr;
    int fail_on_call = 0;  // 1-based call that fails, and every later one; 0: none
    std::uint64_t fail_from = std::numeric_limits<std::uint64_t>::max();
    int calls = 0;
    bool failed = false;
};

std::int64_t reader_read(void* ctx, std::uint64_t offset, void* buf, std::uint64_t len) {
    auto& r = *static_cast<Reader*>(ctx);
    ++r.calls;
    const std::uint64_t size = r.bytes->size();
    if ((r.fail_on_call > 0 && r.calls >= r.fail_on_call) ||
        (len > 0 && offset < size && offset + len > r.fail_from)) {
        r.failed = true;
        return -EIO;
    }
    if (offset >= size) return 0;
    const std::uint64_t n = std::min(len, size - offset);
    std::memcpy(buf, r.bytes->data() + offset, n);
    return static_cast<std::int64_t>(n);
}

struct Segment {
    enum Kind { literal, original, transformed } kind;
    Bytes data;  // literal
    std::uint64_t offset = 0, len = 0, arg = 0;
    bool operator==(const Segment& o) const {
        return kind == o.kind && data == o.data && offset == o.offset && len == o.len && arg == o.arg;
    }
};

struct Layout {
    int rc = 0;
    std::string reason;
    bool reason_terminated = true;
    std::vector<Segment> segments;
    int sink_calls = 0;
    int fail_sink_call = 0;  // 1-based sink call that returns -ENOSPC; 0: none
    bool bad_arguments = false;  // a sink call with a NULL pointer and a length

    std::uint64_t size() const {
        std::uint64_t n = 0;
        for (const auto& s : segments) n += s.kind == Segment::literal ? s.data.size() : s.len;
        return n;
    }
    bool operator==(const Layout& o) const { return rc == o.rc && segments == o.segments; }
};

std::int32_t sink_begin(Layout& l) { return ++l.sink_calls == l.fail_sink_call ? -ENOSPC : 0; }

mfs_layout_sink_t make_sink(Layout& layout) {
    mfs_layout_sink_t sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = &layout;
    sink.literal = [](void* ctx, const std::uint8_t* data, std::uint64_t len) -> std::int32_t {
        auto& l = *static_cast<Layout*>(ctx);
        if (const auto rc = sink_begin(l)) return rc;
        if (!data && len > 0) {
            l.bad_arguments = true;
            return -EINVAL;
        }
        l.segments.push_back({Segment::literal, Bytes(data, data + len), 0, len, 0});
        return 0;
    };
    sink.original = [](void* ctx, std::uint64_t offset, std::uint64_t len) -> std::int32_t {
        auto& l = *static_cast<Layout*>(ctx);
        if (const auto rc = sink_begin(l)) return rc;
        l.segments.push_back({Segment::original, {}, offset, len, 0});
        return 0;
    };
    sink.transformed = [](void* ctx, std::uint64_t offset, std::uint64_t len,
                          std::uint64_t arg) -> std::int32_t {
        auto& l = *static_cast<Layout*>(ctx);
        if (const auto rc = sink_begin(l)) return rc;
        l.segments.push_back({Segment::transformed, {}, offset, len, arg});
        return 0;
    };
    return sink;
}

struct Picture {
    std::uint32_t type;
    std::string mime, description;
    Bytes data;
};

// A valid 1x1 PNG.
Picture small_png() {
    static const unsigned char kPng[] = {
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8,
        0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82};
    return {3, "image/png", "front \xC3\xA9", Bytes(std::begin(kPng), std::end(kPng))};
}

enum class Pictures { keep, none, one };

Layout layout(const Instance& inst, const std::string& path, Reader& reader, const Tags& tags,
              Pictures pictures, char* reason = nullptr, std::size_t reason_size = 0,
              int fail_sink_call = 0) {
    Layout l;
    l.fail_sink_call = fail_sink_call;
    std::vector<mfs_tag_t> c_tags;
    for (const auto& [k, v] : tags) c_tags.push_back({k.c_str(), v.c_str()});
    const mfs_tag_list_t tag_list{sizeof(mfs_tag_list_t), static_cast<std::uint32_t>(c_tags.size()),
                                  c_tags.empty() ? nullptr : c_tags.data()};
    const Picture png = small_png();
    const mfs_picture_t pic{sizeof(mfs_picture_t), png.type, png.mime.c_str(),
                            png.description.c_str(), 1, 1, png.data.data(), png.data.size()};
    const mfs_picture_t* pic_ptrs[] = {&pic};
    const mfs_picture_list_t none{sizeof(mfs_picture_list_t), 0, nullptr};
    const mfs_picture_list_t one{sizeof(mfs_picture_list_t), 1, pic_ptrs};
    const mfs_picture_list_t* list = pictures == Pictures::keep ? nullptr
                                     : pictures == Pictures::none ? &none
                                                                  : &one;
    const mfs_track_source_t source{sizeof source, path.c_str(), reader.bytes->size(), &reader_read, &reader};
    const mfs_layout_sink_t sink = make_sink(l);
    char own[512];
    if (!reason && reason_size == 0) {
        std::memset(own, 'X', sizeof own);
        reason = own;
        reason_size = sizeof own;
    }
    l.rc = kind().layout(inst.get(), &source, &tag_list, list, &sink, reason, reason_size);
    if (reason == own) {
        const char* end = static_cast<const char*>(std::memchr(own, '\0', sizeof own));
        l.reason_terminated = end != nullptr;
        if (end) l.reason.assign(static_cast<const char*>(own), end);
    }
    return l;
}

Layout layout_bytes(const Instance& inst, const std::string& path, const Bytes& bytes,
                    const Tags& tags, Pictures pictures = Pictures::keep) {
    Reader reader;
    reader.bytes = &bytes;
    return layout(inst, path, reader, tags, pictures);
}

std::string describe(const Layout& l) {
    if (l.rc != 0)
        return "rc " + musicfs::errno_text(l.rc) + " (reason '" + printable(l.reason) + "')";
    std::string out = std::to_string(l.segments.size()) + " segments, " + std::to_string(l.size()) + " bytes:";
    for (std::size_t i = 0; i < l.segments.size() && i < 6; ++i) {
        const auto& s = l.segments[i];
        out += s.kind == Segment::literal ? " literal(" + std::to_string(s.data.size()) + ")"
               : s.kind == Segment::original
                   ? " original(" + std::to_string(s.offset) + "+" + std::to_string(s.len) + ")"
                   : " transformed(" + std::to_string(s.offset) + "+" + std::to_string(s.len) + ")";
    }
    return out + (l.segments.size() > 6 ? " ..." : "");
}

// A layout's ranges against the original's size, and its transform; returns the served bytes
// (empty on a failed check).
Bytes check_and_serve(const Instance& inst, const Layout& l, const Bytes& original) {
    Bytes served;
    bool ok = true;
    for (std::size_t i = 0; i < l.segments.size(); ++i) {
        const auto& s = l.segments[i];
        if (s.kind == Segment::literal) {
            served.insert(served.end(), s.data.begin(), s.data.end());
            continue;
        }
        const bool within = s.offset <= original.size() && s.len <= original.size() - s.offset;
        CHECK_MESSAGE(within, "segment ", i, " [", s.offset, ", +", s.len,
                      ") lies outside the original of ", original.size(), " bytes");
        if (!within) {
            ok = false;
            continue;
        }
        const auto* in = original.data() + s.offset;
        if (s.kind == Segment::original) {
            served.insert(served.end(), in, in + s.len);
            continue;
        }
        const bool has_transform = kind().transform != nullptr;
        REQUIRE_MESSAGE(has_transform, "a transformed segment from a writer without transform()");
        Bytes out(s.len + 16, 0xA5);
        const int rc = kind().transform(inst.get(), s.arg, in, out.data(), s.len);
        CHECK_MESSAGE(rc == 0, "transform of segment ", i, ": ", musicfs::errno_text(rc));
        const bool kept = std::all_of(out.begin() + static_cast<std::ptrdiff_t>(s.len), out.end(),
                                      [](unsigned char b) { return b == 0xA5; });
        CHECK_MESSAGE(kept, "transform of segment ", i, " wrote past its ", s.len, " bytes");
        ok = ok && rc == 0 && kept;
        served.insert(served.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(s.len));
    }
    CHECK_MESSAGE(!l.bad_arguments, "a literal segment with a NULL pointer");
    CHECK_MESSAGE(served.size() == l.size(), "served ", served.size(), " bytes, the segments add up to ", l.size());
    return ok ? served : Bytes{};
}

void check_failure(const Layout& l, std::initializer_list<int> allowed) {
    if (l.rc == 0) {
        FAIL_CHECK("accepted: ", describe(l));
        return;
    }
    CHECK_MESSAGE(std::find(allowed.begin(), allowed.end(), l.rc) != allowed.end(),
                  "unexpected result: ", describe(l));
    CHECK_MESSAGE(l.reason_terminated, "the reason is not NUL-terminated in its buffer");
    CHECK_MESSAGE(!l.reason.empty(), "an error without a reason: ", describe(l));
    CHECK_MESSAGE(l.reason.find('\n') == std::string::npos, "the reason is not one line");
}

// --- Reading a served file back (--metadata-plugin) --------------------------------------------

struct Readback {
    int rc = 0;
    std::string reason;
    std::string format;
    Tags tags;
    std::map<std::string, std::int64_t> properties;
};

Readback read_back(const std::string& path, const Bytes& bytes) {
    const auto& mk = *g_reader->metadata_kind();
    mfs_metadata_t* source = nullptr;
    const mfs_config_entry_t none{"", ""};
    const mfs_config_t cfg{sizeof cfg, 0, &none};
    REQUIRE(mk.create(musicfs::plugin::host_services(), &cfg, &source) == 0);
    Readback r;
    mfs_metadata_sink_t sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = &r;
    sink.tag = [](void* c, const char* k, const char* v) { static_cast<Readback*>(c)->tags.emplace_back(k, v); };
    sink.property = [](void* c, const char* k, std::int64_t v) { static_cast<Readback*>(c)->properties[k] = v; };
    sink.format = [](void* c, const char* f) { static_cast<Readback*>(c)->format = f; };
    Reader reader;
    reader.bytes = &bytes;
    const mfs_track_source_t src{sizeof src, path.c_str(), bytes.size(), &reader_read, &reader};
    char reason[512] = "";
    r.rc = mk.read(source, &src, &sink, reason, sizeof reason);
    r.reason = reason;
    mk.destroy(source);
    return r;
}

std::map<std::string, std::vector<std::string>> by_key(const Tags& tags) {
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [k, v] : tags) out[k].push_back(v);
    return out;
}

// The served file, read back, is the original's audio with exactly `written`.
void check_read_back(const std::string& path, const Bytes& original, const Bytes& served,
                     const Tags& written) {
    if (!g_reader) return;
    const Readback before = read_back(path, original);
    REQUIRE_MESSAGE(before.rc == 0, "the metadata plugin cannot read the original: ", before.reason);
    const Readback after = read_back(path, served);
    REQUIRE_MESSAGE(after.rc == 0, "the served file is not understood: ", after.reason);
    CHECK(after.format == before.format);
    for (const char* key : {MFS_PROP_SAMPLE_RATE, MFS_PROP_CHANNELS, MFS_PROP_BITS_PER_SAMPLE}) {
        CAPTURE(key);
        CHECK(after.properties.count(key) == before.properties.count(key));
        if (after.properties.count(key) && before.properties.count(key))
            CHECK(after.properties.at(key) == before.properties.at(key));
    }
    if (before.properties.count(MFS_PROP_DURATION_MS)) {
        const auto d0 = before.properties.at(MFS_PROP_DURATION_MS);
        const auto d1 = after.properties.count(MFS_PROP_DURATION_MS) ? after.properties.at(MFS_PROP_DURATION_MS) : 0;
        CHECK_MESSAGE(std::llabs(d1 - d0) <= std::max<std::int64_t>(50, d0 / 50),
                      "duration ", d1, " ms, the original's ", d0, " ms");
    }
    const auto want = by_key(written);
    const auto got = by_key(after.tags);
    for (const auto& [key, values] : want) {
        CAPTURE(key);
        const auto it = got.find(key);
        CHECK_MESSAGE(it != got.end(), "the tag ", key, " written is not read back");
        if (it != got.end()) CHECK(it->second == values);
    }
    for (const auto& [key, values] : got)
        CHECK_MESSAGE(want.count(key), "the served file has the tag ", key, "='",
                      printable(values.front()), "', which was not written");
}

// --- Tag sets ----------------------------------------------------------------------------------

Tags manifest_tags(const ManifestTrack& t) {
    Tags tags;
    for (const auto& [k, values] : t.tags)
        for (const auto& v : values) tags.emplace_back(k, v);
    return tags;
}

Tags awkward_tags() {
    return {
        {"title", "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E \xF0\x9F\x8E\xB5 \xD0\x9C\xD1\x83\xD0\xB7\xD1\x8B\xD0\xBA\xD0\xB0"},
        {"artist", "Sigur R\xC3\xB3s"},
        {"album", "\xC3\x81g\xC3\xA6tis byrjun"},
        {"genre", "Post-rock"},
        {"genre", "Ambient"},
        {"comment", std::string(10 * 1024, 'c')},
        {"tracknumber", "2"},
        {"date", "1999-06-12"},
    };
}

int prepare(musicfs::conformance::Options& opts) {
    const auto& plugin = musicfs::conformance::plugin_under_test();
    if (!plugin->format_kind()) {
        std::cerr << "the plugin provides no format kind (it provides: " << plugin->kinds() << ")\n";
        return 2;
    }
    for (const char* const* f = plugin->format_kind()->formats; f && *f; ++f) g_formats.insert(*f);
    if (opts.fixture.empty()) {
        std::cerr << "--fixture LIBRARY is required (a library from tests/data/make-library.sh)\n";
        return 2;
    }
    try {
        g_manifest = musicfs::conformance::load_manifest(opts.fixture);
    } catch (const std::exception& e) {
        std::cerr << "--fixture " << opts.fixture << ": " << e.what() << "\n";
        return 2;
    }
    std::set<std::string> foreign;
    for (const auto& t : g_manifest.tracks) {
        if (g_formats.count(t.format)) g_originals.push_back(&t);
        else if (foreign.insert(t.format).second) g_foreign.push_back(&t);
    }
    std::cout << "formats:";
    for (const auto& f : g_formats) std::cout << " " << f;
    std::cout << "; " << g_originals.size() << " originals in the fixture\n";
    if (const auto reader = opts.value("--metadata-plugin"); !reader.empty()) {
        std::string reason;
        g_reader = musicfs::conformance::load_other_plugin(reader, reason);
        if (!g_reader || !g_reader->metadata_kind()) {
            std::cerr << "--metadata-plugin " << reader << ": " << (g_reader ? "no metadata kind" : reason) << "\n";
            return 2;
        }
        musicfs::conformance::at_end([] { g_reader.reset(); });
    }
    return 0;
}

}  // namespace

TEST_CASE("the writer declares its formats, and the fixture has originals in them") {
    REQUIRE_MESSAGE(!g_formats.empty(), "a format kind without formats");
    for (const auto& f : g_formats) {
        CAPTURE(f);
        CHECK(!f.empty());
        CHECK_MESSAGE(std::all_of(f.begin(), f.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }),
                      "a format name that is not lower-case ASCII: ", printable(f));
    }
    CHECK_MESSAGE(!g_originals.empty(), "the fixture has no track in a format of the writer: "
                                        "nothing was checked");
}

TEST_CASE("every original gets a layout within the original, served exactly as its segments say") {
    const Instance inst;
    for (const auto* t : g_originals) {
        CAPTURE(printable(t->path));
        const Bytes original = fixture_bytes(t->path);
        REQUIRE(!original.empty());
        const std::vector<std::pair<const char*, Tags>> tag_sets = {
            {"its own tags", manifest_tags(*t)}, {"no tags", {}}, {"awkward tags", awkward_tags()}};
        for (const auto& [what, tags] : tag_sets) {
            for (const Pictures pictures : {Pictures::keep, Pictures::none, Pictures::one}) {
                CAPTURE(std::string(what));
                CAPTURE(static_cast<int>(pictures));
                const Layout l = layout_bytes(inst, t->path, original, tags, pictures);
                REQUIRE_MESSAGE(l.rc == 0, describe(l));
                CHECK(!l.segments.empty());
                const Bytes served = check_and_serve(inst, l, original);
                if (served.empty()) continue;
                // The audio comes from the original: some of it is served as is (or transformed).
                CHECK_MESSAGE(std::any_of(l.segments.begin(), l.segments.end(),
                                          [](const Segment& s) { return s.kind != Segment::literal && s.len > 0; }),
                              "no byte of the original is served: ", describe(l));
                if (pictures != Pictures::keep) check_read_back(t->path, original, served, tags);
            }
        }
    }
}

TEST_CASE("the same inputs give the same layout, again and from several threads") {
    const Instance inst;
    struct Case {
        const ManifestTrack* track;
        Bytes bytes;
        Tags tags;
        Layout expected;
    };
    std::vector<Case> cases;
    for (const auto* t : g_originals) {
        Bytes bytes = fixture_bytes(t->path);
        Tags tags = manifest_tags(*t);
        Layout l = layout_bytes(inst, t->path, bytes, tags);
        cases.push_back({t, std::move(bytes), std::move(tags), std::move(l)});
    }
    for (const auto& c : cases) {
        CAPTURE(printable(c.track->path));
        CHECK_MESSAGE(layout_bytes(inst, c.track->path, c.bytes, c.tags) == c.expected,
                      "a second layout of the same inputs differs");
    }
    Mismatches wrong;
    run_threads(4, [&](int n) {
        for (int round = 0; round < 3; ++round) {
            for (std::size_t k = 0; k < cases.size(); ++k) {
                const auto& c = cases[(k + static_cast<std::size_t>(n)) % cases.size()];
                const Layout l = layout_bytes(inst, c.track->path, c.bytes, c.tags);
                if (!(l == c.expected))
                    wrong.note([&] { return printable(c.track->path) + ": " + describe(l); });
            }
        }
    });
    INFO("first difference: ", wrong.first());
    CHECK(wrong.count() == 0);
}

TEST_CASE("cut, corrupted and noisy originals give a layout within the bytes there are, or an error") {
    const Instance inst;
    std::set<std::string> done;  // one original per format
    for (const auto* t : g_originals) {
        if (!done.insert(t->format).second) continue;
        CAPTURE(printable(t->path));
        const Bytes whole = fixture_bytes(t->path);
        const Tags tags = manifest_tags(*t);
        // Too short to hold any audio: refused. (64 bytes may hold a PCM header and a little
        // audio, so that cut is among the next ones.)
        for (const std::size_t keep : {std::size_t{0}, std::size_t{1}, std::size_t{4}, std::size_t{16}}) {
            CAPTURE(keep);
            const Bytes head(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(keep));
            check_failure(layout_bytes(inst, t->path, head, tags), {-EINVAL, -ENOTSUP});
        }
        // Cut in the headers or in the audio: a layout of what is there, or refused.
        for (const std::size_t keep : {std::size_t{64}, std::size_t{200}, std::size_t{1000}, std::size_t{5000}, whole.size() / 8,
                                       whole.size() / 2, whole.size() - 1}) {
            if (keep >= whole.size()) continue;
            CAPTURE(keep);
            const Bytes head(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(keep));
            const Layout l = layout_bytes(inst, t->path, head, tags);
            if (l.rc == 0) check_and_serve(inst, l, head);
            else check_failure(l, {-EINVAL, -ENOTSUP});
        }
        // Noise written over the headers, at many places.
        for (std::uint64_t seed = 1; seed <= 40; ++seed) {
            Bytes bad = whole;
            const auto noise = pseudo_random_bytes(16, seed);
            const std::size_t at = (seed * 97) % std::min<std::size_t>(bad.size() - 16, 4096);
            std::copy(noise.begin(), noise.end(), bad.begin() + static_cast<std::ptrdiff_t>(at));
            CAPTURE(at);
            const Layout l = layout_bytes(inst, t->path, bad, tags);
            if (l.rc == 0) check_and_serve(inst, l, bad);
            else check_failure(l, {-EINVAL, -ENOTSUP});
        }
        // Noise under the original's name: never a format this writer handles.
        const Bytes random = pseudo_random_bytes(whole.size(), 99);
        const Layout l = layout_bytes(inst, t->path, random, tags);
        if (l.rc == 0) check_and_serve(inst, l, random);
        else check_failure(l, {-EINVAL, -ENOTSUP});
    }
}

TEST_CASE("files in other formats are not supported") {
    const Instance inst;
    for (const auto* t : g_foreign) {
        CAPTURE(printable(t->path));
        CAPTURE(t->format);
        check_failure(layout_bytes(inst, t->path, fixture_bytes(t->path), manifest_tags(*t)), {-ENOTSUP});
    }
    std::string text;
    for (int i = 0; i < 100; ++i) text += "Just some notes about this album, nothing to see.\n";
    const Bytes notes(text.begin(), text.end());
    Bytes png = pseudo_random_bytes(2008, 3);
    const auto sig = small_png().data;
    std::copy(sig.begin(), sig.end(), png.begin());
    // Formats without a magic number (MPEG audio) cannot tell "not this format" from "broken":
    // -EINVAL is as clean an answer there.
    for (const auto& [path, bytes] : {std::pair<std::string, const Bytes*>{"notes.txt", &notes}, {"cover.png", &png}}) {
        CAPTURE(path);
        check_failure(layout_bytes(inst, path, *bytes, {{"title", "x"}}), {-ENOTSUP, -EINVAL});
    }
}

TEST_CASE("a failing read callback or a failing sink makes the layout fail") {
    const Instance inst;
    std::set<std::string> done;
    for (const auto* t : g_originals) {
        if (!done.insert(t->format).second) continue;
        CAPTURE(printable(t->path));
        const Bytes bytes = fixture_bytes(t->path);
        const Tags tags = manifest_tags(*t);
        for (const int on_call : {1, 2, 3}) {
            CAPTURE(on_call);
            Reader reader;
            reader.bytes = &bytes;
            reader.fail_on_call = on_call;
            const Layout l = layout(inst, t->path, reader, tags, Pictures::keep);
            if (reader.failed) CHECK_MESSAGE(l.rc < 0, "a read failed, yet: ", describe(l));
        }
        // A sink that fails: its error is passed on, and nothing more is added.
        const Layout good = layout_bytes(inst, t->path, bytes, tags);
        REQUIRE(good.rc == 0);
        for (int call = 1; call <= static_cast<int>(good.segments.size()); ++call) {
            CAPTURE(call);
            Reader reader;
            reader.bytes = &bytes;
            const Layout l = layout(inst, t->path, reader, tags, Pictures::keep, nullptr, 0, call);
            CHECK_MESSAGE(l.rc == -ENOSPC, "the sink failed with ENOSPC, layout() returned ", describe(l));
            CHECK_MESSAGE(l.sink_calls == call, "the sink was called again after it failed");
            if (call >= 4) break;
        }
    }
}

TEST_CASE("reason buffers of size 0, 1 and 7 are never overrun") {
    const Instance inst;
    const Bytes notes(300, 'n');
    Bytes cut;
    if (!g_originals.empty()) {
        const Bytes whole = fixture_bytes(g_originals.front()->path);
        cut.assign(whole.begin(), whole.begin() + 16);
    }
    const std::string cut_path = g_originals.empty() ? "x.flac" : g_originals.front()->path;
    for (const auto& [path, bytes] : {std::pair<std::string, const Bytes*>{"notes.txt", &notes}, {cut_path, &cut}}) {
        CAPTURE(path);
        Reader reader;
        reader.bytes = bytes;
        check_reason_buffers([&](char* buf, std::size_t size) {
            return layout(inst, path, reader, {}, Pictures::keep, buf, size).rc;
        });
    }
}

TEST_CASE("instances come and go, and unknown extensions are absent") {
    for (int i = 0; i < 20; ++i) {
        const Instance inst;
        if (kind().get_extension)
            CHECK(kind().get_extension(inst.get(), "org.musicfs.conformance.no-such-extension/1") == nullptr);
    }
}

int main(int argc, char** argv) {
    static constexpr std::string_view kUsage =
        "usage: musicfs_conformance_format --plugin PATH [--config KEY=VALUE]... --fixture LIBRARY\n"
        "           [--metadata-plugin PATH] [--verbose] [doctest options]\n"
        "Checks a format-writer plugin against the tracks of LIBRARY (tests/data/make-library.sh)\n"
        "in its formats. See the top of tests/conformance/format_conformance.cpp.\n";
    return musicfs::conformance::run(argc, argv, kUsage, {{"--metadata-plugin"}, {}}, &prepare);
}
