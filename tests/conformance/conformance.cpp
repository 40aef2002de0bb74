#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "conformance.hpp"

#include "plugin/registry.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace musicfs::conformance {
namespace {

Options g_options;
std::unique_ptr<plugin::Registry> g_registry;
plugin::PluginPtr g_plugin;

// Keeps every host log line so that tests can check what a plugin told the user.
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    std::vector<LogLine> lines() {
        std::lock_guard lock(mutex_);
        return lines_;
    }
    void clear() {
        std::lock_guard lock(mutex_);
        lines_.clear();
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        lines_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size())});
    }
    void flush_() override {}

private:
    std::vector<LogLine> lines_;  // guarded by mutex_ (base_sink's)
};

std::shared_ptr<CaptureSink> g_capture;
std::vector<std::function<void()>> g_at_end;

void install_logger(bool verbose) {
    g_capture = std::make_shared<CaptureSink>();
    auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    console->set_level(verbose ? spdlog::level::trace : spdlog::level::err);
    auto logger = std::make_shared<spdlog::logger>(
        "conformance", spdlog::sinks_init_list{console, g_capture});
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(std::move(logger));
}

const std::set<std::string> kCommonWithValue = {"--plugin", "--config", "--fixture"};
const std::set<std::string> kCommonFlags = {"--verbose"};

}  // namespace

std::vector<std::string> Options::all(const std::string& name) const {
    std::vector<std::string> out;
    const auto [begin, end] = values.equal_range(name);
    for (auto it = begin; it != end; ++it) out.push_back(it->second);
    return out;
}

std::string Options::value(const std::string& name) const {
    const auto found = all(name);
    return found.empty() ? std::string() : found.back();
}

const Options& options() { return g_options; }
void at_end(std::function<void()> fn) { g_at_end.push_back(std::move(fn)); }
const plugin::PluginPtr& plugin_under_test() { return g_plugin; }

plugin::PluginPtr load_other_plugin(const std::filesystem::path& path, std::string& reason) {
    auto p = g_registry->load_file(path);
    if (!p) {
        const auto refused = g_registry->refused();
        reason = refused.empty() ? "?" : refused.back().reason;
    }
    return p;
}

int run(int argc, char** argv, std::string_view usage, const KindOptions& kind,
        int (*prepare)(Options&)) {
    std::vector<char*> rest{argv[0]};
    bool verbose = false;
    bool help = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string name = arg;
        std::string value;
        bool has_value = false;
        if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            name = arg.substr(0, eq);
            value = arg.substr(eq + 1);
            has_value = true;
        }
        const bool takes_value = kCommonWithValue.count(name) || kind.with_value.count(name);
        const bool is_flag = kCommonFlags.count(name) || kind.flags.count(name);
        if (takes_value) {
            if (!has_value) {
                if (i + 1 >= argc) {
                    std::cerr << name << " needs a value\n\n" << usage;
                    return 2;
                }
                value = argv[++i];
            }
            if (name == "--plugin") {
                g_options.plugin = value;
            } else if (name == "--fixture") {
                g_options.fixture = value;
            } else if (name == "--config") {
                const auto eq = value.find('=');
                if (eq == std::string::npos || eq == 0) {
                    std::cerr << "--config wants KEY=VALUE, not '" << value << "'\n";
                    return 2;
                }
                g_options.config.emplace_back(value.substr(0, eq), value.substr(eq + 1));
            } else {
                g_options.values.emplace(name, value);
            }
        } else if (is_flag && !has_value) {
            if (name == "--verbose") verbose = true;
            else g_options.flags.insert(name);
        } else {
            if (arg == "-h" || arg == "--help" || arg == "-?") help = true;
            rest.push_back(argv[i]);
        }
    }
    if (help) {
        std::cout << usage << "\ndoctest's options follow.\n\n";
    } else if (g_options.plugin.empty()) {
        std::cerr << "--plugin PATH is required\n\n" << usage;
        return 2;
    }
    install_logger(verbose);

    if (!help) {
        g_registry = std::make_unique<plugin::Registry>(std::vector<std::filesystem::path>{});
        g_plugin = g_registry->load_file(g_options.plugin);
        if (!g_plugin) {
            const auto refused = g_registry->refused();
            std::cerr << "the plugin " << g_options.plugin << " was refused by the loader: "
                      << (refused.empty() ? "?" : refused.back().reason) << "\n";
            return 1;
        }
        std::cout << "plugin under test: " << g_plugin->id() << " " << g_plugin->version()
                  << " (" << g_plugin->kinds() << ", ABI " << g_plugin->abi_major() << "."
                  << g_plugin->abi_minor() << ") from " << g_options.plugin.string() << "\n";
        int rc = 0;
        try {
            rc = prepare(g_options);
        } catch (const std::exception& e) {
            std::cerr << "cannot prepare the run: " << e.what() << "\n";
            rc = 2;
        }
        if (rc != 0) {
            // Unload before static destruction: the library's own destructors must run first.
            g_plugin.reset();
            g_registry.reset();
            return rc;
        }
    }

    doctest::Context context;
    context.applyCommandLine(static_cast<int>(rest.size()), rest.data());
    const int result = context.run();
    for (auto it = g_at_end.rbegin(); it != g_at_end.rend(); ++it) (*it)();
    g_plugin.reset();
    g_registry.reset();
    return result;
}

std::map<std::string, std::string> config_map(
    const std::vector<std::pair<std::string, std::string>>& entries) {
    std::map<std::string, std::string> out;
    const std::string fixture = g_options.fixture.string();
    for (auto [key, value] : entries) {
        for (auto at = value.find("{fixture}"); at != std::string::npos;
             at = value.find("{fixture}", at + fixture.size()))
            value.replace(at, 9, fixture);
        out[key] = value;
    }
    return out;
}

std::map<std::string, std::string> config_map() { return config_map(g_options.config); }

std::vector<LogLine> host_log() { return g_capture ? g_capture->lines() : std::vector<LogLine>{}; }
void clear_host_log() {
    if (g_capture) g_capture->clear();
}

void Mismatches::note(const std::function<std::string()>& describe) {
    if (count_++ != 0) return;
    std::string text = describe();
    std::lock_guard lock(mu_);
    first_ = std::move(text);
}

std::string Mismatches::first() const {
    std::lock_guard lock(mu_);
    return first_;
}

void run_threads(int n, const std::function<void(int)>& fn) {
    std::vector<std::thread> threads;
    for (int t = 0; t < n; ++t) threads.emplace_back(fn, t);
    for (auto& t : threads) t.join();
}

void check_reason_buffers(const std::function<int(char* buf, std::size_t size)>& call) {
    // No buffer at all, even with a size.
    CHECK(call(nullptr, 0) < 0);
    CHECK(call(nullptr, 64) < 0);
    for (const std::size_t size : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
        CAPTURE(size);
        char buf[64];
        std::memset(buf, '#', sizeof buf);
        CHECK(call(buf, size) < 0);
        if (size > 0) CHECK(std::memchr(buf, '\0', size) != nullptr);
        for (std::size_t i = size; i < sizeof buf; ++i) {
            if (buf[i] != '#') {
                FAIL_CHECK("byte ", i, " written past a reason buffer of ", size, " bytes");
                break;
            }
        }
    }
}

std::size_t open_fd_count() {
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) throw std::runtime_error("cannot list /proc/self/fd");
    std::size_t n = 0;
    while (const dirent* e = readdir(dir))
        if (e->d_name[0] != '.') ++n;
    closedir(dir);
    return n - 1;  // the descriptor of the listing itself
}

std::vector<unsigned char> pseudo_random_bytes(std::size_t n, std::uint64_t seed) {
    std::vector<unsigned char> out(n);
    std::uint64_t x = seed ? seed : 0x9E3779B97F4A7C15ull;
    for (auto& b : out) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        b = static_cast<unsigned char>((x * 0x2545F4914F6CDD1Dull) >> 56);
    }
    return out;
}

TempDir::TempDir(std::string_view prefix) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / (std::string(prefix) + ".XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

namespace {

// make-library.sh writes the byte XX of a non-UTF-8 name as the lone surrogate \udcXX, which
// JSON parsers refuse. Map it to the private-use U+F7XX for parsing, and back to the byte after.
std::string escape_surrogates(const std::string& json) {
    std::string out;
    for (std::size_t i = 0; i < json.size(); ++i) {
        if (json.compare(i, 4, "\\udc") == 0 || json.compare(i, 4, "\\uDC") == 0) {
            out += "\\uf7";
            i += 3;
        } else {
            out += json[i];
        }
    }
    return out;
}

std::string unescape_surrogates(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        if (b0 == 0xEF && i + 2 < s.size()) {
            const auto b1 = static_cast<unsigned char>(s[i + 1]);
            const auto b2 = static_cast<unsigned char>(s[i + 2]);
            if (b1 >= 0x9C && b1 <= 0x9F) {  // U+F700..U+F7FF
                out += static_cast<char>(((b1 & 0x03) << 6) | (b2 & 0x3F));
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

// The sink's format name for a manifest entry: the codec where it names one, else the
// container (wav, aiff hold PCM).
std::string sink_format(const std::string& container, const std::string& codec) {
    static const std::set<std::string> kCodecs = {"flac", "mp3", "vorbis", "opus", "aac", "alac"};
    return kCodecs.count(codec) ? codec : container;
}

}  // namespace

Manifest load_manifest(const std::filesystem::path& library) {
    const auto path = library / "MANIFEST.json";
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("no MANIFEST.json (make one with tests/data/make-library.sh)");
    std::stringstream text;
    text << in.rdbuf();
    const auto json = nlohmann::json::parse(escape_surrogates(text.str()));
    Manifest manifest;
    for (const auto& t : json.at("tracks")) {
        ManifestTrack track;
        track.path = unescape_surrogates(t.at("path").get<std::string>());
        track.format = sink_format(t.at("format").get<std::string>(), t.at("codec").get<std::string>());
        for (const auto& [key, value] : t.at("expected_tags").items()) {
            auto& values = track.tags[key];
            if (value.is_array())
                for (const auto& v : value) values.push_back(unescape_surrogates(v.get<std::string>()));
            else
                values.push_back(unescape_surrogates(value.get<std::string>()));
        }
        manifest.tracks.push_back(std::move(track));
    }
    for (const auto& b : json.at("broken"))
        manifest.broken.push_back(unescape_surrogates(b.get<std::string>()));
    manifest.loaded = true;
    return manifest;
}

std::vector<unsigned char> file_bytes(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string printable(std::string_view bytes) {
    std::string out;
    for (const char c : bytes) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7F) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", u);
            out += hex;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace musicfs::conformance
