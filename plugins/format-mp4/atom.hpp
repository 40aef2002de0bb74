// MP4 atoms (ISO/IEC 14496-12 "boxes"): reading them out of a byte buffer and writing new ones.
//
// Pure code over the standard library: no SDK types, so that every part of the writer can be
// checked on synthesised bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicfs::format_mp4 {

using Bytes = std::vector<std::uint8_t>;
using ByteSpan = std::span<const std::uint8_t>;

// Why the writer cannot serve a file: a negative errno for the host and one line for the user.
// Thrown anywhere below the C ABI entry points, which turn it into their return value.
class Refusal : public std::exception {
public:
    Refusal(std::int32_t error, std::string reason) : error_(error), reason_(std::move(reason)) {}
    [[nodiscard]] std::int32_t error() const noexcept { return error_; }
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }
    [[nodiscard]] const char* what() const noexcept override { return reason_.c_str(); }

private:
    std::int32_t error_;
    std::string reason_;
};

// An atom type as the big-endian integer of its four bytes, so that "moov" compares as a number.
using FourCC = std::uint32_t;

constexpr FourCC fourcc(const char (&s)[5]) noexcept {
    return static_cast<FourCC>(static_cast<unsigned char>(s[0])) << 24U |
           static_cast<FourCC>(static_cast<unsigned char>(s[1])) << 16U |
           static_cast<FourCC>(static_cast<unsigned char>(s[2])) << 8U |
           static_cast<FourCC>(static_cast<unsigned char>(s[3]));
}

// "moov", or an escaped spelling for types that are not printable ASCII ("\xA9nam" -> "©nam").
std::string fourcc_name(FourCC type);

inline std::uint16_t load_u16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>(p[0] << 8U | p[1]);
}
inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) << 24U | static_cast<std::uint32_t>(p[1]) << 16U |
           static_cast<std::uint32_t>(p[2]) << 8U | static_cast<std::uint32_t>(p[3]);
}
inline std::uint64_t load_u64(const std::uint8_t* p) noexcept {
    return static_cast<std::uint64_t>(load_u32(p)) << 32U | load_u32(p + 4);
}
inline void store_u32(std::uint8_t* p, std::uint32_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 24U);
    p[1] = static_cast<std::uint8_t>(v >> 16U);
    p[2] = static_cast<std::uint8_t>(v >> 8U);
    p[3] = static_cast<std::uint8_t>(v);
}
inline void store_u64(std::uint8_t* p, std::uint64_t v) noexcept {
    store_u32(p, static_cast<std::uint32_t>(v >> 32U));
    store_u32(p + 4, static_cast<std::uint32_t>(v));
}

// An atom header as read from a file or a buffer.
struct AtomHeader {
    FourCC type = 0;
    std::uint64_t header_size = 0;  // 8, or 16 with a 64-bit size
    std::uint64_t size = 0;         // the whole atom, header included
    bool to_end = false;            // the size field was 0: the atom runs to the end of its parent
};

// Decodes the header at the start of `bytes` (at least 8 bytes; 16 when the size field is 1)
// for an atom that may extend at most `room` bytes. Throws Refusal(-EINVAL) when the sizes are
// impossible; `where` names the parent in the message.
AtomHeader parse_header(ByteSpan bytes, std::uint64_t room, std::string_view where);

// One child atom inside a parent's payload.
struct Atom {
    FourCC type = 0;
    std::size_t offset = 0;       // of the header, within the parent's payload
    std::size_t header_size = 0;
    std::size_t size = 0;         // whole atom
    ByteSpan bytes;               // the whole atom, header included
    [[nodiscard]] ByteSpan payload() const { return bytes.subspan(header_size); }
};

// The children of a container's payload, in order. Bytes after the last child that are too few
// to hold a header (QuickTime ends some lists with a 32-bit zero) are `tail`. Throws
// Refusal(-EINVAL) when a child overruns the payload.
struct Children {
    std::vector<Atom> atoms;
    ByteSpan tail;
};
Children parse_children(ByteSpan payload, std::string_view where);

// The first child of type `type`, or nullptr.
const Atom* find_child(const Children& children, FourCC type) noexcept;

// Appends atoms to a byte vector: begin() writes a header with a placeholder size, end() fills
// it in once the payload is complete. Sizes are 32-bit: an atom of 4 GiB or more is refused.
class AtomWriter {
public:
    explicit AtomWriter(Bytes& out) noexcept : out_(out) {}

    // Starts an atom; returns the token end() wants.
    std::size_t begin(FourCC type);
    // Starts a full atom (version and flags after the type).
    std::size_t begin_full(FourCC type, std::uint8_t version, std::uint32_t flags);
    void end(std::size_t token);

    void u8(std::uint8_t v) { out_.push_back(v); }
    void u16(std::uint16_t v);
    void u32(std::uint32_t v);
    void u64(std::uint64_t v);
    void bytes(ByteSpan b) { out_.insert(out_.end(), b.begin(), b.end()); }
    void text(std::string_view s);

private:
    Bytes& out_;
};

}  // namespace musicfs::format_mp4
