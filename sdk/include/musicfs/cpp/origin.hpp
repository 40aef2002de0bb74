// MusicFS C++ helpers: an origin plugin (musicfs/origin.h) from a C++ class.
//
//   class Archive {                                   // one configured origin instance
//   public:
//       Archive(const sdk::Host& host, const sdk::Config& config);   // throws sdk::Error
//       void list(const char* dir, const sdk::ListSink& sink);       // sink(name, stat)
//       sdk::Stat stat(const char* path);
//       std::unique_ptr<ArchiveFile> open(const char* path);
//       // optional: const void* extension(const char* id);
//   };
//   class ArchiveFile {                               // one open file; its destructor closes it
//   public:
//       std::size_t read(std::uint64_t offset, std::span<std::uint8_t> buf);
//   };
//   ... sdk::OriginKind<Archive> in MUSICFS_SDK_PLUGIN(...).
//
// Paths are as origin.h describes them: relative to the root, '/'-separated, "" for the root,
// NUL-terminated, living for the call. Errors are thrown as sdk::Error(-ENOENT) and friends.
// Threading is the C contract's: list, stat, open and read are called concurrently from any
// thread (also read on one file), so the classes must be thread-safe; the constructor and the
// destructors run on the main thread, a file is destroyed with no read in progress, and the
// instance only after all its files.
#ifndef MUSICFS_CPP_ORIGIN_HPP
#define MUSICFS_CPP_ORIGIN_HPP

#include <musicfs/cpp/host.hpp>
#include <musicfs/origin.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace musicfs {
namespace sdk MUSICFS_SDK_HIDDEN {

// What stat() and list() report about an entry.
struct Stat {
    std::uint32_t type = MFS_ENTRY_OTHER;  // MFS_ENTRY_*
    std::uint64_t size = 0;                // bytes, for files
    std::int64_t mtime_ns = 0;             // nanoseconds since the Unix epoch

    static Stat file(std::uint64_t size, std::int64_t mtime_ns) noexcept {
        return {MFS_ENTRY_FILE, size, mtime_ns};
    }
    static Stat directory(std::int64_t mtime_ns) noexcept {
        return {MFS_ENTRY_DIRECTORY, 0, mtime_ns};
    }
    static Stat other(std::int64_t mtime_ns = 0) noexcept { return {MFS_ENTRY_OTHER, 0, mtime_ns}; }

    [[nodiscard]] mfs_origin_stat_t to_c() const noexcept {
        return {sizeof(mfs_origin_stat_t), type, size, mtime_ns};
    }
};

// Receives the entries of a list() call. Call it once per entry (not "." or ".."); it returns
// false when the host wants no more entries: return from list() then. [per-handle]: call it on
// the thread that called list().
class ListSink {
public:
    ListSink(mfs_origin_list_sink_fn sink, void* ctx) noexcept : sink_(sink), ctx_(ctx) {}

    bool operator()(const char* name, const Stat& st) const noexcept {
        const mfs_origin_stat_t c = st.to_c();
        return sink_ != nullptr && sink_(ctx_, name, &c) == 0;
    }
    bool operator()(const std::string& name, const Stat& st) const noexcept {
        return (*this)(name.c_str(), st);
    }

private:
    mfs_origin_list_sink_fn sink_;
    void* ctx_;
};

// The open-file type of an origin class: what its open() returns a unique_ptr to.
template <typename O>
using OriginFileOf = typename decltype(std::declval<O&>().open(""))::element_type;

template <typename O>
concept OriginClass =
    std::constructible_from<O, const Host&, const Config&> &&
    requires(O& o, const char* path, const ListSink& sink, std::uint64_t offset,
             std::span<std::uint8_t> buf) {
        o.list(path, sink);
        { o.stat(path) } -> std::convertible_to<Stat>;
        { o.open(path) } -> std::same_as<std::unique_ptr<OriginFileOf<O>>>;
        { std::declval<OriginFileOf<O>&>().read(offset, buf) } -> std::convertible_to<std::size_t>;
    };

// The mfs_origin_kind_t of an origin class, for MUSICFS_SDK_PLUGIN(...).
template <OriginClass O>
class OriginKind {
public:
    static constexpr const char* kind_id = MFS_ORIGIN_KIND_ID;
    static const void* table() noexcept { return &kTable; }

private:
    using File = OriginFileOf<O>;

    static O* self(mfs_origin_t* o) noexcept { return reinterpret_cast<O*>(o); }
    static File* file(mfs_origin_file_t* f) noexcept { return reinterpret_cast<File*>(f); }

    static std::int32_t create(const mfs_host_t* c_host, const mfs_config_t* config,
                               mfs_origin_t** out) noexcept {
        if (out == nullptr) {
            return -EINVAL;
        }
        *out = nullptr;
        const Host h(c_host, detail::plugin_state().plugin_id);
        return detail::guard<std::int32_t>(h, "create", {nullptr, 0}, MFS_LOG_ERROR, [&] {
            auto instance = std::make_unique<O>(h, Config(config));
            *out = reinterpret_cast<mfs_origin_t*>(instance.release());
            return 0;
        });
    }

    static void destroy(mfs_origin_t* o) noexcept {
        detail::guard_void(host(), "destroy", [&] { delete self(o); });
    }

    static std::int32_t list(mfs_origin_t* o, const char* dir, mfs_origin_list_sink_fn sink,
                             void* sink_ctx) noexcept {
        return detail::guard<std::int32_t>(host(), "list", {nullptr, 0}, MFS_LOG_DEBUG, [&] {
            self(o)->list(dir != nullptr ? dir : "", ListSink(sink, sink_ctx));
            return 0;
        });
    }

    static std::int32_t stat(mfs_origin_t* o, const char* path, mfs_origin_stat_t* out) noexcept {
        return detail::guard<std::int32_t>(host(), "stat", {nullptr, 0}, MFS_LOG_DEBUG, [&] {
            const Stat st = self(o)->stat(path != nullptr ? path : "");
            abi_store(out, st.to_c());
            return 0;
        });
    }

    static std::int32_t open(mfs_origin_t* o, const char* path, mfs_origin_file_t** out) noexcept {
        if (out == nullptr) {
            return -EINVAL;
        }
        *out = nullptr;
        return detail::guard<std::int32_t>(host(), "open", {nullptr, 0}, MFS_LOG_DEBUG, [&] {
            std::unique_ptr<File> f = self(o)->open(path != nullptr ? path : "");
            if (!f) {
                throw Error(-EIO, "open returned no file");
            }
            *out = reinterpret_cast<mfs_origin_file_t*>(f.release());
            return 0;
        });
    }

    static std::int64_t read(mfs_origin_file_t* f, std::uint64_t offset, void* buf,
                             std::uint64_t len) noexcept {
        return detail::guard<std::int64_t>(host(), "read", {nullptr, 0}, MFS_LOG_DEBUG, [&] {
            const std::span<std::uint8_t> out(static_cast<std::uint8_t*>(buf),
                                              static_cast<std::size_t>(len));
            return static_cast<std::int64_t>(file(f)->read(offset, out));
        });
    }

    static void close(mfs_origin_file_t* f) noexcept {
        detail::guard_void(host(), "close", [&] { delete file(f); });
    }

    static const void* get_extension(mfs_origin_t* o, const char* id) noexcept {
        if constexpr (requires { self(o)->extension(id); }) {
            try {
                return id != nullptr ? self(o)->extension(id) : nullptr;
            } catch (...) {
                return nullptr;
            }
        } else {
            (void)o;
            (void)id;
            return nullptr;
        }
    }

    static constexpr mfs_origin_kind_t kTable{
        .struct_size = sizeof(mfs_origin_kind_t),
        .create = &create,
        .destroy = &destroy,
        .list = &list,
        .stat = &stat,
        .open = &open,
        .read = &read,
        .close = &close,
        .get_extension = &get_extension,
    };
};

}  // namespace sdk
}  // namespace musicfs

#endif  // MUSICFS_CPP_ORIGIN_HPP
