#include "plugin/host.hpp"

#include <spdlog/spdlog.h>

#include <musicfs/abi.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>

namespace musicfs::plugin {
namespace {

struct HostState {
    std::mutex mu;  // guards everything below
    std::map<std::string, std::map<std::string, std::string>> options;  // by plugin name or id
    std::map<std::string, std::string> name_of;                          // plugin id -> name
    std::map<std::string, std::int64_t> counters;
    std::map<std::string, std::chrono::steady_clock::time_point> last_progress;
};

HostState& state() {
    static HostState s;
    return s;
}

spdlog::level::level_enum to_spdlog(int32_t level) {
    switch (level) {
        case MFS_LOG_TRACE: return spdlog::level::trace;
        case MFS_LOG_DEBUG: return spdlog::level::debug;
        case MFS_LOG_INFO: return spdlog::level::info;
        case MFS_LOG_WARN: return spdlog::level::warn;
        default: return spdlog::level::err;
    }
}

const char* or_unknown(const char* s) { return s ? s : "?"; }

// Every service is noexcept: a failure inside the host must never unwind into a plugin.

void host_log(void*, int32_t level, const char* plugin_id, const char* message) noexcept {
    try {
        spdlog::log(to_spdlog(level), "[{}] {}", or_unknown(plugin_id), message ? message : "");
    } catch (...) {
    }
}

int64_t host_config_get(void*, const char* plugin_id, const char* key, char* buf,
                        size_t size) noexcept {
    if (!plugin_id || !key) return -EINVAL;
    try {
        auto& s = state();
        std::lock_guard lock(s.mu);
        auto table = s.options.find(plugin_id);
        if (table == s.options.end()) {
            const auto name = s.name_of.find(plugin_id);
            if (name != s.name_of.end()) table = s.options.find(name->second);
        }
        if (table == s.options.end()) return -ENOENT;
        const auto value = table->second.find(key);
        if (value == table->second.end()) return -ENOENT;
        const std::string& v = value->second;
        if (buf && size > 0) {
            const size_t n = std::min(v.size(), size - 1);
            std::memcpy(buf, v.data(), n);
            buf[n] = '\0';
        }
        return static_cast<int64_t>(v.size());
    } catch (...) {
        return -ENOMEM;
    }
}

void host_counter_add(void*, const char* plugin_id, const char* name, int64_t delta) noexcept {
    if (!name) return;
    try {
        auto& s = state();
        std::lock_guard lock(s.mu);
        s.counters[std::string(or_unknown(plugin_id)) + "/" + name] += delta;
    } catch (...) {
    }
}

void host_progress(void*, const char* plugin_id, const char* task, uint64_t done,
                   uint64_t total) noexcept {
    try {
        // At most one line a second per task, and always the last one.
        const std::string key = std::string(or_unknown(plugin_id)) + "/" + or_unknown(task);
        const auto now = std::chrono::steady_clock::now();
        {
            auto& s = state();
            std::lock_guard lock(s.mu);
            auto& last = s.last_progress[key];
            const bool finished = total > 0 && done >= total;
            if (!finished && now - last < std::chrono::seconds(1)) return;
            last = now;
        }
        if (total > 0)
            spdlog::info("[{}] {}: {}/{}", or_unknown(plugin_id), or_unknown(task), done, total);
        else
            spdlog::info("[{}] {}: {}", or_unknown(plugin_id), or_unknown(task), done);
    } catch (...) {
    }
}

const void* host_get_extension(void*, const char*) noexcept {
    return nullptr;  // no host extensions yet
}

const mfs_host_t kHost = {
    sizeof(mfs_host_t), MFS_ABI_VERSION_MAJOR, MFS_ABI_VERSION_MINOR, MUSICFS_VERSION, nullptr,
    host_log,           host_config_get,       host_counter_add,      host_progress,  host_get_extension,
};

}  // namespace

const mfs_host_t* host_services() { return &kHost; }

void set_plugin_options(std::map<std::string, std::map<std::string, std::string>> options) {
    auto& s = state();
    std::lock_guard lock(s.mu);
    s.options = std::move(options);
}

void register_plugin_name(const std::string& id, const std::string& name) {
    auto& s = state();
    std::lock_guard lock(s.mu);
    s.name_of[id] = name;
}

std::map<std::string, std::int64_t> plugin_counters() {
    auto& s = state();
    std::lock_guard lock(s.mu);
    return s.counters;
}

}  // namespace musicfs::plugin
