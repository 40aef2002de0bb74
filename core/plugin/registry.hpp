#pragma once
// Finds, loads and negotiates with plugins. Every `.so` in the plugin directories is opened
// with Boost.DLL, its single entry symbol called, its ABI version checked and its init run.
// A plugin that fails any step is recorded as refused, with the reason, and never used.
//
// Plugins are shared: every instance made from a plugin (an origin, a metadata source) holds a
// reference, so a plugin replaced by reload() stays loaded until its last instance is gone.

#include <musicfs/format.h>
#include <musicfs/metadata.h>
#include <musicfs/origin.h>
#include <musicfs/plugin.h>
#include <musicfs/template.h>

#include <boost/dll/shared_library.hpp>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace musicfs::plugin {

class Plugin {
public:
    Plugin(std::filesystem::path path, boost::dll::shared_library lib, const mfs_plugin_t* desc);
    Plugin(const Plugin&) = delete;
    // Runs deinit (once per loaded library, however often it was loaded) and unloads.
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
    const mfs_template_kind_t* template_kind() const { return template_kind_.get(); }
    const mfs_format_kind_t* format_kind() const { return format_kind_.get(); }
    // The template functions, checked (a valid name, a call callback), each copied into a
    // host-sized struct like the kind tables.
    std::vector<const mfs_template_function_t*> template_functions() const;
    // "origin", "metadata", "template", "format", joined with ", ".
    std::string kinds() const;

    // Runs init (unless this library is initialised already) and fetches the kinds; throws
    // std::runtime_error with the reason on failure.
    void initialise();

private:
    std::filesystem::path path_;
    boost::dll::shared_library lib_;
    const mfs_plugin_t* desc_;
    bool initialised_ = false;
    std::unique_ptr<mfs_origin_kind_t> origin_kind_;
    std::unique_ptr<mfs_metadata_kind_t> metadata_kind_;
    std::unique_ptr<mfs_template_kind_t> template_kind_;
    std::unique_ptr<mfs_format_kind_t> format_kind_;
    std::vector<mfs_template_function_t> template_functions_;  // filled once, by initialise()
};

using PluginPtr = std::shared_ptr<const Plugin>;

struct RefusedPlugin {
    std::filesystem::path path;
    std::string reason;
};

// What reload() did.
struct ReloadReport {
    std::vector<std::pair<PluginPtr, PluginPtr>> replaced;  // (old, new)
    std::vector<PluginPtr> added;
    std::vector<PluginPtr> removed;
};

class Registry {
public:
    // Loads every plugin in `dirs` (missing directories are skipped). When two plugins share
    // an id, the one found first wins and the other is refused.
    explicit Registry(std::vector<std::filesystem::path> dirs);

    // Loads one file; returns nullptr when it is refused (the reason is in refused()).
    PluginPtr load_file(const std::filesystem::path& path);

    std::vector<PluginPtr> plugins() const;
    std::vector<RefusedPlugin> refused() const;

    // The plugin providing an origin (or metadata source, ...) called `name` in config files,
    // matched against the plugin's name or id; nullptr if none.
    PluginPtr find_origin(const std::string& name) const;
    PluginPtr find_metadata(const std::string& name) const;
    // The format-writer plugin serving `format` ("flac", "mp3", ...); nullptr if none.
    PluginPtr find_format(const std::string& format) const;

    // Re-reads the plugin directories: a file that is new or was replaced (another inode,
    // size or mtime) is loaded, a file that is gone is dropped. Replace plugin files by
    // renaming a new file over the old one (as `install` does): writing into a loaded library
    // in place crashes the programs using it. [thread-safe]
    ReloadReport reload();

private:
    struct Entry {
        PluginPtr plugin;
        std::filesystem::file_time_type mtime;
        std::uintmax_t size = 0;
        std::uint64_t inode = 0;
    };
    PluginPtr load_locked(const std::filesystem::path& path, bool fresh);
    PluginPtr find_locked(const std::string& name, bool (*has_kind)(const Plugin&)) const;
    std::vector<std::filesystem::path> plugin_files() const;

    std::vector<std::filesystem::path> dirs_;
    mutable std::mutex mu_;  // guards entries_ and refused_
    std::vector<Entry> entries_;
    std::vector<RefusedPlugin> refused_;
};

// The directory holding the standard plugins, relative to the running binary
// (<prefix>/bin/musicfs -> <prefix>/lib/musicfs/plugins; the build tree mirrors this).
std::filesystem::path default_plugin_dir();

}  // namespace musicfs::plugin
