#pragma once
// The host services table handed to every plugin (sdk/include/musicfs/host.h).

#include <musicfs/host.h>

namespace musicfs::plugin {

// The process-wide services table. Lives for the whole process.
const mfs_host_t* host_services();

}  // namespace musicfs::plugin
