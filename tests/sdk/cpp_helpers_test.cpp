// The C++ helper layer (sdk/include/musicfs/cpp) seen from the host's side: a plugin made of
// all four kinds is defined with the helpers, then driven only through the C tables it exports,
// the way the daemon drives a loaded plugin. What a plugin author relies on: exceptions never
// cross the boundary (errors become negative errno, a reason and a log line), host services the
// host lacks are never called, and the generated tables follow the C headers.
#include <musicfs/cpp/sdk.hpp>
#include <musicfs/musicfs.h>

#include <doctest/doctest.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <map>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace sdk = musicfs::sdk;

namespace {

// --- A host that records what the plugin does ----------------------------------------------------

struct LogLine {
    std::int32_t level;
    std::string plugin;
    std::string message;
};

struct FakeHost {
    std::mutex mu;  // guards lines and counters
    std::vector<LogLine> lines;
    std::map<std::string, std::int64_t> counters;
    std::map<std::string, std::string> config;
    mfs_host_t table{};

    FakeHost() {
        table.struct_size = sizeof(mfs_host_t);
        table.abi_major = MFS_ABI_VERSION_MAJOR;
        table.abi_minor = MFS_ABI_VERSION_MINOR;
        table.host_version = "test";
        table.ctx = this;
        table.log = [](void* ctx, std::int32_t level, const char* id, const char* message) {
            auto& h = *static_cast<FakeHost*>(ctx);
            const std::lock_guard lock(h.mu);
            h.lines.push_back({level, id, message});
        };
        table.config_get = [](void* ctx, const char*, const char* key, char* buf,
                              std::size_t size) -> std::int64_t {
            auto& h = *static_cast<FakeHost*>(ctx);
            const auto it = h.config.find(key);
            if (it == h.config.end()) {
                return -ENOENT;
            }
            if (size > 0) {
                const std::size_t n = std::min(size - 1, it->second.size());
                std::memcpy(buf, it->second.data(), n);
                buf[n] = '\0';
            }
            return static_cast<std::int64_t>(it->second.size());
        };
        table.counter_add = [](void* ctx, const char*, const char* name, std::int64_t delta) {
            auto& h = *static_cast<FakeHost*>(ctx);
            const std::lock_guard lock(h.mu);
            h.counters[name] += delta;
        };
    }

    // True when a line at `level` contains `text`.
    bool logged(std::int32_t level, std::string_view text) {
        const std::lock_guard lock(mu);
        for (const auto& l : lines) {
            if (l.level == level && l.message.find(text) != std::string::npos) {
                return true;
            }
        }
        return false;
    }
};

FakeHost& fake_host() {
    static FakeHost host;
    return host;
}

[[noreturn]] void abort_if_called() {
    FAIL("a host service beyond the host's struct_size was called");
    std::abort();
}

// --- The plugin under test -----------------------------------------------------------------------

class MemFile {
public:
    explicit MemFile(std::string data) : data_(std::move(data)) {}
    std::size_t read(std::uint64_t offset, std::span<std::uint8_t> buf) const {
        if (offset >= data_.size()) {
            return 0;
        }
        const std::size_t n = std::min<std::size_t>(buf.size(), data_.size() - offset);
        std::memcpy(buf.data(), data_.data() + offset, n);
        return n;
    }

private:
    std::string data_;
};

class MemOrigin {
public:
    MemOrigin(const sdk::Host& host, const sdk::Config& config) {
        config.warn_unknown(host, {"mode", "verbose"});
        const std::string mode(config.get("mode").value_or("ok"));
        if (mode == "bad") {
            throw sdk::Error(-EINVAL, "mode 'bad' is not a mode");
        }
        if (mode == "boom") {
            throw std::runtime_error("constructor blew up");
        }
        verbose_ = config.get_bool("verbose", false);
    }

    void list(const char* dir, const sdk::ListSink& sink) const {
        if (*dir != '\0') {
            throw sdk::Error(-ENOENT);
        }
        for (const char* name : {"a.txt", "b.txt", "c.txt"}) {
            if (!sink(name, sdk::Stat::file(5, 42))) {
                return;
            }
        }
    }

    sdk::Stat stat(const char* path) const {
        const std::string_view p = path;
        if (p == "a.txt") {
            return sdk::Stat::file(5, 1'000'000'007);
        }
        if (p == "throw") {
            throw std::runtime_error("stat exploded");
        }
        if (p == "int") {
            throw 42;
        }
        throw sdk::Error(ENOENT, "no such entry");  // positive errno: negated
    }

    std::unique_ptr<MemFile> open(const char* path) const {
        if (std::string_view(path) == "null") {
            return nullptr;
        }
        return std::make_unique<MemFile>("hello");
    }

    const void* extension(const char* id) const {
        return std::string_view(id) == "test.origin.ext/1" ? this : nullptr;
    }

    bool verbose_ = false;
};

class TagSource {
public:
    TagSource(const sdk::Host&, const sdk::Config&) {}

    void read(const sdk::TrackSource& track, sdk::MetadataSink& sink) const {
        const std::string_view path = track.path();
        if (path == "ok.flac") {
            const auto head = track.read(0, 4);
            sink.format("flac");
            sink.property(MFS_PROP_DURATION_MS, 1234);
            sink.tag("title", std::string(head.begin(), head.end()));
            sink.tag("artists", "A");
            sink.tag("artists", "B");
            return;
        }
        if (path == "foreign.xyz") {
            throw sdk::Error(-ENOTSUP, "not a format this source reads");
        }
        if (path == "long.flac") {
            throw sdk::Error(-EINVAL, "ééééééééé");
        }
        if (path == "unreadable.flac") {
            std::uint8_t byte[1];
            (void)track.read(0, byte);  // the host's read fails: Error(-EIO) propagates
            return;
        }
        throw std::runtime_error("parser crashed");
    }
};

struct Upper {
    static constexpr const char* name = "upper";
    static constexpr std::uint32_t min_args = 1;
    static constexpr std::uint32_t max_args = 2;
    static constexpr const char* description = "%upper{text}: ASCII upper case";
    std::string operator()(std::span<const std::string_view> args, const sdk::Tags& tags) const {
        std::string out(args[0]);
        for (char& c : out) {
            if (c >= 'a' && c <= 'z') {
                c = static_cast<char>(c - 'a' + 'A');
            }
        }
        return out + std::string(tags.get("suffix").value_or(""));
    }
};

struct Field {
    static constexpr const char* name = "field";
    static constexpr std::uint32_t min_args = 1;
    static constexpr std::uint32_t max_args = 1;
    static constexpr const char* description = "%field{name}: the engine's field";
    std::string operator()(const sdk::TemplateCall& call) const {
        const std::string field_name(call.args()[0]);
        return call.field(field_name.c_str()).value_or("<none>");
    }
};

struct Fails {
    static constexpr const char* name = "fails";
    static constexpr std::uint32_t min_args = 0;
    static constexpr std::uint32_t max_args = 1;
    static constexpr const char* description = "%fails{}: always an error";
    std::string operator()(std::span<const std::string_view> args) const {  // args only
        if (args.empty()) {
            throw sdk::Error(-EINVAL, "fails needs no reason");
        }
        throw std::logic_error("fails crashed");
    }
};

class XorWriter {
public:
    static constexpr const char* const formats[] = {"test", nullptr};
    XorWriter(const sdk::Host&, const sdk::Config&) {}

    void layout(const sdk::TrackSource& original, const sdk::Tags& tags,
                const sdk::Pictures& pictures, sdk::LayoutSink& sink) const {
        if (original.size() < 8) {
            throw sdk::Error(-EINVAL, "too short");
        }
        sink.literal(std::string(tags.get("title").value_or("")));
        sink.literal(std::to_string(pictures.size()));
        sink.transformed(0, 4, 0x20);
        sink.original(4, original.size() - 4);
    }

    void transform(std::uint64_t arg, std::span<const std::uint8_t> in,
                   std::span<std::uint8_t> out) const {
        for (std::size_t i = 0; i < in.size(); ++i) {
            out[i] = static_cast<std::uint8_t>(in[i] ^ arg);
        }
    }
};

class PlainWriter {
public:
    static constexpr const char* const formats[] = {"plain", nullptr};
    PlainWriter(const sdk::Host&, const sdk::Config&) {}
    void layout(const sdk::TrackSource& original, const sdk::Tags&, const sdk::Pictures&,
                sdk::LayoutSink& sink) const {
        sink.original(0, original.size());
    }
};

int g_init_calls = 0;
int g_deinit_calls = 0;

constexpr sdk::PluginInfo kInfo{
    .id = "org.musicfs.test.helpers",
    .name = "helpers",
    .version = "9.9.9",
    .description = "every kind at once",
    .init = [](const sdk::Host& host) {
        ++g_init_calls;
        host.info("init with host ", host.version());
        if (host.config_get("refuse")) {
            throw sdk::Error(-EPERM, "refused by configuration");
        }
    },
    .deinit = [] { ++g_deinit_calls; },
};

}  // namespace

MUSICFS_SDK_PLUGIN(kInfo, sdk::OriginKind<MemOrigin>, sdk::MetadataKind<TagSource>,
                   sdk::TemplateKind<Upper, Field, Fails>, sdk::FormatKind<XorWriter>);

namespace {

// --- Helpers to drive the plugin as the host does ------------------------------------------------

const mfs_plugin_t& plugin() {
    static const mfs_plugin_t* p = [] {
        const mfs_plugin_t* desc = musicfs_plugin_entry();
        REQUIRE(desc->init(&fake_host().table) == 0);
        return desc;
    }();
    return *p;
}

template <typename Kind>
const Kind& kind(const char* id) {
    const void* table = plugin().get_kind(id);
    REQUIRE(table != nullptr);
    return *static_cast<const Kind*>(table);
}

struct ConfigBuilder {
    std::vector<mfs_config_entry_t> entries;
    mfs_config_t config{sizeof(mfs_config_t), 0, nullptr};
    ConfigBuilder(std::initializer_list<mfs_config_entry_t> list) : entries(list) {
        config.count = static_cast<std::uint32_t>(entries.size());
        config.entries = entries.data();
    }
};

struct ListResult {
    std::vector<std::string> names;
    std::size_t stop_after = 100;
};

std::int32_t collect(void* ctx, const char* name, const mfs_origin_stat_t* st) {
    auto& r = *static_cast<ListResult*>(ctx);
    CHECK(st->struct_size == sizeof(mfs_origin_stat_t));
    CHECK(st->type == MFS_ENTRY_FILE);
    r.names.emplace_back(name);
    return r.names.size() >= r.stop_after ? 1 : 0;
}

// A track source over a string; reads fail with -EIO when `fail` is set.
struct MemSource {
    std::string data;
    bool fail = false;
    mfs_track_source_t table{};
    MemSource(const char* path, std::string bytes, bool failing = false)
        : data(std::move(bytes)), fail(failing) {
        table.struct_size = sizeof(mfs_track_source_t);
        table.path = path;
        table.size = data.size();
        table.ctx = this;
        table.read = [](void* ctx, std::uint64_t offset, void* buf,
                        std::uint64_t len) -> std::int64_t {
            auto& s = *static_cast<MemSource*>(ctx);
            if (s.fail) {
                return -EIO;
            }
            if (offset >= s.data.size()) {
                return 0;
            }
            const auto n = std::min<std::uint64_t>(len, s.data.size() - offset);
            std::memcpy(buf, s.data.data() + offset, static_cast<std::size_t>(n));
            return static_cast<std::int64_t>(n);
        };
    }
};

struct Found {
    std::vector<std::pair<std::string, std::string>> tags;
    std::map<std::string, std::int64_t> properties;
    std::string format;
    mfs_metadata_sink_t table{};
    Found() {
        table.struct_size = sizeof(mfs_metadata_sink_t);
        table.ctx = this;
        table.tag = [](void* ctx, const char* k, const char* v) {
            static_cast<Found*>(ctx)->tags.emplace_back(k, v);
        };
        table.property = [](void* ctx, const char* k, std::int64_t v) {
            static_cast<Found*>(ctx)->properties[k] = v;
        };
        table.format = [](void* ctx, const char* f) { static_cast<Found*>(ctx)->format = f; };
    }
};

const mfs_template_function_t& function(const char* name) {
    const auto& k = kind<mfs_template_kind_t>(MFS_TEMPLATE_KIND_ID);
    for (std::uint32_t i = 0; i < k.function_count; ++i) {
        if (std::string_view(k.functions[i]->name) == name) {
            return *k.functions[i];
        }
    }
    FAIL("no template function ", name);
    std::abort();
}

// Calls a template function the way the host does, growing the buffer as asked.
std::int64_t call(const char* name, std::vector<const char*> args, std::string& out,
                  const mfs_tag_list_t* tags = nullptr, std::size_t first_size = 4) {
    mfs_template_call_t c{};
    c.struct_size = sizeof c;
    c.argc = static_cast<std::uint32_t>(args.size());
    c.argv = args.data();
    c.tags = tags;
    c.field = [](void*, const char* field, char* buf, std::size_t size) -> std::int64_t {
        if (std::string_view(field) != "albumartist") {
            return -ENOENT;
        }
        const std::string_view value = "The Field Artist";
        if (size > 0) {
            const std::size_t n = std::min(size - 1, value.size());
            std::memcpy(buf, value.data(), n);
            buf[n] = '\0';
        }
        return static_cast<std::int64_t>(value.size());
    };
    std::vector<char> buf(first_size);
    std::int64_t n = function(name).call(&c, buf.data(), buf.size());
    if (n >= 0 && static_cast<std::size_t>(n) >= buf.size()) {
        CHECK(std::strlen(buf.data()) == buf.size() - 1);  // truncated, but NUL-terminated
        buf.resize(static_cast<std::size_t>(n) + 1);
        n = function(name).call(&c, buf.data(), buf.size());
    }
    out = n >= 0 ? std::string(buf.data()) : std::string();
    return n;
}

}  // namespace

// --- The descriptor ------------------------------------------------------------------------------

TEST_CASE("the descriptor carries the ABI version, the info and one table per kind") {
    const mfs_plugin_t& p = plugin();
    CHECK(p.struct_size == sizeof(mfs_plugin_t));
    CHECK(p.abi_major == MFS_ABI_VERSION_MAJOR);
    CHECK(p.abi_minor == MFS_ABI_VERSION_MINOR);
    CHECK(std::string_view(p.id) == "org.musicfs.test.helpers");
    CHECK(std::string_view(p.name) == "helpers");
    CHECK(std::string_view(p.version) == "9.9.9");
    CHECK(g_init_calls == 1);
    CHECK(fake_host().logged(MFS_LOG_INFO, "init with host test"));

    CHECK(kind<mfs_origin_kind_t>(MFS_ORIGIN_KIND_ID).struct_size == sizeof(mfs_origin_kind_t));
    CHECK(kind<mfs_metadata_kind_t>(MFS_METADATA_KIND_ID).struct_size ==
          sizeof(mfs_metadata_kind_t));
    CHECK(kind<mfs_template_kind_t>(MFS_TEMPLATE_KIND_ID).struct_size ==
          sizeof(mfs_template_kind_t));
    CHECK(kind<mfs_format_kind_t>(MFS_FORMAT_KIND_ID).struct_size == sizeof(mfs_format_kind_t));
    CHECK(p.get_kind("musicfs.origin/2") == nullptr);
    CHECK(p.get_kind("") == nullptr);
    CHECK(p.get_kind(nullptr) == nullptr);
}

TEST_CASE("init: an sdk::Error from PluginInfo::init refuses the plugin with its code") {
    (void)plugin();
    FakeHost refusing;
    refusing.config["refuse"] = "true";
    CHECK(musicfs_plugin_entry()->init(&refusing.table) == -EPERM);
    CHECK(refusing.logged(MFS_LOG_ERROR, "init: refused by configuration"));
    // Back to the shared host for the other tests; deinit runs PluginInfo::deinit.
    const int before = g_deinit_calls;
    musicfs_plugin_entry()->deinit();
    CHECK(g_deinit_calls == before + 1);
    CHECK(musicfs_plugin_entry()->init(&fake_host().table) == 0);
}

// --- Host services -------------------------------------------------------------------------------

TEST_CASE("Host: services the host lacks, or has past its struct_size, are never called") {
    const sdk::Host none(nullptr, "x");
    none.warn("nothing happens");
    none.counter_add("requests_total");
    none.progress("scan", 1, 2);
    CHECK_FALSE(none.config_get("root").has_value());
    CHECK(none.extension("musicfs.host.cache/1") == nullptr);

    // A host built against an older minor: its table ends after `log`.
    mfs_host_t old = fake_host().table;
    old.struct_size = static_cast<std::uint32_t>(offsetof(mfs_host_t, config_get));
    old.config_get = [](void*, const char*, const char*, char*, std::size_t) -> std::int64_t {
        abort_if_called();
    };
    old.counter_add = [](void*, const char*, const char*, std::int64_t) { abort_if_called(); };
    old.progress = [](void*, const char*, const char*, std::uint64_t, std::uint64_t) {
        abort_if_called();
    };
    old.get_extension = [](void*, const char*) -> const void* { abort_if_called(); };
    const sdk::Host h(&old, "org.test.old");
    CHECK_FALSE(h.config_get("root").has_value());
    h.counter_add("requests_total", 3);
    h.progress("scan", 1);
    CHECK(h.extension("x/1") == nullptr);
    h.error("old hosts still log ", 42, ' ', 1.5);
    CHECK(fake_host().logged(MFS_LOG_ERROR, "old hosts still log 42 1.5"));
}

TEST_CASE("Host: config_get returns the whole value, however long, and counters reach the host") {
    fake_host().config["long"] = std::string(300, 'v');
    fake_host().config["empty"] = "";
    const sdk::Host h(&fake_host().table, "org.test");
    CHECK(h.config_get("long") == std::string(300, 'v'));
    CHECK(h.config_get("empty") == std::string());
    CHECK_FALSE(h.config_get("unset").has_value());
    h.counter_add("hits_total", 2);
    h.counter_add("hits_total");
    CHECK(fake_host().counters["hits_total"] == 3);
}

TEST_CASE("Config: get, require, get_bool and unknown keys") {
    ConfigBuilder c{{"root", "/music"}, {"verbose", "true"}, {"colour", "blue"}, {"flag", "yes"}};
    const sdk::Config config(&c.config);
    CHECK(config.get("root") == "/music");
    CHECK_FALSE(config.get("missing").has_value());
    CHECK(config.require("root") == "/music");
    CHECK_THROWS_WITH_AS((void)config.require("archive", "the .tar file"),
                         "the option 'archive' (the .tar file) is required", sdk::Error);
    CHECK(config.get_bool("verbose", false));
    CHECK_FALSE(config.get_bool("unset", false));
    CHECK_THROWS_AS((void)config.get_bool("flag", false), sdk::Error);
    config.warn_unknown(sdk::Host(&fake_host().table, "org.test"), {"root", "verbose", "flag"});
    CHECK(fake_host().logged(MFS_LOG_WARN, "unknown option 'colour' ignored"));
    const sdk::Config empty(nullptr);
    CHECK_FALSE(empty.get("root").has_value());
}

TEST_CASE("Error: negative errno, a positive one negated, 0 as EIO") {
    CHECK(sdk::Error(-ENOENT).code() == -ENOENT);
    CHECK(sdk::Error(ENOENT).code() == -ENOENT);
    CHECK(sdk::Error(0).code() == -EIO);
}

// --- Origins -------------------------------------------------------------------------------------

TEST_CASE("origin: create turns a configuration error into -EINVAL and an error log line") {
    const auto& k = kind<mfs_origin_kind_t>(MFS_ORIGIN_KIND_ID);
    mfs_origin_t* o = reinterpret_cast<mfs_origin_t*>(&fake_host());  // must be reset
    ConfigBuilder bad{{"mode", "bad"}};
    CHECK(k.create(&fake_host().table, &bad.config, &o) == -EINVAL);
    CHECK(o == nullptr);
    CHECK(fake_host().logged(MFS_LOG_ERROR, "create: mode 'bad' is not a mode"));

    ConfigBuilder boom{{"mode", "boom"}};
    CHECK(k.create(&fake_host().table, &boom.config, &o) == -EIO);
    CHECK(fake_host().logged(MFS_LOG_ERROR, "create: internal error: constructor blew up"));

    ConfigBuilder notbool{{"verbose", "maybe"}};
    CHECK(k.create(&fake_host().table, &notbool.config, &o) == -EINVAL);
    CHECK(fake_host().logged(MFS_LOG_ERROR, "'verbose' must be true or false, not 'maybe'"));
}

TEST_CASE("origin: list, stat, open, read and close through the C table") {
    const auto& k = kind<mfs_origin_kind_t>(MFS_ORIGIN_KIND_ID);
    ConfigBuilder ok{{"verbose", "true"}, {"typo", "1"}};
    mfs_origin_t* o = nullptr;
    REQUIRE(k.create(&fake_host().table, &ok.config, &o) == 0);
    REQUIRE(o != nullptr);
    CHECK(fake_host().logged(MFS_LOG_WARN, "unknown option 'typo' ignored"));

    ListResult all;
    CHECK(k.list(o, "", &collect, &all) == 0);
    CHECK(all.names == std::vector<std::string>{"a.txt", "b.txt", "c.txt"});
    ListResult first;
    first.stop_after = 1;  // the host stops the listing: the origin stops calling
    CHECK(k.list(o, "", &collect, &first) == 0);
    CHECK(first.names.size() == 1);
    CHECK(k.list(o, "sub", &collect, &all) == -ENOENT);

    mfs_origin_stat_t st{};
    st.struct_size = sizeof st;
    CHECK(k.stat(o, "a.txt", &st) == 0);
    CHECK(st.type == MFS_ENTRY_FILE);
    CHECK(st.size == 5);
    CHECK(st.mtime_ns == 1'000'000'007);
    CHECK(k.stat(o, "missing", &st) == -ENOENT);
    CHECK(k.stat(o, "throw", &st) == -EIO);
    CHECK(fake_host().logged(MFS_LOG_ERROR, "stat: internal error: stat exploded"));
    CHECK(k.stat(o, "int", &st) == -EIO);
    CHECK(fake_host().logged(MFS_LOG_ERROR, "stat: internal error: unknown exception"));

    // A host whose stat struct ends before mtime_ns: nothing is written past its size.
    struct {
        mfs_origin_stat_t st;
        std::int64_t guard;
    } small{};
    small.st.struct_size = static_cast<std::uint32_t>(offsetof(mfs_origin_stat_t, mtime_ns));
    small.st.mtime_ns = -1;
    CHECK(k.stat(o, "a.txt", &small.st) == 0);
    CHECK(small.st.struct_size == offsetof(mfs_origin_stat_t, mtime_ns));
    CHECK(small.st.size == 5);
    CHECK(small.st.mtime_ns == -1);

    mfs_origin_file_t* f = nullptr;
    CHECK(k.open(o, "null", &f) == -EIO);
    CHECK(f == nullptr);
    REQUIRE(k.open(o, "a.txt", &f) == 0);
    std::vector<std::thread> readers;
    std::vector<std::string> got(4);
    for (std::size_t t = 0; t < got.size(); ++t) {
        readers.emplace_back([&, t] {
            char buf[16] = {};
            const std::int64_t n = k.read(f, 1, buf, sizeof buf);
            got[t] = n >= 0 ? std::string(buf, static_cast<std::size_t>(n)) : "error";
        });
    }
    for (auto& r : readers) {
        r.join();
    }
    for (const auto& g : got) {
        CHECK(g == "ello");
    }
    char buf[4];
    CHECK(k.read(f, 5, buf, sizeof buf) == 0);
    k.close(f);

    REQUIRE((k.get_extension != nullptr));
    CHECK(k.get_extension(o, "test.origin.ext/1") == o);
    CHECK(k.get_extension(o, "test.origin.ext/2") == nullptr);
    k.destroy(o);
}

// --- Metadata sources ----------------------------------------------------------------------------

TEST_CASE("metadata: tags, properties and format reach the sink, and errors fill `reason`") {
    const auto& k = kind<mfs_metadata_kind_t>(MFS_METADATA_KIND_ID);
    ConfigBuilder none{};
    mfs_metadata_t* m = nullptr;
    REQUIRE(k.create(&fake_host().table, &none.config, &m) == 0);
    CHECK(k.get_extension(m, "anything/1") == nullptr);

    MemSource ok("ok.flac", "fLaC and more");
    Found found;
    char reason[64] = "untouched";
    CHECK(k.read(m, &ok.table, &found.table, reason, sizeof reason) == 0);
    CHECK(found.format == "flac");
    CHECK(found.properties[MFS_PROP_DURATION_MS] == 1234);
    CHECK(found.tags == std::vector<std::pair<std::string, std::string>>{
                            {"title", "fLaC"}, {"artists", "A"}, {"artists", "B"}});

    MemSource foreign("foreign.xyz", "data");
    CHECK(k.read(m, &foreign.table, &found.table, reason, sizeof reason) == -ENOTSUP);
    CHECK(std::string_view(reason) == "not a format this source reads");

    MemSource crash("crash.flac", "data");
    CHECK(k.read(m, &crash.table, &found.table, reason, sizeof reason) == -EIO);
    CHECK(std::string_view(reason) == "internal error: parser crashed");
    CHECK(fake_host().logged(MFS_LOG_ERROR, "crash.flac: internal error: parser crashed"));

    MemSource failing("unreadable.flac", "data", true);
    CHECK(k.read(m, &failing.table, &found.table, reason, sizeof reason) == -EIO);
    CHECK(std::string_view(reason).find("reading unreadable.flac at offset 0 failed") == 0);

    // A reason longer than the buffer is cut on a character boundary; NULL is fine too.
    MemSource long_reason("long.flac", "data");
    char small[8];
    CHECK(k.read(m, &long_reason.table, &found.table, small, sizeof small) == -EINVAL);
    CHECK(std::string_view(small) == "ééé");
    CHECK(k.read(m, &long_reason.table, &found.table, nullptr, 0) == -EINVAL);
    k.destroy(m);
}

// --- Template functions --------------------------------------------------------------------------

TEST_CASE("template: the function table, the size protocol, errors") {
    const auto& k = kind<mfs_template_kind_t>(MFS_TEMPLATE_KIND_ID);
    REQUIRE(k.function_count == 3);
    const auto& upper = function("upper");
    CHECK(upper.struct_size == sizeof(mfs_template_function_t));
    CHECK(upper.min_args == 1);
    CHECK(upper.max_args == 2);
    CHECK(std::string_view(upper.description) == "%upper{text}: ASCII upper case");
    // Only a call operator that takes the arguments alone declares MFS_TEMPLATE_ARGS_ONLY.
    CHECK(upper.flags == 0u);
    CHECK(function("field").flags == 0u);
    CHECK(function("fails").flags == MFS_TEMPLATE_ARGS_ONLY);

    const mfs_tag_t tag_array[] = {{"title", "x"}, {"suffix", "!"}};
    const mfs_tag_list_t tags{sizeof(mfs_tag_list_t), 2, tag_array};
    std::string out;
    CHECK(call("upper", {"hello world"}, out, &tags) == 12);
    CHECK(out == "HELLO WORLD!");
    CHECK(call("upper", {"ok"}, out) == 2);  // no tags at all
    CHECK(out == "OK");
    CHECK(call("field", {"albumartist"}, out) == 16);
    CHECK(out == "The Field Artist");
    CHECK(call("field", {"genre"}, out) == 6);
    CHECK(out == "<none>");

    char buf[8] = "x";
    mfs_template_call_t c{sizeof c, 0, nullptr, nullptr, nullptr, nullptr};
    CHECK(function("fails").call(&c, buf, sizeof buf) == -EINVAL);
    CHECK(fake_host().logged(MFS_LOG_DEBUG, "fails: fails needs no reason"));
    CHECK(call("fails", {"x"}, out) == -EIO);
    CHECK(fake_host().logged(MFS_LOG_ERROR, "fails: internal error: fails crashed"));
    const char* abc[] = {"abc"};
    const mfs_template_call_t one{sizeof c, 1, abc, nullptr, nullptr, nullptr};
    CHECK(upper.call(&one, nullptr, 0) == 3);  // asking for the length only
}

// --- Format writers ------------------------------------------------------------------------------

namespace {

struct Layout {
    std::string segments;
    std::int32_t refuse = 0;
    mfs_layout_sink_t table{};
    Layout() {
        table.struct_size = sizeof table;
        table.ctx = this;
        table.literal = [](void* ctx, const std::uint8_t* data, std::uint64_t len) -> std::int32_t {
            auto& l = *static_cast<Layout*>(ctx);
            l.segments += "L[" + std::string(reinterpret_cast<const char*>(data),
                                              static_cast<std::size_t>(len)) + "]";
            return l.refuse;
        };
        table.original = [](void* ctx, std::uint64_t offset, std::uint64_t len) -> std::int32_t {
            auto& l = *static_cast<Layout*>(ctx);
            l.segments += "O[" + std::to_string(offset) + "+" + std::to_string(len) + "]";
            return 0;
        };
        table.transformed = [](void* ctx, std::uint64_t offset, std::uint64_t len,
                               std::uint64_t arg) -> std::int32_t {
            auto& l = *static_cast<Layout*>(ctx);
            l.segments += "T[" + std::to_string(offset) + "+" + std::to_string(len) + "^" +
                          std::to_string(arg) + "]";
            return 0;
        };
    }
};

}  // namespace

TEST_CASE("format: formats, layout segments in order, transform, a refused segment") {
    const auto& k = kind<mfs_format_kind_t>(MFS_FORMAT_KIND_ID);
    REQUIRE(k.formats != nullptr);
    CHECK(std::string_view(k.formats[0]) == "test");
    CHECK(k.formats[1] == nullptr);
    REQUIRE((k.transform != nullptr));

    ConfigBuilder none{};
    mfs_format_writer_t* w = nullptr;
    REQUIRE(k.create(&fake_host().table, &none.config, &w) == 0);
    MemSource original("song.test", "ABCDEFGHIJ");
    const mfs_tag_t tag_array[] = {{"title", "Song"}};
    const mfs_tag_list_t tags{sizeof(mfs_tag_list_t), 1, tag_array};
    const mfs_picture_list_t pictures{sizeof(mfs_picture_list_t), 0, nullptr};
    Layout layout;
    char reason[64];
    CHECK(k.layout(w, &original.table, &tags, &pictures, &layout.table, reason, sizeof reason) ==
          0);
    CHECK(layout.segments == "L[Song]L[0]T[0+4^32]O[4+6]");

    const std::uint8_t in[4] = {'a', 'b', 'c', 'd'};
    std::uint8_t out[4] = {};
    CHECK(k.transform(w, 0x20, in, out, 4) == 0);
    CHECK(std::string(reinterpret_cast<const char*>(out), 4) == "ABCD");

    Layout refusing;
    refusing.refuse = -ENOMEM;  // the writer must pass the host's error on
    CHECK(k.layout(w, &original.table, &tags, &pictures, &refusing.table, reason,
                   sizeof reason) == -ENOMEM);

    MemSource tiny("tiny.test", "AB");
    CHECK(k.layout(w, &tiny.table, &tags, &pictures, &layout.table, reason, sizeof reason) ==
          -EINVAL);
    CHECK(std::string_view(reason) == "too short");
    k.destroy(w);

    // A writer without transform() leaves the callback NULL ("never emits transformed").
    const auto* plain = static_cast<const mfs_format_kind_t*>(
        sdk::FormatKind<PlainWriter>::table());
    CHECK((plain->transform == nullptr));
    CHECK(std::string_view(plain->formats[0]) == "plain");
}
