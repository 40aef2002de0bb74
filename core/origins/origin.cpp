#include "origins/origin.hpp"

#include "plugin/host.hpp"
#include "util/error.hpp"

#include <exception>
#include <vector>

namespace musicfs::origins {

Origin::Origin(std::string name, const plugin::Plugin& plugin,
               const std::map<std::string, std::string>& config)
    : name_(std::move(name)), plugin_(plugin), kind_(*plugin.origin_kind()) {
    std::vector<mfs_config_entry_t> entries;
    for (const auto& [k, v] : config) entries.push_back({k.c_str(), v.c_str()});
    const mfs_config_t cfg{sizeof(mfs_config_t), static_cast<uint32_t>(entries.size()),
                           entries.data()};
    if (const int rc = kind_.create(plugin::host_services(), &cfg, &instance_); rc != 0 ||
                                                                              !instance_) {
        throw UserError("origin '{}' ({}) could not be set up: {} (details above)", name_,
                        plugin.name(), errno_text(rc ? rc : 5));
    }
}

Origin::~Origin() { kind_.destroy(instance_); }

int Origin::list(const std::string& dir, const ListFn& fn) {
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
    const int rc = kind_.list(instance_, dir.c_str(), trampoline, &ctx);
    if (ctx.error) std::rethrow_exception(ctx.error);
    return rc;
}

int Origin::stat(const std::string& path, mfs_origin_stat_t& out) {
    out = {};
    out.struct_size = sizeof(out);
    return kind_.stat(instance_, path.c_str(), &out);
}

std::unique_ptr<OriginFile> Origin::open(const std::string& path, int& err) {
    mfs_origin_file_t* handle = nullptr;
    err = kind_.open(instance_, path.c_str(), &handle);
    if (err != 0 || !handle) {
        if (err == 0) err = -5;  // EIO: a plugin that succeeded without a handle
        return nullptr;
    }
    return std::make_unique<OriginFile>(kind_, handle);
}

}  // namespace musicfs::origins
