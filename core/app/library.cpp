#include "app/library.hpp"

#include "util/error.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

namespace musicfs::app {
namespace {

// FNV-1a: a stable, short fingerprint for default library names.
std::uint32_t fingerprint(std::string_view s) {
    std::uint32_t h = 2166136261u;
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 16777619u;
    }
    return h;
}

// A default name that tells libraries apart: "<last folder>-<hash of the origins>".
std::string default_library_name(const std::vector<OriginConfig>& origins) {
    std::string all;
    std::string base = "library";
    for (const auto& o : origins) {
        all += o.name + '\0' + o.type + '\0';
        for (const auto& [k, v] : o.options) all += k + '=' + v + '\0';
    }
    if (const auto& first = origins.front(); first.options.count("root")) {
        const auto leaf = std::filesystem::path(first.options.at("root")).filename().string();
        if (!leaf.empty()) base = leaf;
    }
    std::string slug;
    for (const char c : base)
        slug += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return fmt::format("{}-{:08x}", slug, fingerprint(all));
}

}  // namespace

std::vector<std::filesystem::path> plugin_dirs(const Config& config) {
    std::vector<std::filesystem::path> dirs;
    for (const auto& d : config.list("plugins.path")) dirs.emplace_back(d);
    dirs.push_back(plugin::default_plugin_dir());
    return dirs;
}

Library::Library(const Config& config)
    : registry_(plugin_dirs(config)), template_(config.string("template")) {
    if (config.origins().empty())
        throw UserError("no music to serve: give a source directory or [[origin]] tables in a "
                        "config file");
    for (const auto& oc : config.origins()) {
        const auto* plugin = registry_.find_origin(oc.type);
        if (!plugin)
            throw UserError("origin '{}': no origin plugin of type '{}' (see `musicfs plugins`)",
                            oc.name, oc.type);
        origins_.emplace(oc.name, std::make_unique<origins::Origin>(oc.name, *plugin, oc.options));
    }
    for (const auto& name : config.list("metadata.sources")) {
        const auto* plugin = registry_.find_metadata(name);
        if (!plugin)
            throw UserError("metadata source '{}': no metadata plugin of that name (see `musicfs "
                            "plugins`)",
                            name);
        sources_.push_back(std::make_unique<scanner::MetadataSource>(
            plugin->name(), *plugin, config.source_options(name)));
    }

    name_ = config.is_set("library.name") ? config.string("library.name")
                                          : default_library_name(config.origins());
    if (name_.empty() || name_.find('/') != std::string::npos || name_[0] == '.')
        throw UserError("library name '{}' must be non-empty, without '/' or a leading '.'",
                        name_);
    const std::string state =
        config.is_set("state_dir") ? config.string("state_dir") : default_state_dir();
    dir_ = std::filesystem::absolute(std::filesystem::path(state) / name_).string();
    try {
        std::filesystem::create_directories(dir_);
    } catch (const std::filesystem::filesystem_error& e) {
        throw UserError("state directory {}: {}", dir_, e.code().message());
    }
    try {
        catalog_ = std::make_unique<catalog::Catalog>(dir_ + "/catalog.sqlite3");
    } catch (const catalog::DatabaseError& e) {
        throw UserError("{}", e.what());
    }
}

std::vector<std::string> Library::source_names() const {
    std::vector<std::string> names;
    for (const auto& s : sources_) names.push_back(s->name());
    return names;
}

bool Library::needs_first_scan() {
    for (const auto& [name, origin] : origins_)
        if (!catalog_->origin_scanned(name)) return true;
    return false;
}

bool Library::refresh_tree() {
    if (catalog_->tree_signature() == vfs::tree_signature(template_, source_names())) return false;
    vfs::rebuild_tree(*catalog_, template_, source_names());
    return true;
}

scanner::ScanReport Library::scan(unsigned threads) {
    scanner::Scanner s(*catalog_, origins_, sources_, template_, {threads});
    return s.run();
}

}  // namespace musicfs::app
