#include "app/config.hpp"

#include "util/error.hpp"

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <cstdlib>
#include <set>
#include <sstream>
#include <tuple>

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

std::string key_where(const toml::key& k, const toml::node& node, const std::string& file) {
    const auto& b = k.source().begin;
    return b ? fmt::format("{}:{}:{}", file, b.line, b.column) : where(node, file);
}

// A table's entries in the order the file gives them (toml++ keeps tables sorted by key; the
// order of a paths block or a replace list matters).
std::vector<std::pair<const toml::key*, const toml::node*>> in_file_order(const toml::table& t) {
    std::vector<std::pair<const toml::key*, const toml::node*>> out;
    for (const auto& [k, v] : t) out.emplace_back(&k, &v);
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        const auto& pa = a.first->source().begin;
        const auto& pb = b.first->source().begin;
        return std::tie(pa.line, pa.column) < std::tie(pb.line, pb.column);
    });
    return out;
}

bool is_standard_path_key(std::string_view k) {
    return k == "default" || k == "singleton" || k == "comp";
}

// Checks a paths entry's query now, so that a mistake is reported where it is written.
void check_query(const std::string& query, const std::string& at) {
    if (is_standard_path_key(query)) return;
    try {
        vfs::TrackQuery q(query);
    } catch (const vfs::QueryError& e) {
        throw UserError("{}: paths query '{}': {}", at, query, e.what());
    }
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
        {"paths.default", "--template", "MUSICFS_TEMPLATE", "string",
         "$albumartist/$album%aunique{}/$track $title",
         "Path template of the tracks no other paths entry matches (top-level 'template' is "
         "the same)"},
        {"paths.singleton", "--singleton-template", "MUSICFS_SINGLETON_TEMPLATE", "string",
         "Non-Album/$artist/$title", "Path template of tracks that belong to no album"},
        {"paths.comp", "--comp-template", "MUSICFS_COMP_TEMPLATE", "string",
         "Compilations/$album%aunique{}/$track $title", "Path template of compilation tracks"},
        {"aunique.keys", "--aunique-keys", "MUSICFS_AUNIQUE_KEYS", "string", "albumartist album",
         "Fields that make albums look alike to %aunique{}"},
        {"aunique.disambiguators", "--aunique-disambiguators", "MUSICFS_AUNIQUE_DISAMBIGUATORS",
         "string", "albumtype year label catalognum albumdisambig releasegroupdisambig",
         "Fields %aunique{} tries, in order, to tell such albums apart"},
        {"aunique.bracket", "--aunique-bracket", "MUSICFS_AUNIQUE_BRACKET", "string", "[]",
         "The two characters around %aunique{}'s result (empty: none)"},
        {"sunique.keys", "--sunique-keys", "MUSICFS_SUNIQUE_KEYS", "string", "artist title",
         "Fields that make singletons look alike to %sunique{}"},
        {"sunique.disambiguators", "--sunique-disambiguators", "MUSICFS_SUNIQUE_DISAMBIGUATORS",
         "string", "year trackdisambig", "Fields %sunique{} tries, in order"},
        {"sunique.bracket", "--sunique-bracket", "MUSICFS_SUNIQUE_BRACKET", "string", "[]",
         "The two characters around %sunique{}'s result (empty: none)"},
        {"path_sep_replace", "--path-sep-replace", "MUSICFS_PATH_SEP_REPLACE", "string", "_",
         "What a '/' inside a field's value becomes"},
        {"asciify_paths", "--asciify-paths", "MUSICFS_ASCIIFY_PATHS", "bool", "false",
         "Transliterate paths to ASCII (ICU Any-Latin; Latin-ASCII)"},
        {"max_filename_length", "--max-filename-length", "MUSICFS_MAX_FILENAME_LENGTH", "count",
         "0", "Longest name in bytes (0: 255)"},
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
        {"fuse.readahead_kb", "--readahead-kb", "MUSICFS_FUSE_READAHEAD_KB", "count", "1024",
         "Per-mount readahead in KiB, the size of the kernel's read requests (root only; 0 keeps "
         "the kernel's 128)"},
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

    // What the file says about the tree's layout, in file order.
    struct PathEntry {
        std::string query;
        std::string tmpl;
    };
    struct ViewEntry {
        std::string name;
        std::string at;
        std::vector<PathEntry> paths;
    };
    std::vector<PathEntry> root_paths;
    std::string paths_at;  // where the [paths] table is, when the file has one
    std::vector<ViewEntry> views;
    std::optional<std::vector<vfs::Replacement>> replace;

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
                    } else if (prefix.empty() && key == "template") {
                        // The name older configurations use for paths.default.
                        auto t = node.value<std::string>();
                        if (!t) throw UserError("{}: 'template' must be a string", at);
                        c.values_["paths.default"] = {*t, at};
                    } else if (prefix.empty() && key == "paths" && node.is_table()) {
                        paths_at = at;
                        for (const auto& [pk, pv] : in_file_order(*node.as_table())) {
                            const std::string query(pk->str());
                            const std::string pat = key_where(*pk, *pv, *file);
                            auto t = pv->value<std::string>();
                            if (!t)
                                throw UserError("{}: the template of paths entry '{}' must be a "
                                                "string",
                                                pat, query);
                            check_query(query, pat);
                            if (is_standard_path_key(query))
                                c.values_["paths." + query] = {*t, pat};
                            root_paths.push_back({query, *t});
                        }
                    } else if (prefix.empty() && key == "views" && node.is_table()) {
                        for (const auto& [vk, vv] : in_file_order(*node.as_table())) {
                            ViewEntry view{std::string(vk->str()), key_where(*vk, *vv, *file), {}};
                            if (!vv->is_table())
                                throw UserError("{}: view '{}' must be a table with a paths table",
                                                view.at, view.name);
                            for (const auto& [fk, fv] : in_file_order(*vv->as_table())) {
                                const std::string fat = key_where(*fk, *fv, *file);
                                if (fk->str() != "paths" || !fv->is_table())
                                    throw UserError("{}: unknown view key '{}' in view '{}' (a view "
                                                    "has a [views.\"{}\".paths] table)",
                                                    fat, fk->str(), view.name, view.name);
                                for (const auto& [pk, pv] : in_file_order(*fv->as_table())) {
                                    const std::string query(pk->str());
                                    const std::string pat = key_where(*pk, *pv, *file);
                                    auto t = pv->value<std::string>();
                                    if (!t)
                                        throw UserError("{}: the template of paths entry '{}' must "
                                                        "be a string",
                                                        pat, query);
                                    check_query(query, pat);
                                    view.paths.push_back({query, *t});
                                }
                            }
                            if (view.paths.empty())
                                throw UserError("{}: view '{}' has no paths", view.at, view.name);
                            if (view.name.empty() || view.name.find('/') != std::string::npos)
                                throw UserError("{}: a view's name must be non-empty, without '/'",
                                                view.at);
                            views.push_back(std::move(view));
                        }
                    } else if (prefix.empty() && key == "replace" && node.is_table()) {
                        replace.emplace();
                        for (const auto& [rk, rv] : in_file_order(*node.as_table())) {
                            const std::string rat = key_where(*rk, *rv, *file);
                            auto r = rv->value<std::string>();
                            if (!r)
                                throw UserError("{}: the replacement of '{}' must be a string", rat,
                                                rk->str());
                            vfs::Replacement rule{std::string(rk->str()), *r};
                            try {
                                vfs::Replacements check({rule});
                            } catch (const std::invalid_argument& e) {
                                throw UserError("{}: replace: {}", rat, e.what());
                            }
                            replace->push_back(std::move(rule));
                        }
                    } else if ((prefix == "metadata." || prefix == "plugins." ||
                                prefix == "format.") &&
                               node.is_table()) {
                        auto& opts = (prefix == "metadata."  ? c.source_options_
                                      : prefix == "format." ? c.format_options_
                                                            : c.plugin_options_)[std::string(k.str())];
                        for (const auto& [sk, sv] : *node.as_table())
                            opts[std::string(sk.str())] = plugin_value(sv);
                    } else if (node.is_table() && prefix.empty() &&
                               (key == "library" || key == "scan" || key == "fuse" ||
                                key == "plugins" || key == "metadata" || key == "format" ||
                                key == "aunique" ||
                                key == "sunique")) {
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

    // The layout: views, or one tree at the root whose paths block is the file's entries in
    // file order, then beets' default, singleton and comp entries the file does not override
    // (beets merges its defaults into a user's paths block the same way).
    vfs::LayoutConfig& layout = c.layout_;
    if (!views.empty()) {
        if (!paths_at.empty())
            throw UserError("{}: a [paths] table and [views] cannot both be given; each view has "
                            "its own paths",
                            paths_at);
        for (const char* k : {"paths.default", "paths.singleton", "paths.comp"})
            if (c.is_set(k))
                throw UserError("{}: '{}' applies to a tree without views; with [views], each "
                                "view has its own paths",
                                c.value(k).from, k);
        layout.views.clear();
        for (auto& v : views) {
            vfs::ViewConfig vc{v.name, {}};
            for (auto& p : v.paths) vc.paths.push_back({p.query, p.tmpl});
            layout.views.push_back(std::move(vc));
        }
    } else {
        vfs::ViewConfig root_view;
        std::set<std::string> given;
        for (auto& p : root_paths) {
            given.insert(p.query);
            root_view.paths.push_back(
                {p.query, is_standard_path_key(p.query) ? c.string("paths." + p.query) : p.tmpl});
        }
        for (const char* k : {"default", "singleton", "comp"})
            if (!given.count(k)) root_view.paths.push_back({k, c.string(std::string("paths.") + k)});
        layout.views = {std::move(root_view)};
    }
    if (replace) layout.replacements = std::move(*replace);
    layout.aunique = {c.string("aunique.keys"), c.string("aunique.disambiguators"),
                      c.string("aunique.bracket")};
    layout.sunique = {c.string("sunique.keys"), c.string("sunique.disambiguators"),
                      c.string("sunique.bracket")};
    layout.path_sep_replace = c.string("path_sep_replace");
    layout.asciify_paths = c.boolean("asciify_paths");
    layout.max_filename_length = c.count("max_filename_length");
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

std::map<std::string, std::string> Config::format_options(const std::string& name) const {
    const auto it = format_options_.find(name);
    return it == format_options_.end() ? std::map<std::string, std::string>{} : it->second;
}

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
