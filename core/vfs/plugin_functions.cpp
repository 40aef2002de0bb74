#include "vfs/plugin_functions.hpp"

#include "util/error.hpp"

#include <spdlog/spdlog.h>

#include <cstring>
#include <mutex>
#include <set>

namespace musicfs::vfs {
namespace {

// mfs_template_call_t::field: the field as templates see it. [per-handle]
int64_t field_trampoline(void* ctx, const char* name, char* buf, size_t size) noexcept {
    try {
        if (!ctx || !name) return -EINVAL;
        const auto value = static_cast<const TrackFields*>(ctx)->formatted(name);
        if (!value) return -ENOENT;
        if (buf && size > 0) {
            const std::size_t n = std::min(value->size(), size - 1);
            std::memcpy(buf, value->data(), n);
            buf[n] = '\0';
        }
        return static_cast<int64_t>(value->size());
    } catch (...) {
        return -EIO;
    }
}

// Warns once per function and error; every failure is logged at debug level.
void report(const std::string& function, const std::string& provider, std::int64_t rc) {
    static std::mutex mu;
    static std::set<std::pair<std::string, std::int64_t>> warned;
    bool first = false;
    {
        std::lock_guard lock(mu);
        first = warned.emplace(function, rc).second;
    }
    const std::string why = errno_text(static_cast<int>(rc));
    if (first)
        spdlog::warn("template function %{}{{}} ({}) failed: {}; such calls stay as written "
                     "(further failures are logged at debug level)",
                     function, provider, why);
    else
        spdlog::debug("template function %{}{{}} ({}) failed: {}", function, provider, why);
}

}  // namespace

TemplateFunction adopt_template_function(const mfs_template_function_t* function,
                                         std::string provider,
                                         std::shared_ptr<const void> keep_alive) {
    TemplateFunction out;
    out.name = function->name;
    out.provider = provider;
    out.min_args = function->min_args;
    out.max_args = function->max_args;
    out.args_only = (function->flags & MFS_TEMPLATE_ARGS_ONLY) != 0;
    out.call = [function, provider = std::move(provider), keep_alive = std::move(keep_alive)](
                   std::span<const std::string> args,
                   const TrackFields& track) -> std::optional<std::string> {
        std::vector<const char*> argv;
        argv.reserve(args.size());
        for (const auto& a : args) argv.push_back(a.c_str());
        std::vector<mfs_tag_t> tags;
        tags.reserve(track.track().tags.size());
        for (const auto& [k, v] : track.track().tags) tags.push_back({k.c_str(), v.c_str()});
        const mfs_tag_list_t tag_list{sizeof(mfs_tag_list_t), static_cast<uint32_t>(tags.size()),
                                      tags.data()};
        mfs_template_call_t call{};
        call.struct_size = sizeof(mfs_template_call_t);
        call.argc = static_cast<uint32_t>(argv.size());
        call.argv = argv.data();
        call.tags = &tag_list;
        call.field = &field_trampoline;
        call.ctx = const_cast<TrackFields*>(&track);
        std::string result(256, '\0');
        for (int attempt = 0; attempt < 3; ++attempt) {
            std::int64_t n = 0;
            try {
                n = function->call(&call, result.data(), result.size());
            } catch (...) {
                n = -EIO;  // a C function cannot throw; a broken plugin still must not kill us
            }
            if (n < 0) {
                report(function->name, provider, n);
                return std::nullopt;
            }
            if (static_cast<std::size_t>(n) < result.size()) {
                result.resize(static_cast<std::size_t>(n));
                return result;
            }
            result.assign(static_cast<std::size_t>(n) + 1, '\0');
        }
        report(function->name, provider, -EMSGSIZE);
        return std::nullopt;
    };
    return out;
}

}  // namespace musicfs::vfs
