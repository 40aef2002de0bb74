#pragma once
// An origin instance: a configured origin plugin (e.g. a local directory) behind a C++ face.
// Calls go straight to the plugin; the federation over several origins (replicas, health,
// retries) builds on this.

#include "plugin/registry.hpp"

#include <musicfs/origin.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace musicfs::origins {

// An open file on an origin; closed on destruction.
class OriginFile {
public:
    OriginFile(const mfs_origin_kind_t& kind, mfs_origin_file_t* handle)
        : kind_(kind), handle_(handle) {}
    OriginFile(const OriginFile&) = delete;
    ~OriginFile() { kind_.close(handle_); }

    // Bytes read, or a negative errno. [thread-safe]
    std::int64_t read(std::uint64_t offset, void* buf, std::uint64_t len) {
        return kind_.read(handle_, offset, buf, len);
    }

private:
    const mfs_origin_kind_t& kind_;
    mfs_origin_file_t* handle_;
};

class Origin {
public:
    using ListFn = std::function<bool(std::string_view name, const mfs_origin_stat_t& st)>;

    // Creates the instance; throws UserError naming the origin when the plugin refuses its
    // configuration.
    Origin(std::string name, const plugin::Plugin& plugin,
           const std::map<std::string, std::string>& config);
    Origin(const Origin&) = delete;
    ~Origin();

    const std::string& name() const { return name_; }
    const plugin::Plugin& plugin() const { return plugin_; }

    // Calls `fn` per entry of `dir` until it returns false. Returns 0 or a negative errno.
    int list(const std::string& dir, const ListFn& fn);
    int stat(const std::string& path, mfs_origin_stat_t& out);
    // Opens `path`; on failure returns nullptr and sets `err` to a negative errno.
    std::unique_ptr<OriginFile> open(const std::string& path, int& err);

private:
    std::string name_;
    const plugin::Plugin& plugin_;
    const mfs_origin_kind_t& kind_;
    mfs_origin_t* instance_ = nullptr;
};

// Every configured origin by name.
using OriginSet = std::map<std::string, std::unique_ptr<Origin>, std::less<>>;

}  // namespace musicfs::origins
