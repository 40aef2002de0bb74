// MusicFS C++ helpers: a format-writer plugin (musicfs/format.h) from a C++ class.
//
//   class FlacWriter {                                // one configured writer instance
//   public:
//       static constexpr const char* const formats[] = {"flac", nullptr};
//       FlacWriter(const sdk::Host& host, const sdk::Config& config);   // throws sdk::Error
//       void layout(const sdk::TrackSource& original, const sdk::Tags& tags,
//                   const sdk::Pictures& pictures, sdk::LayoutSink& sink);
//       // optional, when layout() emits transformed segments:
//       void transform(std::uint64_t arg, std::span<const std::uint8_t> in,
//                      std::span<std::uint8_t> out);
//       // optional: const void* extension(const char* id);
//   };
//   ... sdk::FormatKind<FlacWriter> in MUSICFS_SDK_PLUGIN(...).
//
// layout() describes the virtual file as segments, in file order (see format.h): literal bytes,
// ranges of the original served as is, and ranges passed through transform(). It throws
// sdk::Error(-ENOTSUP, "...") for a file in a format it does not handle and
// sdk::Error(-EINVAL, "...") for a broken one (the message becomes `reason`). The sink's calls
// throw sdk::Error when the host refuses a segment (e.g. -ENOMEM): let it propagate.
// layout() and transform() are [thread-safe]; the constructor and destructor run on the main
// thread, the destructor with no call in progress.
#ifndef MUSICFS_CPP_FORMAT_HPP
#define MUSICFS_CPP_FORMAT_HPP

#include <musicfs/cpp/host.hpp>
#include <musicfs/cpp/track.hpp>
#include <musicfs/format.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

namespace musicfs {
namespace sdk MUSICFS_SDK_HIDDEN {

// An embedded picture; the views live for the layout() call.
struct Picture {
    std::uint32_t type = 0;  // ID3v2 picture type: 3 = front cover, ...
    std::string_view mime;
    std::string_view description;
    std::uint32_t width = 0;  // pixels; 0 when unknown
    std::uint32_t height = 0;
    std::span<const std::uint8_t> data;
};

// A read-only view of the pictures a file must carry.
class Pictures {
public:
    explicit Pictures(const mfs_picture_list_t* list) noexcept
        : list_(abi_copy(list)), given_(list != nullptr) {}

    // True when the host passed no list (NULL) rather than a list, possibly empty: see
    // format.h for what the writer does with the original's embedded pictures then.
    [[nodiscard]] bool absent() const noexcept { return !given_; }

    [[nodiscard]] std::size_t size() const noexcept {
        return list_.pictures != nullptr ? list_.count : 0;
    }
    [[nodiscard]] Picture operator[](std::size_t i) const noexcept {
        const mfs_picture_t p = abi_copy(list_.pictures[i]);
        return {p.type,
                p.mime != nullptr ? p.mime : "",
                p.description != nullptr ? p.description : "",
                p.width,
                p.height,
                {p.data, p.data != nullptr ? static_cast<std::size_t>(p.size) : 0}};
    }

private:
    mfs_picture_list_t list_;
    bool given_;
};

// Where layout() puts the segments, in file order. [per-handle]: call it on the thread that
// called layout(). Each call throws Error with the host's code when the host refuses it.
class LayoutSink {
public:
    explicit LayoutSink(const mfs_layout_sink_t* sink) noexcept : sink_(abi_copy(sink)) {}

    // Synthesised bytes; the host copies them before returning.
    void literal(std::span<const std::uint8_t> bytes) const {
        check(sink_.literal, "literal", [&] {
            return sink_.literal(sink_.ctx, bytes.data(), bytes.size());
        });
    }
    void literal(std::string_view bytes) const {
        literal({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
    }
    // The original's bytes [offset, offset + len), served as is.
    void original(std::uint64_t offset, std::uint64_t len) const {
        check(sink_.original, "original", [&] { return sink_.original(sink_.ctx, offset, len); });
    }
    // The original's bytes [offset, offset + len), passed through transform() with `arg`.
    void transformed(std::uint64_t offset, std::uint64_t len, std::uint64_t arg) const {
        check(sink_.transformed, "transformed",
              [&] { return sink_.transformed(sink_.ctx, offset, len, arg); });
    }

private:
    template <typename Callback, typename Call>
    static void check(Callback callback, const char* what, Call&& call) {
        if (callback == nullptr) {
            throw Error(-ENOSYS, concat("the host's layout sink has no ", what, " callback"));
        }
        if (const std::int32_t rc = call(); rc != 0) {
            throw Error(rc, concat("the host refused a ", what, " segment (error ", -rc, ")"));
        }
    }

    mfs_layout_sink_t sink_;
};

template <typename W>
concept FormatClass =
    std::constructible_from<W, const Host&, const Config&> &&
    requires(W& w, const TrackSource& original, const Tags& tags, const Pictures& pictures,
             LayoutSink& sink) {
        { W::formats } -> std::convertible_to<const char* const*>;
        w.layout(original, tags, pictures, sink);
    };

// The mfs_format_kind_t of a format-writer class, for MUSICFS_SDK_PLUGIN(...).
template <FormatClass W>
class FormatKind {
public:
    static constexpr const char* kind_id = MFS_FORMAT_KIND_ID;
    static const void* table() noexcept { return &kTable; }

private:
    static W* self(mfs_format_writer_t* w) noexcept { return reinterpret_cast<W*>(w); }

    static constexpr bool kHasTransform =
        requires(W& w, std::uint64_t arg, std::span<const std::uint8_t> in,
                 std::span<std::uint8_t> out) { w.transform(arg, in, out); };

    static std::int32_t create(const mfs_host_t* c_host, const mfs_config_t* config,
                               mfs_format_writer_t** out) noexcept {
        if (out == nullptr) {
            return -EINVAL;
        }
        *out = nullptr;
        const Host h(c_host, detail::plugin_state().plugin_id);
        return detail::guard<std::int32_t>(h, "create", {nullptr, 0}, MFS_LOG_ERROR, [&] {
            auto instance = std::make_unique<W>(h, Config(config));
            *out = reinterpret_cast<mfs_format_writer_t*>(instance.release());
            return 0;
        });
    }

    static void destroy(mfs_format_writer_t* w) noexcept {
        detail::guard_void(host(), "destroy", [&] { delete self(w); });
    }

    static std::int32_t layout(mfs_format_writer_t* w, const mfs_track_source_t* original,
                               const mfs_tag_list_t* tags, const mfs_picture_list_t* pictures,
                               const mfs_layout_sink_t* sink, char* reason,
                               std::size_t reason_size) noexcept {
        const detail::Reason why(reason, reason_size);
        const TrackSource source(original);
        return detail::guard<std::int32_t>(
            host(), std::string_view(source.path()), why, MFS_LOG_DEBUG, [&] {
                LayoutSink out(sink);
                self(w)->layout(source, Tags(tags), Pictures(pictures), out);
                return 0;
            });
    }

    static std::int32_t transform(mfs_format_writer_t* w, std::uint64_t arg,
                                  const std::uint8_t* in, std::uint8_t* out,
                                  std::uint64_t len) noexcept {
        return detail::guard<std::int32_t>(host(), "transform", {nullptr, 0}, MFS_LOG_DEBUG, [&] {
            if constexpr (kHasTransform) {
                const auto n = static_cast<std::size_t>(len);
                self(w)->transform(arg, std::span<const std::uint8_t>(in, n),
                                   std::span<std::uint8_t>(out, n));
            } else {
                (void)w, (void)arg, (void)in, (void)out, (void)len;
            }
            return 0;
        });
    }

    static const void* get_extension(mfs_format_writer_t* w, const char* id) noexcept {
        if constexpr (requires { self(w)->extension(id); }) {
            try {
                return id != nullptr ? self(w)->extension(id) : nullptr;
            } catch (...) {
                return nullptr;
            }
        } else {
            (void)w;
            (void)id;
            return nullptr;
        }
    }

    static constexpr mfs_format_kind_t kTable{
        .struct_size = sizeof(mfs_format_kind_t),
        .formats = W::formats,
        .create = &create,
        .destroy = &destroy,
        .layout = &layout,
        .transform = kHasTransform ? &transform : nullptr,
        .get_extension = &get_extension,
    };
};

}  // namespace sdk
}  // namespace musicfs

#endif  // MUSICFS_CPP_FORMAT_HPP
