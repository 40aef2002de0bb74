#include "plugin/host.hpp"

#include <spdlog/spdlog.h>

#include <musicfs/abi.h>

namespace musicfs::plugin {
namespace {

spdlog::level::level_enum to_spdlog(int32_t level) {
    switch (level) {
        case MFS_LOG_TRACE: return spdlog::level::trace;
        case MFS_LOG_DEBUG: return spdlog::level::debug;
        case MFS_LOG_INFO: return spdlog::level::info;
        case MFS_LOG_WARN: return spdlog::level::warn;
        default: return spdlog::level::err;
    }
}

void host_log(void*, int32_t level, const char* plugin_id, const char* message) noexcept {
    try {
        spdlog::log(to_spdlog(level), "[{}] {}", plugin_id ? plugin_id : "?",
                    message ? message : "");
    } catch (...) {
        // Logging must never take the plugin (or the daemon) down.
    }
}

const mfs_host_t kHost = {
    sizeof(mfs_host_t), MFS_ABI_VERSION_MAJOR, MFS_ABI_VERSION_MINOR, MUSICFS_VERSION, nullptr,
    host_log, nullptr, nullptr, nullptr, nullptr,
};

}  // namespace

const mfs_host_t* host_services() { return &kHost; }

}  // namespace musicfs::plugin
