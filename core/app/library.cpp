#include "app/library.hpp"

#include "plugin/host.hpp"
#include "vfs/plugin_functions.hpp"
#include "vfs/tree_builder.hpp"

#include "util/error.hpp"

#include <algorithm>

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

namespace {

// The template functions of every template plugin, in plugin order (the first provider of a
// name wins; the registry lists the user's plugin directories before the standard one).
std::vector<vfs::TemplateFunction> template_functions(const plugin::Registry& registry) {
    std::vector<vfs::TemplateFunction> out;
    for (const auto& p : registry.plugins())
        for (const auto* f : p->template_functions())
            out.push_back(vfs::adopt_template_function(f, p->id() + " " + p->version(), p));
    return out;
}

}  // namespace

Library::Library(const Config& config) : config_(config) {
    if (config.origins().empty())
        throw UserError("no music to serve: give a source directory or [[origin]] tables in a "
                        "config file");
    plugin::set_plugin_options(config.plugin_options());
    registry_ = std::make_unique<plugin::Registry>(plugin_dirs(config));
    for (const auto& oc : config.origins()) set_up_origin(oc);
    if (origins_.empty())
        throw UserError("none of the configured origins could be set up (see the log above)");
    for (const auto& name : config.list("metadata.sources")) set_up_source(name);
    layout_ = std::make_unique<vfs::TreeLayout>(config.layout(), template_functions(*registry_));
    for (const auto& f : layout_->unknown_functions())
        spdlog::warn("no template plugin provides %{}{{}}: its calls stay as written in paths "
                     "(see `musicfs plugins`)",
                     f);

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

void Library::reopen_catalog() {
    try {
        catalog_ = std::make_unique<catalog::Catalog>(dir_ + "/catalog.sqlite3");
    } catch (const catalog::DatabaseError& e) {
        throw UserError("{}", e.what());
    }
}

void Library::set_up_origin(const OriginConfig& oc) {
    const auto plugin = registry_->find_origin(oc.type);
    if (!plugin) {
        spdlog::error("origin '{}': no usable origin plugin of type '{}' (see `musicfs plugins`); "
                      "its files are not served",
                      oc.name, oc.type);
        return;
    }
    try {
        origins_.put(std::make_shared<origins::Origin>(oc.name, plugin, oc.options));
    } catch (const UserError& e) {
        spdlog::error("{}; its files are not served", e.what());
    }
}

void Library::set_up_source(const std::string& name) {
    const auto plugin = registry_->find_metadata(name);
    if (!plugin) {
        spdlog::error("metadata source '{}': no usable metadata plugin of that name (see "
                      "`musicfs plugins`)",
                      name);
        return;
    }
    try {
        auto source = std::make_unique<scanner::MetadataSource>(plugin->name(), plugin,
                                                                config_.source_options(name));
        std::lock_guard lock(sources_mu_);
        // Keep the configured precedence: replace in place, or append.
        for (auto& s : sources_)
            if (s->name() == source->name()) return void(s = std::move(source));
        sources_.push_back(std::move(source));
    } catch (const UserError& e) {
        spdlog::error("{}", e.what());
    }
}

void Library::reload_plugins() {
    plugin::set_plugin_options(config_.plugin_options());
    const auto report = registry_->reload();
    auto replaced = [&](const plugin::Plugin& p) {
        return std::any_of(report.replaced.begin(), report.replaced.end(),
                           [&](const auto& r) { return r.first.get() == &p; }) ||
               std::any_of(report.removed.begin(), report.removed.end(),
                           [&](const auto& r) { return r.get() == &p; });
    };
    for (const auto& oc : config_.origins()) {
        const auto current = origins_.find(oc.name);
        if (!current || replaced(current->plugin())) set_up_origin(oc);
    }
    std::vector<std::string> names = config_.list("metadata.sources");
    for (const auto& name : names) {
        bool present = false, stale = false;
        {
            std::lock_guard lock(sources_mu_);
            for (const auto& s : sources_)
                if (s->name() == name || s->plugin().id() == name) {
                    present = true;
                    stale = replaced(s->plugin());
                }
        }
        if (!present || stale) set_up_source(name);
    }
}

std::vector<std::string> Library::source_names() const {
    std::lock_guard lock(sources_mu_);
    std::vector<std::string> names;
    for (const auto& s : sources_) names.push_back(s->name());
    return names;
}

bool Library::needs_first_scan() {
    for (const auto& origin : origins_.all())
        if (!catalog_->origin_scanned(origin->name())) return true;
    return false;
}

std::vector<std::string> Library::precedence() const {
    return catalog::with_user_first(source_names());
}

std::vector<std::shared_ptr<const overlay::FormatWriter>> Library::format_writers() const {
    std::vector<std::shared_ptr<const overlay::FormatWriter>> out;
    for (const auto& p : registry_->plugins()) {
        if (!p->format_kind()) continue;
        try {
            out.push_back(
                std::make_shared<overlay::FormatWriter>(p, config_.format_options(p->name())));
        } catch (const UserError& e) {
            spdlog::error("{}; edited {} files are served unedited", e.what(), p->name());
        }
    }
    return out;
}

bool Library::refresh_tree() {
    const auto sources = precedence();
    if (vfs::tree_current(*catalog_, *layout_, sources)) return false;
    // An edit's rebuild takes seconds in a big library (10 s at 10^6 tracks): `musicfs tag set`
    // keeps waiting while it runs, and no longer once it failed.
    catalog_->note_rebuild_start();
    try {
        vfs::rebuild_tree(*catalog_, *layout_, sources);
    } catch (...) {
        try {
            catalog_->withdraw_rebuild_notice();
        } catch (const std::exception& e) {
            spdlog::debug("cannot withdraw the rebuild notice: {}", e.what());
        }
        throw;
    }
    return true;
}

scanner::ScanReport Library::scan(unsigned threads) {
    scanner::ScanReport report;
    {
        std::lock_guard lock(sources_mu_);
        scanner::Scanner s(*catalog_, origins_, sources_, *layout_, {threads});
        report = s.run();
    }
    return report;
}

}  // namespace musicfs::app
