#include "app/config.hpp"

#include "util/error.hpp"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <cstdlib>
#include <sstream>

namespace musicfs::app {
namespace {

constexpr char kListSep = '\n';  // lists are kept joined by newlines internally

std::string where(const toml::node& node, const std::string& file) {
    const auto& b = node.source().begin;
    return b ? fmt::format("{}:{}:{}", file, b.line, b.column) : file;
}

const Option* find_option(std::string_view key) {
    for (const auto& o : options())
        if (key == o.key) return &o;
    return nullptr;
}

// A scalar TOML value in TOML spelling (strings unquoted).
std::optional<std::string> scalar_text(const toml::node& node) {
    if (auto s = node.value<std::string>()) return *s;
    if (node.is_boolean()) return *node.value<bool>() ? "true" : "false";
    if (node.is_integer()) return std::to_string(*node.value<std::int64_t>());
    if (node.is_floating_point()) {
        std::ostringstream os;
        os << *node.value<double>();
        return os.str();
    }
    return std::nullopt;
}

// A TOML value as a plugin option: scalars in TOML spelling, anything else as JSON.
std::string plugin_value(const toml::node& node) {
    if (auto s = scalar_text(node)) return *s;
    std::ostringstream os;
    os << toml::json_formatter{node};
    return os.str();
}

std::string list_text(const toml::node& node, const std::string& at, const char* key) {
    const auto* arr = node.as_array();
    if (!arr) throw UserError("{}: option '{}' must be a list of strings", at, key);
    std::string out;
    for (const auto& item : *arr) {
        auto s = item.value<std::string>();
        if (!s) throw UserError("{}: option '{}' must be a list of strings", at, key);
        if (!out.empty()) out += kListSep;
        out += *s;
    }
    return out;
}

bool parse_bool(const std::string& s, bool& out) {
    if (s == "true" || s == "1" || s == "yes" || s == "on") return out = true, true;
    if (s == "false" || s == "0" || s == "no" || s == "off") return out = false, true;
    return false;
}

}  // namespace

const std::vector<Option>& options() {
    static const std::vector<Option> table = {
        {"state_dir", "--state-dir", "MUSICFS_STATE_DIR", "string", "",
         "Directory for catalogs and logs (default: $XDG_STATE_HOME/musicfs or "
         "~/.local/state/musicfs)"},
        {"library.name", "--library", "MUSICFS_LIBRARY", "string", "",
         "Name of the library; each has its own catalog (default: derived from the origins)"},
        {"template", "--template", "MUSICFS_TEMPLATE", "string",
         "$albumartist/$album/$track $title", "Path template of the tree"},
        {"log_level", "--log-level", "MUSICFS_LOG_LEVEL", "string", "info",
         "trace, debug, info, warn, error or off"},
        {"log_file", "--log-file", "MUSICFS_LOG_FILE", "string", "",
         "Log to this file (default: stderr; with --daemon, musicfs.log in the library's state "
         "directory)"},
        {"scan.on_mount", "--scan", "MUSICFS_SCAN_ON_MOUNT", "string", "auto",
         "Scan before mounting: auto (only a library never scanned), always or never"},
        {"scan.threads", "--scan-threads", "MUSICFS_SCAN_THREADS", "count", "0",
         "Threads reading tags during a scan (0: one per CPU)"},
        {"fuse.allow_other", "--allow-other", "MUSICFS_FUSE_ALLOW_OTHER", "bool", "false",
         "Let other users see the mount (non-root needs user_allow_other in /etc/fuse.conf)"},
        {"fuse.entry_timeout", "--entry-timeout", "MUSICFS_FUSE_ENTRY_TIMEOUT", "number", "60",
         "Seconds the kernel caches names"},
        {"fuse.attr_timeout", "--attr-timeout", "MUSICFS_FUSE_ATTR_TIMEOUT", "number", "60",
         "Seconds the kernel caches attributes"},
        {"fuse.max_threads", "--max-threads", "MUSICFS_FUSE_MAX_THREADS", "count", "16",
         "Most threads serving FUSE requests"},
        {"plugins.path", "--plugin-dir", "MUSICFS_PLUGIN_PATH", "list", "",
         "Extra plugin directories, searched before the standard one (env: ':'-separated)"},
        {"metadata.sources", "--metadata", "MUSICFS_METADATA_SOURCES", "list", "taglib",
         "Metadata sources, highest precedence first (env: ','-separated)"},
    };
    return table;
}

Config Config::load(const std::optional<std::string>& file,
                    const std::map<std::string, std::string>& cli) {
    Config c;
    c.file_ = file;
    for (const auto& o : options()) c.values_[o.key] = {o.fallback, "the default"};

    if (file) {
        toml::table root;
        try {
            root = toml::parse_file(*file);
        } catch (const toml::parse_error& e) {
            const auto& b = e.source().begin;
            if (!b) throw UserError("config {}: {}", *file, e.description());
            throw UserError("config {}:{}:{}: {}", *file, b.line, b.column, e.description());
        }
        // Walks tables; a dotted key that is an option is taken, a known table descended,
        // anything else refused with its position.
        std::function<void(const toml::table&, const std::string&)> walk =
            [&](const toml::table& table, const std::string& prefix) {
                for (const auto& [k, node] : table) {
                    const std::string key = prefix + std::string(k.str());
                    const std::string at = where(node, *file);
                    if (const Option* o = find_option(key)) {
                        std::string text;
                        if (std::string_view(o->kind) == "list") {
                            text = list_text(node, at, o->key);
                        } else if (auto s = scalar_text(node)) {
                            text = *s;
                        } else {
                            throw UserError("{}: option '{}' must be a {}", at, key, o->kind);
                        }
                        c.values_[key] = {text, at};
                    } else if (key == "origin") {
                        const auto* arr = node.as_array();
                        if (!arr)
                            throw UserError("{}: 'origin' must be written [[origin]] tables", at);
                        for (const auto& item : *arr) {
                            const auto* t = item.as_table();
                            const std::string iat = where(item, *file);
                            if (!t) throw UserError("{}: each [[origin]] must be a table", iat);
                            OriginConfig oc;
                            for (const auto& [ok, ov] : *t) {
                                const std::string name(ok.str());
                                if (name == "name" || name == "type") {
                                    auto s = ov.value<std::string>();
                                    if (!s || s->empty())
                                        throw UserError("{}: origin '{}' must be a non-empty string",
                                                        where(ov, *file), name);
                                    (name == "name" ? oc.name : oc.type) = *s;
                                } else {
                                    oc.options[name] = plugin_value(ov);
                                }
                            }
                            if (oc.type.empty())
                                throw UserError("{}: origin needs a type (e.g. type = \"local\")",
                                                iat);
                            if (oc.name.empty())
                                oc.name = fmt::format("origin{}", c.origins_.size() + 1);
                            for (const auto& other : c.origins_)
                                if (other.name == oc.name)
                                    throw UserError("{}: two origins are named '{}'", iat, oc.name);
                            c.origins_.push_back(std::move(oc));
                        }
                    } else if ((prefix == "metadata." || prefix == "plugins.") && node.is_table()) {
                        auto& opts = (prefix == "metadata." ? c.source_options_
                                                            : c.plugin_options_)[std::string(k.str())];
                        for (const auto& [sk, sv] : *node.as_table())
                            opts[std::string(sk.str())] = plugin_value(sv);
                    } else if (node.is_table() && prefix.empty() &&
                               (key == "library" || key == "scan" || key == "fuse" ||
                                key == "plugins" || key == "metadata")) {
                        walk(*node.as_table(), key + ".");
                    } else {
                        const auto& kb = k.source().begin;
                        throw UserError("{}: unknown option '{}'",
                                        kb ? fmt::format("{}:{}:{}", *file, kb.line, kb.column) : at,
                                        key);
                    }
                }
            };
        walk(root, "");
    }

    for (const auto& o : options()) {
        const char* env = std::getenv(o.env);
        if (!env) continue;
        std::string text = env;
        if (std::string_view(o.kind) == "list") {
            const char sep = std::string_view(o.key) == "plugins.path" ? ':' : ',';
            std::replace(text.begin(), text.end(), sep, kListSep);
        }
        c.values_[o.key] = {text, std::string("environment variable ") + o.env};
    }
    for (const auto& [key, text] : cli) {
        const Option* o = find_option(key);
        c.values_[key] = {text, o ? std::string("option ") + o->flag : key};
    }

    // Type-check everything now, so that a typo fails before anything is mounted.
    for (const auto& o : options()) {
        const std::string_view kind = o.kind;
        if (kind == "bool") c.boolean(o.key);
        if (kind == "number") c.number(o.key);
        if (kind == "count") c.count(o.key);
    }
    return c;
}

const Config::Value& Config::value(const std::string& key) const {
    const auto it = values_.find(key);
    if (it == values_.end()) throw std::logic_error("no option " + key);
    return it->second;
}

std::string Config::string(const std::string& key) const { return value(key).text; }

bool Config::boolean(const std::string& key) const {
    const auto& v = value(key);
    bool out = false;
    if (!parse_bool(v.text, out))
        throw UserError("{}: '{}' must be true or false, not '{}'", v.from, key, v.text);
    return out;
}

double Config::number(const std::string& key) const {
    const auto& v = value(key);
    double out = 0;
    const auto* end = v.text.data() + v.text.size();
    const auto [p, ec] = std::from_chars(v.text.data(), end, out);
    if (ec != std::errc() || p != end || out < 0)
        throw UserError("{}: '{}' must be a non-negative number, not '{}'", v.from, key, v.text);
    return out;
}

unsigned Config::count(const std::string& key) const {
    const auto& v = value(key);
    unsigned out = 0;
    const auto* end = v.text.data() + v.text.size();
    const auto [p, ec] = std::from_chars(v.text.data(), end, out);
    if (ec != std::errc() || p != end || v.text.empty())
        throw UserError("{}: '{}' must be a whole number, not '{}'", v.from, key, v.text);
    return out;
}

std::vector<std::string> Config::list(const std::string& key) const {
    std::vector<std::string> out;
    std::istringstream in(value(key).text);
    for (std::string item; std::getline(in, item, kListSep);)
        if (!item.empty()) out.push_back(item);
    return out;
}

bool Config::is_set(const std::string& key) const { return value(key).from != "the default"; }

std::map<std::string, std::string> Config::source_options(const std::string& name) const {
    const auto it = source_options_.find(name);
    return it == source_options_.end() ? std::map<std::string, std::string>{} : it->second;
}

std::string default_state_dir() {
    if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg)
        return std::string(xdg) + "/musicfs";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::string(home) + "/.local/state/musicfs";
    throw UserError("neither XDG_STATE_HOME nor HOME is set; give --state-dir");
}

}  // namespace musicfs::app
