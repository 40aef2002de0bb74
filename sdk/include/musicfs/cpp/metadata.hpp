// MusicFS C++ helpers: a metadata-source plugin (musicfs/metadata.h) from a C++ class.
//
//   class Sidecar {                                   // one configured source instance
//   public:
//       Sidecar(const sdk::Host& host, const sdk::Config& config);   // throws sdk::Error
//       void read(const sdk::TrackSource& track, sdk::MetadataSink& sink);
//       // optional: const void* extension(const char* id);
//   };
//   ... sdk::MetadataKind<Sidecar> in MUSICFS_SDK_PLUGIN(...).
//
// read() reports what it found to the sink and returns when the file was understood (even with
// no tags). It throws sdk::Error(-ENOTSUP, "...") for a file it does not handle and
// sdk::Error(-EINVAL or -EIO, "...") for a broken one; the message becomes the one-line `reason`.
// read() is [thread-safe]: the host calls it concurrently from its scanner threads. The
// constructor and destructor run on the main thread, the destructor with no read() in progress.
#ifndef MUSICFS_CPP_METADATA_HPP
#define MUSICFS_CPP_METADATA_HPP

#include <musicfs/cpp/host.hpp>
#include <musicfs/cpp/track.hpp>
#include <musicfs/metadata.h>

#include <cstdint>
#include <memory>
#include <string>

namespace musicfs {
namespace sdk MUSICFS_SDK_HIDDEN {

// Where read() reports tags and properties. The host copies every string before the call
// returns. [per-handle]: call it on the thread that called read().
class MetadataSink {
public:
    explicit MetadataSink(const mfs_metadata_sink_t* sink) noexcept : sink_(abi_copy(sink)) {}

    // One value of a tag (Picard name, lower case); call again for each further value.
    void tag(const char* key, const char* value) const noexcept {
        if (sink_.tag != nullptr && key != nullptr && value != nullptr) {
            sink_.tag(sink_.ctx, key, value);
        }
    }
    void tag(const std::string& key, const std::string& value) const noexcept {
        tag(key.c_str(), value.c_str());
    }

    // One audio property (MFS_PROP_*).
    void property(const char* key, std::int64_t value) const noexcept {
        if (sink_.property != nullptr && key != nullptr) {
            sink_.property(sink_.ctx, key, value);
        }
    }

    // The container format in lower case ("flac", "mp3", ...); at most once per read().
    void format(const char* name) const noexcept {
        if (sink_.format != nullptr && name != nullptr) {
            sink_.format(sink_.ctx, name);
        }
    }

private:
    mfs_metadata_sink_t sink_;
};

template <typename M>
concept MetadataClass = std::constructible_from<M, const Host&, const Config&> &&
                        requires(M& m, const TrackSource& track, MetadataSink& sink) {
                            m.read(track, sink);
                        };

// The mfs_metadata_kind_t of a metadata-source class, for MUSICFS_SDK_PLUGIN(...).
template <MetadataClass M>
class MetadataKind {
public:
    static constexpr const char* kind_id = MFS_METADATA_KIND_ID;
    static const void* table() noexcept { return &kTable; }

private:
    static M* self(mfs_metadata_t* m) noexcept { return reinterpret_cast<M*>(m); }

    static std::int32_t create(const mfs_host_t* c_host, const mfs_config_t* config,
                               mfs_metadata_t** out) noexcept {
        if (out == nullptr) {
            return -EINVAL;
        }
        *out = nullptr;
        const Host h(c_host, detail::plugin_state().plugin_id);
        return detail::guard<std::int32_t>(h, "create", {nullptr, 0}, MFS_LOG_ERROR, [&] {
            auto instance = std::make_unique<M>(h, Config(config));
            *out = reinterpret_cast<mfs_metadata_t*>(instance.release());
            return 0;
        });
    }

    static void destroy(mfs_metadata_t* m) noexcept {
        detail::guard_void(host(), "destroy", [&] { delete self(m); });
    }

    static std::int32_t read(mfs_metadata_t* m, const mfs_track_source_t* file,
                             const mfs_metadata_sink_t* sink, char* reason,
                             std::size_t reason_size) noexcept {
        const detail::Reason why(reason, reason_size);
        const TrackSource track(file);
        return detail::guard<std::int32_t>(
            host(), std::string_view(track.path()), why, MFS_LOG_DEBUG, [&] {
                MetadataSink out(sink);
                self(m)->read(track, out);
                return 0;
            });
    }

    static const void* get_extension(mfs_metadata_t* m, const char* id) noexcept {
        if constexpr (requires { self(m)->extension(id); }) {
            try {
                return id != nullptr ? self(m)->extension(id) : nullptr;
            } catch (...) {
                return nullptr;
            }
        } else {
            (void)m;
            (void)id;
            return nullptr;
        }
    }

    static constexpr mfs_metadata_kind_t kTable{
        .struct_size = sizeof(mfs_metadata_kind_t),
        .create = &create,
        .destroy = &destroy,
        .read = &read,
        .get_extension = &get_extension,
    };
};

}  // namespace sdk
}  // namespace musicfs

#endif  // MUSICFS_CPP_METADATA_HPP
