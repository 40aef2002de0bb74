#include "scanner/metadata_source.hpp"

#include "plugin/host.hpp"
#include "util/error.hpp"
#include "util/utf8.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <string_view>
#include <vector>

namespace musicfs::scanner {

MetadataSource::MetadataSource(std::string name, plugin::PluginPtr plugin,
                               const std::map<std::string, std::string>& config)
    : name_(std::move(name)), plugin_(std::move(plugin)), kind_(*plugin_->metadata_kind()) {
    std::vector<mfs_config_entry_t> entries;
    for (const auto& [k, v] : config) entries.push_back({k.c_str(), v.c_str()});
    const mfs_config_t cfg{sizeof(mfs_config_t), static_cast<uint32_t>(entries.size()),
                           entries.data()};
    int rc = 0;
    try {
        rc = kind_.create(plugin::host_services(), &cfg, &instance_);
    } catch (...) {
        rc = -EIO;
        spdlog::error("metadata source '{}': plugin {} threw from create", name_, plugin_->id());
    }
    if (rc != 0 || !instance_) {
        throw UserError("metadata source '{}' could not be set up: {} (details above)", name_,
                        errno_text(rc ? rc : EIO));
    }
}

MetadataSource::~MetadataSource() {
    try {
        kind_.destroy(instance_);
    } catch (...) {
        spdlog::error("metadata source '{}': plugin {} threw from destroy", name_, plugin_->id());
    }
}

MetadataResult MetadataSource::read(const std::string& path, std::uint64_t size,
                                    origins::OriginFile& file) {
    MetadataResult result;
    // Plugins promise UTF-8, but a broken plugin must not put invalid text into the catalog.
    auto text = [](const char* s) {
        std::string_view v = s ? s : "";
        return utf8::valid(v) ? std::string(v) : utf8::repair(v);
    };
    const mfs_track_source_t source{
        sizeof(mfs_track_source_t), path.c_str(), size,
        [](void* ctx, uint64_t offset, void* buf, uint64_t len) -> int64_t {
            return static_cast<origins::OriginFile*>(ctx)->read(offset, buf, len);
        },
        &file};
    struct SinkCtx {
        MetadataResult* result;
        decltype(text)* to_text;
    } ctx{&result, &text};
    const mfs_metadata_sink_t sink{
        sizeof(mfs_metadata_sink_t), &ctx,
        [](void* c, const char* key, const char* value) {
            auto& s = *static_cast<SinkCtx*>(c);
            try {
                if (key && value && *key) s.result->tags.emplace_back((*s.to_text)(key), (*s.to_text)(value));
            } catch (...) {
                // Out of memory: drop the value rather than unwind through the plugin.
            }
        },
        [](void* c, const char* key, int64_t value) {
            auto& info = static_cast<SinkCtx*>(c)->result->info;
            const std::string_view k = key ? key : "";
            if (k == MFS_PROP_DURATION_MS) info.duration_ms = value;
            else if (k == MFS_PROP_BITRATE_KBPS) info.bitrate_kbps = value;
            else if (k == MFS_PROP_SAMPLE_RATE) info.sample_rate = value;
            else if (k == MFS_PROP_CHANNELS) info.channels = value;
            else if (k == MFS_PROP_BITS_PER_SAMPLE) info.bits_per_sample = value;
        },
        [](void* c, const char* format) {
            auto& s = *static_cast<SinkCtx*>(c);
            try {
                s.result->info.format = (*s.to_text)(format);
            } catch (...) {
            }
        }};
    char reason[512] = {};
    try {
        result.rc = kind_.read(instance_, &source, &sink, reason, sizeof reason);
    } catch (...) {
        spdlog::error("metadata source '{}': plugin {} threw an exception; it must return an "
                      "error code instead",
                      name_, plugin_->id());
        result = MetadataResult{-EIO, "the metadata plugin failed (threw an exception)", {}, {}};
        return result;
    }
    if (result.rc != 0) {
        reason[sizeof reason - 1] = '\0';
        result.reason = text(reason);
        if (result.reason.empty()) result.reason = errno_text(result.rc);
    }
    return result;
}

}  // namespace musicfs::scanner
