// musicfs_tagdump: reads files through a metadata-source plugin (meta-taglib, the
// reading side of MusicFS) exactly as the scanner does, and prints what it reports.
//
//   musicfs_tagdump --plugin SOURCE.so FILE...
//
// Prints one JSON object per line: {"file": F, "rc": 0, "format": "mp3", "tags": [[k, v], ...]}
// or {"file": F, "rc": -22, "reason": "..."}. The format tests use it to check that what a
// format writer wrote reads back under the same Picard names through TagLib, and to get an
// original's tags the way the catalog gets them.

#include "plugin/host.hpp"
#include "plugin/registry.hpp"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

using namespace musicfs;

namespace {

struct Collected {
    nlohmann::json tags = nlohmann::json::array();
    std::string format;
};

int run(int argc, char** argv) {
    std::string plugin_path;
    std::vector<std::string> files;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--plugin" && i + 1 < argc) {
            plugin_path = argv[++i];
        } else {
            files.push_back(a);
        }
    }
    if (plugin_path.empty() || files.empty()) {
        std::cerr << "usage: musicfs_tagdump --plugin SOURCE.so FILE...\n";
        return 1;
    }
    plugin::Registry registry({});
    const auto plugin = registry.load_file(plugin_path);
    if (!plugin || !plugin->metadata_kind()) {
        std::cerr << "not a loadable metadata-source plugin: " << plugin_path << "\n";
        return 1;
    }
    const mfs_metadata_kind_t& kind = *plugin->metadata_kind();
    const mfs_config_t config{sizeof(mfs_config_t), 0, nullptr};
    mfs_metadata_t* instance = nullptr;
    if (kind.create(plugin::host_services(), &config, &instance) != 0 || instance == nullptr) {
        std::cerr << "the metadata source could not be created\n";
        return 1;
    }
    int status = 0;
    for (const std::string& file : files) {
        const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            std::cerr << file << ": " << std::strerror(errno) << "\n";
            status = 1;
            continue;
        }
        const auto size = static_cast<std::uint64_t>(::lseek(fd, 0, SEEK_END));
        int fd_copy = fd;
        const mfs_track_source_t source{
            sizeof(mfs_track_source_t), file.c_str(), size,
            [](void* ctx, uint64_t offset, void* buf, uint64_t len) -> int64_t {
                const ssize_t n = ::pread(*static_cast<int*>(ctx), buf, len, static_cast<off_t>(offset));
                return n < 0 ? -errno : n;
            },
            &fd_copy};
        Collected got;
        const mfs_metadata_sink_t sink{
            sizeof(mfs_metadata_sink_t), &got,
            [](void* ctx, const char* key, const char* value) {
                static_cast<Collected*>(ctx)->tags.push_back({key, value});
            },
            [](void*, const char*, int64_t) {},
            [](void* ctx, const char* format) { static_cast<Collected*>(ctx)->format = format; }};
        char reason[512] = {};
        const int32_t rc = kind.read(instance, &source, &sink, reason, sizeof reason);
        ::close(fd);
        nlohmann::json line = {{"file", file}, {"rc", rc}};
        if (rc == 0) {
            line["format"] = got.format;
            line["tags"] = got.tags;
        } else {
            line["reason"] = reason;
        }
        std::cout << line.dump() << "\n";
    }
    kind.destroy(instance);
    return status;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::cerr << "musicfs_tagdump: " << e.what() << "\n";
        return 1;
    }
}
