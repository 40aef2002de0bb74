#pragma once
// A configured metadata-source plugin (e.g. embedded tags through TagLib) behind a C++ face.

#include "catalog/catalog.hpp"
#include "origins/origin.hpp"
#include "plugin/registry.hpp"

#include <map>
#include <string>

namespace musicfs::scanner {

struct MetadataResult {
    int rc = 0;           // 0, or a negative errno
    std::string reason;   // why, when rc != 0
    catalog::AudioInfo info;
    catalog::TagList tags;
};

class MetadataSource {
public:
    // Throws UserError when the plugin refuses its configuration.
    MetadataSource(std::string name, plugin::PluginPtr plugin,
                   const std::map<std::string, std::string>& config);

    const plugin::Plugin& plugin() const { return *plugin_; }
    MetadataSource(const MetadataSource&) = delete;
    ~MetadataSource();

    // The name tags are recorded under in the catalog (the plugin's name, e.g. "taglib").
    const std::string& name() const { return name_; }

    // Reads the tags and properties of one original file. [thread-safe]
    MetadataResult read(const std::string& path, std::uint64_t size, origins::OriginFile& file);

private:
    std::string name_;
    plugin::PluginPtr plugin_;
    const mfs_metadata_kind_t& kind_;
    mfs_metadata_t* instance_ = nullptr;
};

}  // namespace musicfs::scanner
