#pragma once
// Logging for the whole daemon: spdlog behind a few functions so the sink (stderr, or a file
// once daemonised) is chosen in one place.

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace musicfs::log {

// Parses "trace", "debug", "info", "warn", "error" or "off"; returns false when unknown.
bool parse_level(std::string_view name, spdlog::level::level_enum& out);

// Sends log lines to stderr at `level`.
void init_stderr(spdlog::level::level_enum level);

// Sends log lines to `path` (appended) instead; used once the daemon detaches.
void init_file(const std::string& path, spdlog::level::level_enum level);

}  // namespace musicfs::log
