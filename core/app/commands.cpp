#include "app/commands.hpp"

#include "app/config.hpp"
#include "app/library.hpp"
#include "app/tag_command.hpp"
#include "overlay/overlay.hpp"
#include "plugin/host.hpp"
#include "fuse/session.hpp"
#include "util/error.hpp"
#include "util/log.hpp"
#include "util/utf8.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>

#include <unistd.h>

#ifdef MUSICFS_WITH_MIMALLOC
#include <mimalloc.h>
#endif

namespace musicfs::app {
namespace {

// "musicfs X.Y.Z", and the allocator when it is mimalloc: checked on a live allocation, so
// it also tells whether mimalloc really serves malloc in this process.
std::string version_text() {
    std::string v = "musicfs " MUSICFS_VERSION;
#ifdef MUSICFS_WITH_MIMALLOC
    const std::unique_ptr<void, decltype(&std::free)> probe(std::malloc(64), &std::free);
    if (mi_is_in_heap_region(probe.get())) {
        const int m = mi_version();  // 209 for 2.0.9
        v += fmt::format(" (allocator: mimalloc {}.{}.{})", m / 100, m / 10 % 10, m % 10);
    }
#endif
    return v;
}

// What every subcommand accepts: --config and the option table's flags.
struct CommonArgs {
    std::string config_file;
    std::map<std::string, std::string> values;        // flag values by option key
    std::map<std::string, std::vector<std::string>> lists;
    std::map<std::string, bool> flags;
    std::map<std::string, CLI::Option*> given;

    void add_to(CLI::App& cmd) {
        cmd.add_option("--config", config_file, "TOML configuration file (env: MUSICFS_CONFIG)");
        for (const auto& o : options()) {
            const std::string_view kind = o.kind;
            const std::string help = fmt::format("{} (env: {})", o.help, o.env);
            if (kind == "bool")
                given[o.key] = cmd.add_flag(o.flag, flags[o.key], help);
            else if (kind == "list")
                // One value per occurrence (repeat the flag): a list option must not swallow
                // the positional arguments after it (`--plugin-dir DIR SOURCE MOUNTPOINT`).
                given[o.key] =
                    cmd.add_option(o.flag, lists[o.key], help)->allow_extra_args(false)->take_all();
            else
                given[o.key] = cmd.add_option(o.flag, values[o.key], help);
        }
    }

    Config load() const {
        std::map<std::string, std::string> cli;
        for (const auto& [key, opt] : given) {
            if (opt->count() == 0) continue;
            if (flags.count(key)) {
                cli[key] = flags.at(key) ? "true" : "false";
            } else if (lists.count(key)) {
                std::string joined;
                for (const auto& v : lists.at(key)) joined += (joined.empty() ? "" : "\n") + v;
                cli[key] = joined;
            } else {
                cli[key] = values.at(key);
            }
        }
        std::optional<std::string> file;
        if (!config_file.empty())
            file = config_file;
        else if (const char* env = std::getenv("MUSICFS_CONFIG"); env && *env)
            file = env;
        if (file && !std::filesystem::is_regular_file(*file))
            throw UserError("config file {} does not exist or is not a file", *file);
        return Config::load(file, cli);
    }
};

void init_logging(const Config& config, const std::string& file = {}) {
    spdlog::level::level_enum level{};
    if (!log::parse_level(config.string("log_level"), level))
        throw UserError("log level '{}' is not one of trace, debug, info, warn, error, off",
                        config.string("log_level"));
    const std::string path = config.string("log_file").empty() ? file : config.string("log_file");
    if (path.empty())
        log::init_stderr(level);
    else
        log::init_file(path, level);
}

// A source directory on the command line becomes the one origin, replacing the file's.
void use_source_dir(Config& config, const std::string& dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        throw UserError("source directory {} does not exist or is not a directory", dir);
    config.origins().clear();
    config.origins().push_back(
        {"local", "local", {{"root", std::filesystem::absolute(dir).lexically_normal().string()}}});
}

void print_report(const Library& lib, const std::string& catalog_path,
                  const scanner::ScanReport& r, bool json) {
    const auto read = r.added + r.changed;
    const double rate = r.seconds > 0 ? static_cast<double>(read) / r.seconds : 0;
    if (json) {
        nlohmann::json unreadable = nlohmann::json::array();
        for (const auto& u : r.unreadable)
            unreadable.push_back({{"origin", u.origin}, {"path", utf8::repair(u.path)},
                                  {"reason", u.reason}});
        const nlohmann::json out = {
            {"library", lib.name()},     {"catalog", catalog_path},   {"files", r.files},
            {"new", r.added},            {"changed", r.changed},      {"unchanged", r.unchanged},
            {"removed", r.removed},      {"unreadable", unreadable},  {"seconds", r.seconds},
            {"files_per_second", rate},  {"failed_origins", r.failed_origins},
            {"tree",
             {{"rebuilt", r.tree.rebuilt},
              {"kept", r.tree.kept},
              {"added", r.tree.added},
              {"removed", r.tree.removed}}}};
        std::puts(out.dump(2).c_str());
        return;
    }
    fmt::print("Library {} (catalog {})\n", lib.name(), catalog_path);
    fmt::print("Scanned {} audio files in {:.2f} s: {} new, {} changed, {} unchanged, {} removed; "
               "{} read at {:.0f} files/s\n",
               r.files, r.seconds, r.added, r.changed, r.unchanged, r.removed, read, rate);
    for (const auto& o : r.failed_origins)
        fmt::print("Origin {} could not be scanned (see the log); its files are unchanged.\n", o);
    if (!r.unreadable.empty()) {
        fmt::print("{} unreadable files (not in the tree):\n", r.unreadable.size());
        for (const auto& u : r.unreadable)
            fmt::print("  {}: {}: {}\n", u.origin, utf8::repair(u.path), u.reason);
    }
}

int cmd_scan(const CommonArgs& common, const std::string& source, bool json) {
    Config config = common.load();
    if (!source.empty()) use_source_dir(config, source);
    init_logging(config);
    Library lib(config);
    const auto report = lib.scan(config.count("scan.threads"));
    print_report(lib, lib.catalog().path(), report, json);
    return 0;
}

int cmd_mount(const CommonArgs& common, const std::vector<std::string>& paths, bool daemon) {
    Config config = common.load();
    const std::string mountpoint = paths.back();
    if (paths.size() == 2) use_source_dir(config, paths.front());
    init_logging(config);
    const std::string scan_mode = config.string("scan.on_mount");
    if (scan_mode != "auto" && scan_mode != "always" && scan_mode != "never")
        throw UserError("scan.on_mount must be auto, always or never, not '{}'", scan_mode);
    fuse::check_mountpoint(mountpoint);

    Library lib(config);
    if (scan_mode == "always" || (scan_mode == "auto" && lib.needs_first_scan())) {
        const auto r = lib.scan(config.count("scan.threads"));
        spdlog::info("scan: {} audio files, {} new, {} changed, {} removed, {} unreadable in "
                     "{:.2f} s",
                     r.files, r.added, r.changed, r.removed, r.unreadable.size(), r.seconds);
    } else if (lib.refresh_tree()) {
        spdlog::info("the template, the metadata sources or edited tags changed: tree rebuilt");
    }

    // Edited tracks are served through the format writers, with the user's tags first.
    overlay::Overlay overlay(lib.format_writers(), lib.precedence());
    if (!overlay.has_writers())
        spdlog::warn("no format-writer plugin was found: edited tracks are served unedited");
    fuse::FsOptions fs_options;
    fs_options.entry_timeout = config.number("fuse.entry_timeout");
    fs_options.attr_timeout = config.number("fuse.attr_timeout");
    fs_options.sources = lib.precedence();
    fuse::Filesystem fs(lib.catalog().path(), lib.origins(), fs_options, &overlay);

    fuse::MountOptions mount;
    mount.mountpoint = std::filesystem::absolute(mountpoint).lexically_normal().string();
    mount.allow_other = config.boolean("fuse.allow_other");
    mount.max_threads = std::max(1u, config.count("fuse.max_threads"));
    mount.readahead_kb = config.count("fuse.readahead_kb");
    mount.daemonize = daemon;
    if (daemon)
        mount.on_ready = [&] {
            init_logging(config, lib.dir() + "/musicfs.log");
            lib.close_catalog();  // reopened by on_serving, in the detached process
        };
    // A reload may replace format writers: edited tracks are then served anew, and what the
    // kernel cached of them is dropped (through the change journal, on the invalidator's
    // thread, which owns the catalog's writer).
    std::atomic<bool> writers_replaced{false};
    mount.on_reload = [&] {
        lib.reload_plugins();
        if (overlay.set_writers(lib.format_writers())) writers_replaced = true;
    };
    // `musicfs tag set` finds the daemon serving this catalog by its pid file, and waits until
    // the daemon has applied the edit (applied_change) so that the next open sees it.
    const std::string pid_file = lib.dir() + "/daemon.pid";
    mount.on_serving = [&] {
        std::ofstream out(pid_file, std::ios::trunc);
        out << ::getpid() << '\n';
        if (!out)
            spdlog::warn("cannot write {}: `musicfs tag set` will not wait for edits", pid_file);
    };
    // The invalidator's thread is the only user of the catalog's writer while mounted.
    mount.on_poll = [&] {
        if (!lib.catalog_open()) lib.reopen_catalog();
        if (writers_replaced.exchange(false)) lib.catalog().journal_edited_tracks();
        if (lib.refresh_tree()) spdlog::info("an edit or a scan changed paths: tree updated");
    };
    mount.on_applied = [&](std::int64_t seq) {
        if (lib.catalog_open()) lib.catalog().set_meta_int("applied_change", seq);
    };
    struct PidFileRemover {
        const std::string& path;
        ~PidFileRemover() {
            // Only our own: another daemon may have taken over the library since.
            std::ifstream in(path);
            long pid = 0;
            if (in >> pid && pid == static_cast<long>(::getpid())) std::remove(path.c_str());
        }
    } remover{pid_file};
    spdlog::info("serving library {} from {}", lib.name(), lib.catalog().path());
    fuse::serve(fs, mount);
    return 0;
}

int cmd_plugins(const CommonArgs& common) {
    const Config config = common.load();
    init_logging(config);
    plugin::set_plugin_options(config.plugin_options());
    const plugin::Registry registry(plugin_dirs(config));
    const auto plugins = registry.plugins();
    const auto refused = registry.refused();
    if (plugins.empty() && refused.empty()) {
        fmt::print("No plugins found in:\n");
        for (const auto& d : plugin_dirs(config)) fmt::print("  {}\n", d.string());
        return 0;
    }
    fmt::print("{:<12} {:<30} {:<9} {:<18} {:<5} {}\n", "NAME", "ID", "VERSION", "KINDS", "ABI",
               "PATH");
    for (const auto& p : plugins) {
        fmt::print("{:<12} {:<30} {:<9} {:<18} {:<5} {}\n", p->name(), p->id(), p->version(),
                   p->kinds(), fmt::format("{}.{}", p->abi_major(), p->abi_minor()),
                   p->path().string());
        for (const auto* f : p->template_functions())
            fmt::print("{:<12} %{}{{}}: {}\n", "", f->name, f->description ? f->description : "");
    }
    for (const auto& r : refused) fmt::print("REFUSED {}: {}\n", r.path.string(), r.reason);
    return 0;
}

}  // namespace

int run(int argc, char** argv) {
    CLI::App app{"MusicFS: your music library, mounted as a tree organised by its tags.",
                 "musicfs"};
    app.set_version_flag("--version", version_text);
    app.require_subcommand(1);
    app.footer("Every option can also be set in the config file or by its MUSICFS_* variable;\n"
               "precedence: command line > environment > config file > defaults.");

    CommonArgs mount_args, scan_args, plugins_args;

    auto* mount = app.add_subcommand(
        "mount", "Mount a library; stays in the foreground until unmounted or interrupted");
    std::vector<std::string> mount_paths;
    bool daemon = false;
    mount->add_option("paths", mount_paths, "[SOURCE_DIR] MOUNTPOINT")
        ->required()
        ->expected(1, 2);
    mount->add_flag("--daemon", daemon, "Detach once the mount is ready");
    mount_args.add_to(*mount);

    auto* scan = app.add_subcommand("scan", "Update the catalog without mounting");
    std::string scan_source;
    bool json = false;
    scan->add_option("SOURCE_DIR", scan_source, "Music directory (instead of [[origin]] tables)");
    scan->add_flag("--json", json, "Print the summary as JSON");
    scan_args.add_to(*scan);

    auto* plugins = app.add_subcommand("plugins", "List the plugins found and why any was refused");
    plugins_args.add_to(*plugins);

    auto* tag = app.add_subcommand(
        "tag", "Edit the tags MusicFS serves for a track (the original file is never written)");
    tag->require_subcommand(1);
    tag->footer(
        "FILE is a file in a mounted tree, or an original file of a scanned library (give\n"
        "--state-dir / --library when they are not the defaults). The user's edits rank above\n"
        "every metadata source; edited files are served with the new tags through the format\n"
        "writers, the audio untouched. A running daemon applies an edit before `tag set` and\n"
        "`tag clear` return, so the next open sees it; otherwise the next mount does.");
    TagArgs tag_args;
    CommonArgs tag_get_args, tag_set_args, tag_clear_args;
    auto* tag_get = tag->add_subcommand(
        "get", "Print the track's effective tags as JSON, each with the source it comes from");
    tag_get->add_option("FILE", tag_args.file, "A track (mounted or original)")->required();
    tag_get_args.add_to(*tag_get);
    auto* tag_set = tag->add_subcommand(
        "set", "Set tags (KEY=VALUE; a repeated KEY gives several values; KEY= removes the tag) "
               "and pictures");
    tag_set->add_option("FILE", tag_args.file, "A track (mounted or original)")->required();
    tag_set->add_option("KEY=VALUE", tag_args.assignments,
                        "Picard tag names in lower case: title=..., artist=..., genre=Jazz "
                        "genre=Blues");
    tag_set->add_option("--picture", tag_args.pictures,
                        "TYPE=FILE, e.g. front=cover.jpg (JPEG, PNG, GIF or WebP; types: front, "
                        "back, other, media, artist, leaflet, ...); repeatable; replaces the "
                        "file's pictures")
        ->allow_extra_args(false)
        ->take_all();
    tag_set_args.add_to(*tag_set);
    auto* tag_clear = tag->add_subcommand(
        "clear", "Revert tags to the file's own values (no KEY: every tag and picture)");
    tag_clear->add_option("FILE", tag_args.file, "A track (mounted or original)")->required();
    tag_clear->add_option("KEY", tag_args.keys, "Tags to revert");
    tag_clear_args.add_to(*tag_clear);

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        std::fprintf(stderr, "musicfs: %s (see musicfs --help)\n", e.what());
        return 2;
    }

    try {
        if (*mount) return cmd_mount(mount_args, mount_paths, daemon);
        if (*scan) return cmd_scan(scan_args, scan_source, json);
        if (*tag) {
            const CommonArgs& common = *tag_get ? tag_get_args : *tag_set ? tag_set_args
                                                                           : tag_clear_args;
            tag_args.action = *tag_get ? "get" : *tag_set ? "set" : "clear";
            const Config config = common.load();
            init_logging(config);
            return run_tag(config, tag_args);
        }
        return cmd_plugins(plugins_args);
    } catch (const UserError& e) {
        std::fprintf(stderr, "musicfs: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "musicfs: internal error: %s\n", e.what());
        return 1;
    }
}

}  // namespace musicfs::app
