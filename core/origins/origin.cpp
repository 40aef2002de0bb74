#include "origins/origin.hpp"

#include "plugin/host.hpp"
#include "util/error.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <exception>

namespace musicfs::origins {

OriginFile::~OriginFile() {
    try {
        origin_->kind_.close(handle_);
    } catch (...) {
        origin_->plugin_threw("close");
    }
}

std::int64_t OriginFile::read(std::uint64_t offset, void* buf, std::uint64_t len) {
    try {
        return origin_->kind_.read(handle_, offset, buf, len);
    } catch (...) {
        origin_->plugin_threw("read");
        return -EIO;
    }
}

Origin::Origin(std::string name, plugin::PluginPtr plugin,
               std::map<std::string, std::string> config)
    : name_(std::move(name)),
      plugin_(std::move(plugin)),
      config_(std::move(config)),
      kind_(*plugin_->origin_kind()) {
    std::vector<mfs_config_entry_t> entries;
    for (const auto& [k, v] : config_) entries.push_back({k.c_str(), v.c_str()});
    const mfs_config_t cfg{sizeof(mfs_config_t), static_cast<uint32_t>(entries.size()),
                           entries.data()};
    int rc = 0;
    try {
        rc = kind_.create(plugin::host_services(), &cfg, &instance_);
    } catch (...) {
        plugin_threw("create");
        rc = -EIO;
    }
    if (rc != 0 || !instance_) {
        throw UserError("origin '{}' ({}) could not be set up: {} (details above)", name_,
                        plugin_->id(), errno_text(rc ? rc : EIO));
    }
}

Origin::~Origin() {
    try {
        kind_.destroy(instance_);
    } catch (...) {
        plugin_threw("destroy");
    }
}

void Origin::plugin_threw(const char* call) const {
    spdlog::error("origin '{}': plugin {} threw an exception from {}; it must return an error "
                  "code instead",
                  name_, plugin_->id(), call);
}

int Origin::list(const std::string& dir, const ListFn& fn) const {
    struct Context {
        const ListFn* fn;
        std::exception_ptr error;
    } ctx{&fn, nullptr};
    auto trampoline = [](void* c, const char* name, const mfs_origin_stat_t* st) -> int32_t {
        auto& context = *static_cast<Context*>(c);
        try {
            return (*context.fn)(name, *st) ? 0 : 1;
        } catch (...) {
            // Never unwind through the plugin's frames: stop the listing, rethrow below.
            context.error = std::current_exception();
            return 1;
        }
    };
    int rc = 0;
    try {
        rc = kind_.list(instance_, dir.c_str(), trampoline, &ctx);
    } catch (...) {
        plugin_threw("list");
        rc = -EIO;
    }
    if (ctx.error) std::rethrow_exception(ctx.error);
    return rc;
}

int Origin::stat(const std::string& path, mfs_origin_stat_t& out) const {
    out = {};
    out.struct_size = sizeof(out);
    try {
        return kind_.stat(instance_, path.c_str(), &out);
    } catch (...) {
        plugin_threw("stat");
        return -EIO;
    }
}

std::unique_ptr<OriginFile> Origin::open(const std::string& path, int& err) const {
    mfs_origin_file_t* handle = nullptr;
    try {
        err = kind_.open(instance_, path.c_str(), &handle);
    } catch (...) {
        plugin_threw("open");
        err = -EIO;
    }
    if (err != 0 || !handle) {
        if (err == 0) err = -EIO;  // a plugin that succeeded without a handle
        return nullptr;
    }
    return std::make_unique<OriginFile>(shared_from_this(), handle);
}

OriginPtr OriginSet::find(std::string_view name) const {
    std::lock_guard lock(mu_);
    const auto it = origins_.find(name);
    return it == origins_.end() ? nullptr : it->second;
}

std::vector<OriginPtr> OriginSet::all() const {
    std::lock_guard lock(mu_);
    std::vector<OriginPtr> out;
    for (const auto& [name, o] : origins_) out.push_back(o);
    return out;
}

void OriginSet::put(OriginPtr origin) {
    std::lock_guard lock(mu_);
    origins_[origin->name()] = std::move(origin);
}

bool OriginSet::empty() const {
    std::lock_guard lock(mu_);
    return origins_.empty();
}

}  // namespace musicfs::origins
