#include "overlay/format_writer.hpp"

#include "plugin/host.hpp"
#include "util/error.hpp"
#include "util/utf8.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdio>

namespace musicfs::overlay {

FormatWriter::FormatWriter(plugin::PluginPtr plugin,
                           const std::map<std::string, std::string>& config)
    : plugin_(std::move(plugin)), kind_(*plugin_->format_kind()) {
    std::vector<mfs_config_entry_t> entries;
    for (const auto& [k, v] : config) entries.push_back({k.c_str(), v.c_str()});
    const mfs_config_t cfg{sizeof(mfs_config_t), static_cast<uint32_t>(entries.size()),
                           entries.data()};
    int rc = 0;
    try {
        rc = kind_.create(plugin::host_services(), &cfg, &instance_);
    } catch (...) {
        rc = -EIO;
    }
    if (rc != 0 || !instance_)
        throw UserError("format writer {} could not be set up: {} (details above)", plugin_->id(),
                        errno_text(rc ? rc : EIO));
}

FormatWriter::~FormatWriter() {
    try {
        kind_.destroy(instance_);
    } catch (...) {
        spdlog::error("format writer {} threw from destroy", plugin_->id());
    }
}

std::vector<std::string> FormatWriter::formats() const {
    std::vector<std::string> out;
    for (const char* const* f = kind_.formats; f && *f; ++f) out.emplace_back(*f);
    return out;
}

LayoutResult FormatWriter::layout(const std::string& path, std::uint64_t size, const ReadFn& read,
                                  const catalog::TagList& tags,
                                  const std::vector<Picture>* pictures) const {
    LayoutResult result;
    auto layout = std::make_shared<Layout>();

    const mfs_track_source_t source{
        sizeof(mfs_track_source_t), path.c_str(), size,
        [](void* ctx, uint64_t offset, void* buf, uint64_t len) -> int64_t {
            return (*static_cast<const ReadFn*>(ctx))(offset, buf, len);
        },
        const_cast<ReadFn*>(&read)};

    std::vector<mfs_tag_t> tag_array;
    tag_array.reserve(tags.size());
    for (const auto& [k, v] : tags) tag_array.push_back({k.c_str(), v.c_str()});
    const mfs_tag_list_t tag_list{sizeof(mfs_tag_list_t), static_cast<uint32_t>(tag_array.size()),
                                  tag_array.data()};

    std::vector<mfs_picture_t> picture_structs;
    std::vector<const mfs_picture_t*> picture_ptrs;
    mfs_picture_list_t picture_list{sizeof(mfs_picture_list_t), 0, nullptr};
    if (pictures) {
        picture_structs.reserve(pictures->size());
        for (const auto& p : *pictures)
            picture_structs.push_back({sizeof(mfs_picture_t), p.type, p.mime.c_str(),
                                       p.description.c_str(), p.width, p.height,
                                       reinterpret_cast<const uint8_t*>(p.data.data()),
                                       p.data.size()});
        for (const auto& p : picture_structs) picture_ptrs.push_back(&p);
        picture_list.count = static_cast<uint32_t>(picture_ptrs.size());
        picture_list.pictures = picture_ptrs.data();
    }

    const mfs_layout_sink_t sink{
        sizeof(mfs_layout_sink_t), layout.get(),
        [](void* ctx, const uint8_t* data, uint64_t len) -> int32_t {
            try {
                static_cast<Layout*>(ctx)->add_literal(data, len);
                return 0;
            } catch (...) {
                return -ENOMEM;
            }
        },
        [](void* ctx, uint64_t offset, uint64_t len) -> int32_t {
            try {
                static_cast<Layout*>(ctx)->add_original(offset, len);
                return 0;
            } catch (...) {
                return -ENOMEM;
            }
        },
        [](void* ctx, uint64_t offset, uint64_t len, uint64_t arg) -> int32_t {
            try {
                static_cast<Layout*>(ctx)->add_transformed(offset, len, arg);
                return 0;
            } catch (...) {
                return -ENOMEM;
            }
        }};

    char reason[512] = {};
    try {
        result.rc = kind_.layout(instance_, &source, &tag_list, pictures ? &picture_list : nullptr,
                                 &sink, reason, sizeof reason);
    } catch (...) {
        spdlog::error("format writer {} threw an exception; it must return an error code",
                      plugin_->id());
        result.rc = -EIO;
        std::snprintf(reason, sizeof reason, "the format writer failed (threw an exception)");
    }
    if (result.rc != 0) {
        reason[sizeof reason - 1] = '\0';
        result.reason = utf8::repair(reason);
        if (result.reason.empty()) result.reason = errno_text(result.rc);
        return result;
    }
    if (!layout->fits(size)) {
        result.rc = -EIO;
        result.reason = "the format writer produced a range outside the original";
        spdlog::error("format writer {}: {} for {}", plugin_->id(), result.reason,
                      utf8::repair(path));
        return result;
    }
    result.layout = std::move(layout);
    return result;
}

int FormatWriter::transform(std::uint64_t arg, const std::uint8_t* in, std::uint8_t* out,
                            std::uint64_t len) const {
    if (!kind_.transform) return -EIO;
    try {
        return kind_.transform(instance_, arg, in, out, len);
    } catch (...) {
        spdlog::error("format writer {} threw from transform", plugin_->id());
        return -EIO;
    }
}

}  // namespace musicfs::overlay
