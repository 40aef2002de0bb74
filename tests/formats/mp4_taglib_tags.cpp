// mp4_taglib_tags: reads one file through a metadata-source plugin (meta-taglib in the tests),
// exactly as the scanner would, and prints what it reported as JSON:
//
//   mp4_taglib_tags PLUGIN.so FILE
//   {"rc": 0, "reason": "", "format": "aac", "tags": [["title", "x"], ...]}
//
// The M4A writer's tests use it to check that what the writer serves reads back through TagLib
// under the names it was given, and to get an original's tags the way the catalog gets them.

#include "plugin/host.hpp"
#include "plugin/registry.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using namespace musicfs;

namespace {

struct Result {
    std::string format;
    std::vector<std::pair<std::string, std::string>> tags;
};

int run(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: mp4_taglib_tags PLUGIN.so FILE\n";
        return 1;
    }
    plugin::Registry registry({});
    const auto plugin = registry.load_file(argv[1]);
    if (!plugin || !plugin->metadata_kind()) {
        std::cerr << "not a loadable metadata plugin: " << argv[1] << "\n";
        return 1;
    }
    const mfs_metadata_kind_t& kind = *plugin->metadata_kind();
    mfs_metadata_t* instance = nullptr;
    const mfs_config_t config{sizeof(mfs_config_t), 0, nullptr};
    if (kind.create(plugin::host_services(), &config, &instance) != 0 || instance == nullptr) {
        std::cerr << "the metadata plugin refused to start\n";
        return 1;
    }

    const int fd = ::open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(std::string(argv[2]) + ": " + std::strerror(errno));
    const auto size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
    int fd_ctx = fd;
    const mfs_track_source_t source{
        sizeof(mfs_track_source_t), argv[2], size,
        [](void* ctx, uint64_t offset, void* buf, uint64_t len) -> int64_t {
            const ssize_t n = ::pread(*static_cast<int*>(ctx), buf, len, static_cast<off_t>(offset));
            return n < 0 ? -errno : n;
        },
        &fd_ctx};
    Result result;
    const mfs_metadata_sink_t sink{
        sizeof(mfs_metadata_sink_t), &result,
        [](void* ctx, const char* key, const char* value) {
            static_cast<Result*>(ctx)->tags.emplace_back(key ? key : "", value ? value : "");
        },
        [](void*, const char*, int64_t) {},
        [](void* ctx, const char* format) { static_cast<Result*>(ctx)->format = format ? format : ""; }};
    char reason[512] = {};
    const int32_t rc = kind.read(instance, &source, &sink, reason, sizeof reason);
    ::close(fd);
    kind.destroy(instance);

    nlohmann::json out = {{"rc", rc}, {"reason", rc != 0 ? reason : ""}, {"format", result.format}};
    auto& tags = out["tags"] = nlohmann::json::array();
    for (const auto& [k, v] : result.tags) tags.push_back({k, v});
    // Replace rather than throw on invalid UTF-8: a broken reader must show up as a diff.
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "mp4_taglib_tags: " << e.what() << "\n";
        return 1;
    }
}
