// Scaffolding shared by the format writers that write ID3v2 (format-mp3, format-riff): ABI
// copies, refusals with a reason, reading the original in few large reads, and layouts built
// from parts (synthesised bytes, borrowed bytes, ranges of the original).
//
// Linked statically into each plugin; nothing here is exported (the plugins' version script
// keeps only musicfs_plugin_entry).
#pragma once

#include <musicfs/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicfs::id3 {

// ABI rule: never read past the size the caller gave. Copying the first struct_size bytes into
// a zeroed full-size struct turns every member the caller did not know about into NULL / 0.
template <typename T>
T abi_copy(const T* in) noexcept {
    T out{};
    if (in != nullptr) {
        std::memcpy(&out, in, std::min<std::size_t>(in->struct_size, sizeof(T)));
    }
    return out;
}

// Thrown to refuse a file: layout() returns `code` (a negative errno) with the message as reason.
class Refusal : public std::runtime_error {
public:
    Refusal(std::int32_t code, const std::string& message)
        : std::runtime_error(message), code_(code) {}
    [[nodiscard]] std::int32_t code() const noexcept { return code_; }

private:
    std::int32_t code_;
};

// Fills the caller's reason buffer (NUL-terminated, truncated without splitting a UTF-8
// sequence) and returns `error`.
std::int32_t set_reason(char* buffer, std::size_t size, std::int32_t error,
                        std::string_view text) noexcept;

// Writes one log line through the host; dropped when it cannot be built.
void log_line(const mfs_host_t& host, std::int32_t level, const char* plugin_id,
              std::string_view message) noexcept;

// The original file, read through mfs_track_source_t.read: every read is exact (short reads
// are continued), failures and a file shorter than announced throw Refusal.
class Source {
public:
    explicit Source(const mfs_track_source_t& source);

    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    [[nodiscard]] std::string_view path() const noexcept { return path_; }

    // The bytes [offset, offset + len); throws Refusal(-EINVAL) when the range is not inside
    // the file.
    [[nodiscard]] std::vector<std::uint8_t> read(std::uint64_t offset, std::uint64_t len) const;
    void read_into(std::uint64_t offset, std::uint8_t* buf, std::uint64_t len) const;

private:
    mfs_track_source_t source_;
    std::uint64_t size_;
    std::string_view path_;
};

// A cached window over the original for scanning: a miss reads at least `chunk` bytes at once.
class Window {
public:
    Window(const Source& source, std::uint64_t chunk) : source_(source), chunk_(chunk) {}

    // Pointer to [offset, offset + len) or nullptr when that range is not inside the file.
    // Valid until the next call.
    const std::uint8_t* at(std::uint64_t offset, std::uint64_t len);

    // Makes [offset, end) available with a single read (e.g. a whole tag).
    void load(std::uint64_t offset, std::uint64_t end);

private:
    const Source& source_;
    std::uint64_t chunk_;
    std::uint64_t base_ = 0;
    std::vector<std::uint8_t> bytes_;
};

// A run of the served file: synthesised bytes, bytes borrowed for the duration of layout()
// (pictures handed in by the host), or a range of the original.
struct Part {
    enum class Kind : std::uint8_t { Bytes, View, Original };
    Kind kind = Kind::Bytes;
    std::string bytes;                    // Bytes
    const std::uint8_t* view = nullptr;   // View
    std::uint64_t offset = 0;             // Original
    std::uint64_t length = 0;             // View, Original

    [[nodiscard]] std::uint64_t size() const noexcept {
        return kind == Kind::Bytes ? bytes.size() : length;
    }
};

// An ordered list of parts with its exact size.
class Blob {
public:
    void append(std::string_view bytes);
    void append_view(const std::uint8_t* data, std::uint64_t len);
    void append_original(std::uint64_t offset, std::uint64_t len);
    void append_part(const Part& part);
    void append(const Blob& other);

    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    [[nodiscard]] const std::vector<Part>& parts() const noexcept { return parts_; }

private:
    std::vector<Part> parts_;
    std::uint64_t size_ = 0;
};

// The host's layout sink; an error it reports is thrown as Refusal with its code.
class Output {
public:
    explicit Output(const mfs_layout_sink_t* sink);

    void literal(std::string_view bytes);
    void literal(const std::uint8_t* data, std::uint64_t len);
    void original(std::uint64_t offset, std::uint64_t len);
    void blob(const Blob& blob);

    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

private:
    mfs_layout_sink_t sink_;
    std::uint64_t size_ = 0;
};

// The effective tags grouped by key, keys in order of first appearance, values in order.
// Empty keys and empty values are left out (the reading side never reports them).
using TagValues = std::vector<std::pair<std::string, std::vector<std::string>>>;
[[nodiscard]] TagValues group_tags(const mfs_tag_list_t* tags);

// A picture to write. Its data is a Part: borrowed from the host, or a range of the original
// (a picture kept from the original's tag), or bytes decoded from the original.
struct PictureData {
    std::uint32_t type = 3;
    std::string mime;
    std::string description;
    Part data;
};

// The host's picture list; nullopt when it is NULL ("keep the original's").
[[nodiscard]] std::optional<std::vector<PictureData>> host_pictures(
    const mfs_picture_list_t* pictures);

// Option values as the host renders them (TOML spelling; a quoted string keeps its quotes):
// id3v2_version is 3 or 4 ("2.3"/"2.4" accepted too), booleans are true or false.
[[nodiscard]] std::optional<int> parse_id3v2_version(std::string_view value);
[[nodiscard]] std::optional<bool> parse_bool(std::string_view value);

// Runs `body` (which lays out one file) and turns what it throws into layout()'s result:
// a Refusal keeps its code and message, anything else becomes -EIO (-ENOMEM when memory ran
// out) with a reason, logged. Nothing escapes: this is the C ABI boundary.
template <typename Body>
std::int32_t guarded_layout(const mfs_host_t& host, const char* plugin_id,
                            const mfs_track_source_t* original, char* reason,
                            std::size_t reason_size, Body&& body) noexcept {
    const mfs_track_source_t source = abi_copy(original);
    const std::string_view path = source.path != nullptr ? source.path : "";
    // The reason is filled inside each handler: what() dies with the exception.
    const auto fail = [&](std::int32_t code, std::string_view prefix, const char* what) noexcept {
        try {
            const std::string text = std::string(prefix) + what;
            log_line(host,
                     code == -EINVAL || code == -ENOTSUP || code == -EFBIG ? MFS_LOG_DEBUG
                                                                           : MFS_LOG_WARN,
                     plugin_id, std::string(path) + ": " + text);
            return set_reason(reason, reason_size, code, text);
        } catch (...) {
            return set_reason(reason, reason_size, code, what);
        }
    };
    try {
        std::forward<Body>(body)();
        return 0;
    } catch (const Refusal& e) {
        return fail(e.code(), "", e.what());
    } catch (const std::bad_alloc&) {
        return fail(-ENOMEM, "", "out of memory while laying out the file");
    } catch (const std::exception& e) {
        return fail(-EIO, "internal error: ", e.what());
    } catch (...) {
        return fail(-EIO, "internal error: ", "unknown exception");
    }
}

// Little and big endian integers.
[[nodiscard]] inline std::uint32_t le32(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8U) |
           (static_cast<std::uint32_t>(p[2]) << 16U) | (static_cast<std::uint32_t>(p[3]) << 24U);
}
[[nodiscard]] inline std::uint32_t be32(const std::uint8_t* p) noexcept {
    return (static_cast<std::uint32_t>(p[0]) << 24U) | (static_cast<std::uint32_t>(p[1]) << 16U) |
           (static_cast<std::uint32_t>(p[2]) << 8U) | static_cast<std::uint32_t>(p[3]);
}
inline void put_le32(std::string& out, std::uint32_t v) {
    for (unsigned shift = 0; shift < 32; shift += 8) {
        out += static_cast<char>((v >> shift) & 0xFFU);
    }
}
inline void put_be32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) {
        out += static_cast<char>((v >> static_cast<unsigned>(shift)) & 0xFFU);
    }
}

}  // namespace musicfs::id3
