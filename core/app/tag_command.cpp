#include "app/tag_command.hpp"

#include "catalog/catalog.hpp"
#include "util/error.hpp"
#include "util/utf8.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <signal.h>
#include <sys/xattr.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

namespace musicfs::app {
namespace {

namespace fs = std::filesystem;

// Where a track lives: its catalog, origin and path.
struct TrackRef {
    std::string catalog;
    std::string origin;
    std::string path;
};

std::optional<std::string> xattr(const std::string& file, const char* name) {
    std::string buf(4096, '\0');
    const ssize_t n = ::getxattr(file.c_str(), name, buf.data(), buf.size());
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
}

// A file inside a mounted tree names its catalog, origin and original path in xattrs; an
// original file is matched against the local origins of the catalogs in the state directory.
TrackRef resolve(const Config& config, const std::string& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) throw UserError("{}: no such file", file);
    if (auto catalog = xattr(file, "user.musicfs.catalog")) {
        auto origin = xattr(file, "user.musicfs.origin");
        auto path = xattr(file, "user.musicfs.origin_path");
        if (!origin || !path) throw UserError("{}: is a directory, not a track", file);
        return {*catalog, *origin, *path};
    }
    const fs::path real = fs::canonical(file, ec);
    if (ec) throw UserError("{}: {}", file, ec.message());
    const std::string state =
        config.is_set("state_dir") ? config.string("state_dir") : default_state_dir();
    std::vector<fs::path> catalogs;
    if (config.is_set("library.name")) {
        catalogs.push_back(fs::path(state) / config.string("library.name") / "catalog.sqlite3");
    } else {
        for (const auto& entry : fs::directory_iterator(state, ec))
            if (fs::exists(entry.path() / "catalog.sqlite3")) catalogs.push_back(entry.path() / "catalog.sqlite3");
    }
    for (const auto& path : catalogs) {
        catalog::Catalog cat(path.string());
        for (const auto& [origin, root] : cat.local_origins()) {
            const auto rel = real.lexically_relative(fs::canonical(root, ec));
            if (ec || rel.empty() || *rel.begin() == "..") continue;
            if (cat.track_of(origin, rel.string()) != 0) return {path.string(), origin, rel.string()};
        }
    }
    throw UserError("{}: not a track of any library in {} (scan it first, or give --library / "
                    "--state-dir)",
                    file, state);
}

std::string slurp(const std::string& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw UserError("cannot read {}: it is a directory", path);
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UserError("cannot read {}: {}", path, std::strerror(errno));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// ID3v2 picture types by the names users write.
std::uint32_t picture_type(const std::string& name) {
    static const std::map<std::string, std::uint32_t> kTypes = {
        {"other", 0},  {"icon", 1},       {"front", 3},  {"back", 4},      {"leaflet", 5},
        {"media", 6},  {"lead-artist", 7}, {"artist", 8}, {"conductor", 9}, {"band", 10},
        {"composer", 11}, {"lyricist", 12}, {"recording-location", 13}, {"illustration", 18},
        {"band-logo", 19}, {"publisher-logo", 20}};
    if (const auto it = kTypes.find(name); it != kTypes.end()) return it->second;
    throw UserError("picture type '{}' is not one of front, back, other, media, artist, ... "
                    "(see musicfs tag --help)",
                    name);
}

std::string image_mime(const std::string& data, const std::string& file) {
    if (data.size() >= 3 && data.compare(0, 3, "\xFF\xD8\xFF") == 0) return "image/jpeg";
    if (data.size() >= 8 && data.compare(0, 8, "\x89PNG\r\n\x1A\n") == 0) return "image/png";
    if (data.size() >= 6 && (data.compare(0, 6, "GIF87a") == 0 || data.compare(0, 6, "GIF89a") == 0))
        return "image/gif";
    if (data.size() >= 12 && data.compare(0, 4, "RIFF") == 0 && data.compare(8, 4, "WEBP") == 0)
        return "image/webp";
    throw UserError("{}: not a JPEG, PNG, GIF or WebP image", file);
}

void check_key(const std::string& key) {
    static const std::regex kKey("[a-z0-9_]+(:[^=]*)?");
    if (!std::regex_match(key, kKey))
        throw UserError("'{}' is not a tag name: use Picard's names in lower case (title, "
                        "artist, albumartist, tracknumber, ...)",
                        key);
}

nlohmann::json describe(catalog::Catalog& cat, std::int64_t track, const TrackRef& ref,
                        const std::vector<std::string>& sources) {
    // Effective values per key, with the source they come from.
    std::map<std::string, std::pair<std::string, std::vector<std::string>>> chosen;
    auto rank = [&](const std::string& s) {
        return static_cast<std::size_t>(std::find(sources.begin(), sources.end(), s) - sources.begin());
    };
    for (const auto& [source, key, value] : cat.tag_rows(track)) {
        auto& slot = chosen[key];
        if (slot.first.empty() || rank(source) < rank(slot.first)) slot = {source, {}};
        if (slot.first == source && !value.empty()) slot.second.push_back(value);
    }
    nlohmann::json tags = nlohmann::json::object();
    for (const auto& [key, slot] : chosen) {
        if (slot.second.empty()) continue;  // removed by the user
        tags[key] = {{"values", slot.second}, {"source", slot.first}};
    }
    catalog::CatalogReader reader(cat.path());
    nlohmann::json pictures = nlohmann::json::array();
    for (const auto& p : reader.pictures(track, catalog::kUserSource))
        pictures.push_back({{"type", p.type}, {"mime", p.mime}, {"description", p.description},
                            {"bytes", p.data.size()}, {"source", "user"}});
    return {{"origin", ref.origin}, {"path", utf8::repair(ref.path)}, {"catalog", ref.catalog},
            {"tags", tags}, {"pictures", pictures},
            {"embedded_pictures", pictures.empty() ? "kept" : "replaced"}};
}

}  // namespace

bool wait_for_daemon(catalog::Catalog& cat, std::int64_t seq, const DaemonWait& limits) {
    const auto pid_file = fs::path(cat.path()).parent_path() / "daemon.pid";
    std::ifstream in(pid_file);
    long pid = 0;
    if (!(in >> pid) || pid <= 0) return false;
    auto alive = [&] { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH; };
    if (!alive()) return false;  // a stale file
    using Clock = std::chrono::steady_clock;
    const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
    const auto start = Clock::now();
    auto progress = start;  // when the daemon last applied a change or began a rebuild
    std::int64_t applied = -1, rebuilding = -1;
    bool told = false;
    for (;;) {
        const auto now_applied = cat.meta_int("applied_change");
        if (now_applied >= seq) return true;
        // A rebuild of the tree (an edit that moves tracks) takes seconds in a big library; the
        // daemon says when it begins one, and applies what it took in when it is done.
        const auto now_rebuilding = cat.meta_int("rebuilding_through");
        const auto now = Clock::now();
        if (now_applied != applied || now_rebuilding != rebuilding) progress = now;
        applied = now_applied;
        rebuilding = now_rebuilding;
        if (rebuilding > applied) {
            if (!alive()) {
                spdlog::warn("the daemon (pid {}) ended while rebuilding the tree; the next "
                             "mount applies the change",
                             pid);
                return false;
            }
            if (now - progress > limits.rebuild) {
                spdlog::warn("the daemon (pid {}) is still rebuilding the tree after {:g} s; "
                             "the mount shows the change once it is done",
                             pid, seconds(now - progress));
                return false;
            }
            if (!told && now - start > std::chrono::seconds(3)) {
                spdlog::info("waiting for the daemon (pid {}) to rebuild the tree", pid);
                told = true;
            }
        } else if (now - progress > limits.answer) {
            spdlog::warn("the daemon (pid {}) did not apply the change within {:g} s; the mount "
                         "may show the old tags for a while",
                         pid, seconds(limits.answer));
            return false;
        }
        std::this_thread::sleep_for(limits.poll);
    }
}

int run_tag(const Config& config, const TagArgs& args) {
    const TrackRef ref = resolve(config, args.file);
    catalog::Catalog cat(ref.catalog);
    const std::int64_t track = cat.track_of(ref.origin, ref.path);
    if (track == 0) throw UserError("{}: the catalog has no track for it", args.file);
    std::vector<std::string> sources{catalog::kUserSource};
    for (const auto& s : config.list("metadata.sources")) sources.push_back(s);

    if (args.action == "get") {
        std::puts(describe(cat, track, ref, sources).dump(2).c_str());
        return 0;
    }

    // Everything the user gave is checked (and pictures read) before the catalog is touched.
    std::vector<std::pair<std::string, std::vector<std::string>>> edits;
    std::vector<catalog::PictureRow> pictures;
    if (args.action == "set") {
        if (args.assignments.empty() && args.pictures.empty())
            throw UserError("tag set needs KEY=VALUE pairs or --picture TYPE=FILE");
        for (const auto& a : args.assignments) {
            const auto eq = a.find('=');
            if (eq == std::string::npos || eq == 0)
                throw UserError("'{}' is not KEY=VALUE (e.g. title=Intro)", a);
            const std::string key = a.substr(0, eq), value = a.substr(eq + 1);
            check_key(key);
            if (!utf8::valid(value)) throw UserError("the value of {} is not valid UTF-8", key);
            auto it = std::find_if(edits.begin(), edits.end(),
                                   [&](const auto& e) { return e.first == key; });
            if (it == edits.end()) it = edits.insert(edits.end(), {key, {}});
            if (!value.empty()) it->second.push_back(value);
        }
        for (const auto& p : args.pictures) {
            const auto eq = p.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == p.size())
                throw UserError("'{}' is not TYPE=FILE (e.g. front=cover.jpg)", p);
            const std::string file = p.substr(eq + 1);
            catalog::PictureRow row;
            row.type = picture_type(p.substr(0, eq));
            row.data = slurp(file);
            row.mime = image_mime(row.data, file);
            pictures.push_back(std::move(row));
        }
    } else if (args.action == "clear") {
        for (const auto& k : args.keys) check_key(k);
    } else {
        throw UserError("unknown tag action '{}'", args.action);
    }

    {
        catalog::Transaction tx(cat.db());
        if (args.action == "set") {
            if (!edits.empty()) cat.set_user_tags(track, edits);
            if (!pictures.empty()) cat.set_user_pictures(track, pictures);
        } else {
            cat.clear_user_tags(track, args.keys);
            if (args.keys.empty()) cat.clear_user_pictures(track);
        }
        tx.commit();
    }
    wait_for_daemon(cat, catalog::CatalogReader(cat.path()).last_change());
    std::puts(describe(cat, track, ref, sources).dump(2).c_str());
    return 0;
}

}  // namespace musicfs::app
