// meta-sidecar: tags from a JSON file next to each audio file, written with the MusicFS C++
// helpers as an example of a metadata source built outside the MusicFS source tree.
//
// Configuration (the [metadata.sidecar] table of the MusicFS config file):
//   root = "/path/to/music"   required; the local directory holding the sidecar files, laid
//                             out like the origin (for a `local` origin: the same `root`)
//
// For the track "<dir>/song.flac" the source reads "<root>/<dir>/song.flac.json", or else
// "<root>/<dir>/song.json". A sidecar is a JSON object of Picard tag names:
//
//   {"title": "Svefn-g-englar", "artists": ["Sigur Rós", "amiina"], "tracknumber": 2,
//    "compilation": false}
//
// A string, number or boolean (as "1"/"0") is one value, an array gives one value per element,
// null leaves the tag out; keys are lower-cased. List the source FIRST in
// `[metadata] sources = ["sidecar", "taglib"]` for its tags to win over the embedded ones;
// tags the sidecar does not name still come from the next source.
//
// A track without a sidecar is "not handled" (-ENOTSUP), so the other sources decide alone
// whether it is a readable audio file. A broken sidecar (bad JSON, not an object, over 1 MiB)
// is logged as a warning and the track gets no sidecar tags (-EINVAL for this source only).
//
// Limitation: a metadata source sees only the track's own bytes and its path relative to its
// origin (ABI 1.0, metadata.h), not the origin itself. So sidecars are read from the local
// directory `root`, not through the origin: for a remote origin (or a tar archive), keep a
// local copy of its sidecars, in the same layout, and point `root` at it. That is also a way to
// keep your tag fixes out of a tree you must not touch.
//
// Threading: read() only reads files and its immutable configuration: [thread-safe].

#include <musicfs/cpp/sdk.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>
#include <sys/stat.h>

namespace sdk = musicfs::sdk;

namespace {

constexpr std::size_t kMaxSidecarBytes = 1 << 20;

class Sidecar {
public:
    Sidecar(const sdk::Host& host, const sdk::Config& config)
        : host_(host), root_(config.require("root", "the directory holding the sidecars")) {
        config.warn_unknown(host, {"root"});
        struct stat st {};
        if (::stat(root_.c_str(), &st) != 0) {
            const int err = errno;
            throw sdk::Error(-err, sdk::concat("root ", root_, ": ", std::strerror(err)));
        }
        if (!S_ISDIR(st.st_mode)) {
            throw sdk::Error(-ENOTDIR, sdk::concat("root ", root_, " is not a directory"));
        }
        while (root_.size() > 1 && root_.back() == '/') {
            root_.pop_back();
        }
    }

    void read(const sdk::TrackSource& track, sdk::MetadataSink& sink) const {
        const std::string_view path = track.path();
        if (path.empty() || path.front() == '/' || has_dot_dot(path)) {
            throw sdk::Error(-ENOTSUP, "not a path inside the origin");
        }
        std::string sidecar = sdk::concat(root_, "/", path, ".json");
        std::ifstream in(sidecar, std::ios::binary);
        if (!in) {
            const auto slash = path.rfind('/');
            const auto dot = path.rfind('.');
            if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) {
                throw sdk::Error(-ENOTSUP, "no sidecar");
            }
            sidecar = sdk::concat(root_, "/", path.substr(0, dot), ".json");
            in.open(sidecar, std::ios::binary);
            if (!in) {
                throw sdk::Error(-ENOTSUP, "no sidecar");
            }
        }
        in.seekg(0, std::ios::end);
        const std::streamoff size = in.tellg();
        if (size < 0 || static_cast<std::uint64_t>(size) > kMaxSidecarBytes) {
            broken(sidecar, size < 0 ? "cannot be read" : "larger than 1 MiB");
        }
        std::string text(static_cast<std::size_t>(size), '\0');
        in.seekg(0);
        if (!in.read(text.data(), size)) {
            broken(sidecar, "cannot be read");
        }
        nlohmann::json doc;
        try {
            doc = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            broken(sidecar, e.what());
        }
        if (!doc.is_object()) {
            broken(sidecar, "not a JSON object");
        }
        for (const auto& [name, value] : doc.items()) {
            const std::string key = lower(name);
            if (key.empty()) {
                continue;
            }
            if (value.is_array()) {
                for (const auto& item : value) {
                    emit(sink, sidecar, key, item);
                }
            } else {
                emit(sink, sidecar, key, value);
            }
        }
    }

private:
    static bool has_dot_dot(std::string_view path) {
        for (std::size_t at = 0; at <= path.size();) {
            const auto end = std::min(path.find('/', at), path.size());
            if (path.substr(at, end - at) == "..") {
                return true;
            }
            at = end + 1;
        }
        return false;
    }

    static std::string lower(std::string_view s) {
        std::string out(s);
        for (char& c : out) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c - 'A' + 'a');
            }
        }
        return out;
    }

    [[noreturn]] void broken(const std::string& sidecar, std::string_view why) const {
        host_.warn(sidecar, ": ", why, "; its tags are ignored");
        throw sdk::Error(-EINVAL, sdk::concat(sidecar, ": ", why));
    }

    void emit(sdk::MetadataSink& sink, const std::string& sidecar, const std::string& key,
              const nlohmann::json& value) const {
        switch (value.type()) {
            case nlohmann::json::value_t::string:
                sink.tag(key, value.get_ref<const std::string&>());
                break;
            case nlohmann::json::value_t::boolean:
                sink.tag(key.c_str(), value.get<bool>() ? "1" : "0");
                break;
            case nlohmann::json::value_t::number_integer:
            case nlohmann::json::value_t::number_unsigned:
            case nlohmann::json::value_t::number_float:
                sink.tag(key, value.dump());
                break;
            case nlohmann::json::value_t::null:
                break;
            default:
                host_.warn(sidecar, ": the value of '", key, "' is not a string, number, ",
                           "boolean or array of them; ignored");
                break;
        }
    }

    sdk::Host host_;
    std::string root_;
};

constexpr sdk::PluginInfo kInfo{
    .id = "org.musicfs.example.meta.sidecar",
    .name = "sidecar",
    .version = "0.1.0",
    .description = "Tags from JSON sidecar files (song.flac.json or song.json)",
};

}  // namespace

MUSICFS_SDK_PLUGIN(kInfo, sdk::MetadataKind<Sidecar>);
