#pragma once
// Finds, loads and negotiates with plugins. Every `.so` in the plugin directories is opened
// with Boost.DLL, its single entry symbol called, its ABI version checked and its init run.
// A plugin that fails any step is recorded as refused, with the reason, and never used.

#include <musicfs/metadata.h>
#include <musicfs/origin.h>
#include <musicfs/plugin.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace musicfs::plugin {

class Plugin {
public:
    Plugin(std::filesystem::path path, boost::dll::shared_library lib, const mfs_plugin_t* desc);
    Plugin(const Plugin&) = delete;
    ~Plugin();

    const std::filesystem::path& path() const { return path_; }
    std::string id() const { return desc_->id ? desc_->id : ""; }
    std::string name() const { return desc_->name ? desc_->name : ""; }
    std::string version() const { return desc_->version ? desc_->version : ""; }
    std::string description() const { return desc_->description ? desc_->description : ""; }
    unsigned abi_major() const { return desc_->abi_major; }
    unsigned abi_minor() const { return desc_->abi_minor; }

    // The plugin's vtable for a kind, copied into a host-sized struct (zero past what the
    // plugin provides), or nullptr when the plugin has no such kind.
    const mfs_origin_kind_t* origin_kind() const { return origin_kind_.get(); }
    const mfs_metadata_kind_t* metadata_kind() const { return metadata_kind_.get(); }
    // "origin", "metadata", joined with ", ".
    std::string kinds() const;

    // Runs init and fetches the kinds; throws std::runtime_error with the reason on failure.
    void initialise();

private:
    std::filesystem::path path_;
    boost::dll::shared_library lib_;
    const mfs_plugin_t* desc_;
    bool initialised_ = false;
    std::unique_ptr<mfs_origin_kind_t> origin_kind_;
    std::unique_ptr<mfs_metadata_kind_t> metadata_kind_;
};

struct RefusedPlugin {
    std::filesystem::path path;
    std::string reason;
};

class Registry {
public:
    // Loads every plugin in `dirs` (missing directories are skipped). When two plugins share
    // an id, the one found first wins and the other is refused.
    explicit Registry(const std::vector<std::filesystem::path>& dirs);

    const std::vector<std::unique_ptr<Plugin>>& plugins() const { return plugins_; }
    const std::vector<RefusedPlugin>& refused() const { return refused_; }

    // The plugin providing an origin (or metadata source) called `name` in config files,
    // matched against the plugin's name or id; nullptr if none.
    const Plugin* find_origin(const std::string& name) const;
    const Plugin* find_metadata(const std::string& name) const;

private:
    void load(const std::filesystem::path& path);

    std::vector<std::unique_ptr<Plugin>> plugins_;
    std::vector<RefusedPlugin> refused_;
};

// The directory holding the standard plugins, relative to the running binary
// (<prefix>/bin/musicfs -> <prefix>/lib/musicfs/plugins; the build tree mirrors this).
std::filesystem::path default_plugin_dir();

}  // namespace musicfs::plugin
