#pragma once
// An origin instance: a configured origin plugin (e.g. a local directory) behind a C++ face.
// Calls go straight to the plugin; the federation over several origins (replicas, health,
// retries) builds on this. A plugin that throws across the C boundary (it should not) is
// caught here, logged with its id, and answered with EIO.

#include "plugin/registry.hpp"

#include <musicfs/origin.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace musicfs::origins {

class Origin;

// An open file on an origin; closed on destruction. Keeps its origin instance (and so the
// plugin) alive while open, even across a plugin reload.
class OriginFile {
public:
    OriginFile(std::shared_ptr<const Origin> origin, mfs_origin_file_t* handle)
        : origin_(std::move(origin)), handle_(handle) {}
    OriginFile(const OriginFile&) = delete;
    ~OriginFile();

    // Bytes read, or a negative errno. [thread-safe]
    std::int64_t read(std::uint64_t offset, void* buf, std::uint64_t len);

private:
    std::shared_ptr<const Origin> origin_;
    mfs_origin_file_t* handle_;
};

class Origin : public std::enable_shared_from_this<Origin> {
public:
    using ListFn = std::function<bool(std::string_view name, const mfs_origin_stat_t& st)>;

    // Creates the instance; throws UserError naming the origin when the plugin refuses its
    // configuration.
    Origin(std::string name, plugin::PluginPtr plugin, std::map<std::string, std::string> config);
    Origin(const Origin&) = delete;
    ~Origin();

    const std::string& name() const { return name_; }
    const plugin::Plugin& plugin() const { return *plugin_; }
    const std::map<std::string, std::string>& config() const { return config_; }

    // Calls `fn` per entry of `dir` until it returns false. Returns 0 or a negative errno.
    int list(const std::string& dir, const ListFn& fn) const;
    int stat(const std::string& path, mfs_origin_stat_t& out) const;
    // Opens `path`; on failure returns nullptr and sets `err` to a negative errno.
    std::unique_ptr<OriginFile> open(const std::string& path, int& err) const;

private:
    friend class OriginFile;
    void plugin_threw(const char* call) const;

    std::string name_;
    plugin::PluginPtr plugin_;
    std::map<std::string, std::string> config_;
    const mfs_origin_kind_t& kind_;
    mfs_origin_t* instance_ = nullptr;
};

using OriginPtr = std::shared_ptr<const Origin>;

// The configured origins by name. Entries can be replaced while requests run (a plugin
// reload); a request keeps the instance it looked up. [thread-safe]
class OriginSet {
public:
    OriginPtr find(std::string_view name) const;
    std::vector<OriginPtr> all() const;
    void put(OriginPtr origin);
    bool empty() const;

private:
    mutable std::mutex mu_;  // guards origins_
    std::map<std::string, OriginPtr, std::less<>> origins_;
};

}  // namespace musicfs::origins
