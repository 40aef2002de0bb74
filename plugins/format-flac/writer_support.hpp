// Pieces shared by the FLAC and Ogg format writers (compiled into both plugins): ABI helpers,
// the refusal type that carries an errno and a reason to the C boundary, and a buffered reader
// over the host's mfs_track_source_t.
#pragma once

#include <musicfs/abi.h>
#include <musicfs/format.h>
#include <musicfs/host.h>
#include <musicfs/track.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace musicfs::format_support {

// ABI rule: never read past the size the writer gave. Copying the first struct_size bytes into a
// zeroed full-size struct turns every member the caller did not know about into NULL / 0.
template <typename T>
T abi_copy(const T* in) noexcept {
    T out{};
    if (in != nullptr) {
        std::memcpy(&out, in, std::min<std::size_t>(in->struct_size, sizeof(T)));
    }
    return out;
}

// Why a layout cannot be made: a negative errno and a one-line reason. Thrown inside a writer and
// turned into the return value and the reason buffer at the C boundary, never beyond it.
class Refusal {
public:
    Refusal(int32_t error, std::string reason) : error_(error), reason_(std::move(reason)) {}
    [[nodiscard]] int32_t error() const noexcept { return error_; }
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

private:
    int32_t error_;
    std::string reason_;
};

// The original is not in a format the writer handles (-ENOTSUP).
[[noreturn]] void refuse_unsupported(std::string reason);
// The original is broken, or the result would be (-EINVAL).
[[noreturn]] void refuse_invalid(std::string reason);

// Copies `text` into the caller's reason buffer, NUL-terminated, truncated without splitting a
// UTF-8 sequence. Either pointer may be NULL / size 0.
void write_reason(char* buffer, std::size_t size, std::string_view text) noexcept;

// Logs the concatenation of `parts` through the host; dropped when that fails.
void log_message(const mfs_host_t& host, const char* plugin_id, int32_t level,
                 std::initializer_list<std::string_view> parts) noexcept;

// Reads the original in few, large reads: every request is served from a window of at least
// `chunk` bytes read in one go (the origin may be remote). Reading past the end of the file, a
// short file or a failing callback throws a Refusal. [per-handle], like the source itself.
class SourceReader {
public:
    static constexpr std::size_t kDefaultChunk = 256 * 1024;

    explicit SourceReader(const mfs_track_source_t& source);

    [[nodiscard]] uint64_t size() const noexcept { return size_; }

    // The bytes [offset, offset + len); `len` must fit in the file (check with size() first).
    // The span lives until the next call.
    std::span<const uint8_t> view(uint64_t offset, std::size_t len);

    // Later windows are at least `chunk` bytes (a whole-file scan uses bigger ones).
    void set_chunk(std::size_t chunk) noexcept { chunk_ = std::max<std::size_t>(chunk, 4096); }

private:
    void fill(uint64_t offset, std::size_t len);

    mfs_track_source_t source_;
    uint64_t size_;
    std::size_t chunk_ = kDefaultChunk;
    uint64_t window_offset_ = 0;
    std::vector<uint8_t> window_;
};

// Big- and little-endian integers in byte buffers.
inline uint32_t get_be32(const uint8_t* p) noexcept {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline uint32_t get_be24(const uint8_t* p) noexcept {
    return (uint32_t{p[0]} << 16) | (uint32_t{p[1]} << 8) | p[2];
}
inline uint16_t get_be16(const uint8_t* p) noexcept {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t get_le32(const uint8_t* p) noexcept {
    return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}
inline uint64_t get_le64(const uint8_t* p) noexcept {
    return (uint64_t{get_le32(p + 4)} << 32) | get_le32(p);
}
inline void put_be32(std::vector<uint8_t>& out, uint32_t v) {
    out.push_back(static_cast<uint8_t>(v >> 24));
    out.push_back(static_cast<uint8_t>(v >> 16));
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}
inline void put_le32(std::vector<uint8_t>& out, uint32_t v) {
    out.push_back(static_cast<uint8_t>(v));
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v >> 16));
    out.push_back(static_cast<uint8_t>(v >> 24));
}
inline void put_le32_at(uint8_t* p, uint32_t v) noexcept {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16);
    p[3] = static_cast<uint8_t>(v >> 24);
}
inline void append(std::vector<uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
}
inline void append(std::vector<uint8_t>& out, std::span<const uint8_t> s) {
    out.insert(out.end(), s.begin(), s.end());
}

// Human-readable byte counts for reasons: "16777215 bytes".
std::string bytes_text(uint64_t n);

// Calls the host's sink, turning a failure into a Refusal carrying its errno.
class SinkWriter {
public:
    explicit SinkWriter(const mfs_layout_sink_t& sink) noexcept : sink_(sink) {}
    void literal(std::span<const uint8_t> data) const;
    void original(uint64_t offset, uint64_t len) const;
    void transformed(uint64_t offset, uint64_t len, uint64_t arg) const;

private:
    mfs_layout_sink_t sink_;
};

}  // namespace musicfs::format_support
