#include "util/log.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace musicfs::log {

bool parse_level(std::string_view name, spdlog::level::level_enum& out) {
    static constexpr std::pair<std::string_view, spdlog::level::level_enum> kLevels[] = {
        {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
        {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
        {"error", spdlog::level::err},   {"off", spdlog::level::off},
    };
    for (const auto& [n, l] : kLevels) {
        if (n == name) {
            out = l;
            return true;
        }
    }
    return false;
}

namespace {
void install(std::shared_ptr<spdlog::logger> logger, spdlog::level::level_enum level) {
    logger->set_level(level);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    logger->flush_on(spdlog::level::info);
    spdlog::set_default_logger(std::move(logger));
}
}  // namespace

// Either may be called again (a daemon moves its logging to a file once detached): the
// registry refuses a second logger of the same name.
void init_stderr(spdlog::level::level_enum level) {
    spdlog::drop("musicfs-stderr");
    install(spdlog::stderr_logger_mt("musicfs-stderr"), level);
}

void init_file(const std::string& path, spdlog::level::level_enum level) {
    spdlog::drop("musicfs-file");
    install(spdlog::basic_logger_mt("musicfs-file", path), level);
}

}  // namespace musicfs::log
