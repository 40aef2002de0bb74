#pragma once
// The host services table handed to every plugin (sdk/include/musicfs/host.h), and the state
// behind it: plugin options from the configuration, metrics counters, progress.

#include <musicfs/host.h>

#include <cstdint>
#include <map>
#include <string>

namespace musicfs::plugin {

// The process-wide services table. Lives for the whole process.
const mfs_host_t* host_services();

// Plugin options (`[plugins.<name>]` tables), looked up by a plugin's name or id. Set before
// plugins are loaded; replaced on reload.
void set_plugin_options(std::map<std::string, std::map<std::string, std::string>> options);

// Lets config_get find a plugin's table by its name when the plugin asks with its id.
void register_plugin_name(const std::string& id, const std::string& name);

// A snapshot of the counters plugins reported: "<plugin id>/<name>" -> value.
std::map<std::string, std::int64_t> plugin_counters();

}  // namespace musicfs::plugin
