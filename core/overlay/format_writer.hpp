#pragma once
// A configured format-writer plugin behind a C++ face: turns (original, tags, pictures) into
// a Layout. A writer that throws or emits an impossible layout is reported, never trusted.

#include "catalog/catalog.hpp"
#include "overlay/layout.hpp"
#include "plugin/registry.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace musicfs::overlay {

struct Picture {
    std::uint32_t type = 3;  // ID3v2 picture type; 3 = front cover
    std::string mime;
    std::string description;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::string data;
};

struct LayoutResult {
    int rc = 0;           // 0, or a negative errno
    std::string reason;   // why, when rc != 0
    std::shared_ptr<const Layout> layout;
};

class FormatWriter {
public:
    // Throws UserError when the plugin refuses its configuration.
    FormatWriter(plugin::PluginPtr plugin, const std::map<std::string, std::string>& config);
    FormatWriter(const FormatWriter&) = delete;
    ~FormatWriter();

    const plugin::Plugin& plugin() const { return *plugin_; }
    // The formats it serves, as metadata sources name them ("flac", "mp3", ...).
    std::vector<std::string> formats() const;

    // The layout of `path` (an original of `size` bytes read through `read`) carrying `tags`
    // and, unless `pictures` is null (keep the original's), exactly `pictures`. [thread-safe]
    LayoutResult layout(const std::string& path, std::uint64_t size, const ReadFn& read,
                        const catalog::TagList& tags, const std::vector<Picture>* pictures) const;

    // The writer's transform for a transformed segment. [thread-safe]
    int transform(std::uint64_t arg, const std::uint8_t* in, std::uint8_t* out,
                  std::uint64_t len) const;

private:
    plugin::PluginPtr plugin_;
    const mfs_format_kind_t& kind_;
    mfs_format_writer_t* instance_ = nullptr;
};

}  // namespace musicfs::overlay
