// Ogg pages (RFC 3533): parsing headers, building pages, the Ogg CRC-32, and re-numbering a
// page in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace musicfs::ogg {

constexpr std::size_t kHeaderSize = 27;  // before the lacing values
constexpr uint8_t kContinued = 0x01;
constexpr uint8_t kFirstPage = 0x02;  // beginning of stream (BOS)
constexpr uint8_t kLastPage = 0x04;   // end of stream (EOS)
constexpr uint64_t kNoGranule = ~uint64_t{0};  // no packet ends on the page

// CRC-32 of Ogg pages: polynomial 0x04c11db7, initial value 0, not reflected, no final xor.
uint32_t crc32(std::span<const uint8_t> data, uint32_t crc = 0) noexcept;

struct PageHeader {
    uint8_t flags = 0;
    uint64_t granule = 0;
    uint32_t serial = 0;
    uint32_t sequence = 0;
    uint32_t crc = 0;
    std::size_t header_size = 0;  // 27 + lacing values
    std::size_t body_size = 0;
    std::size_t size() const noexcept { return header_size + body_size; }
};

// The fixed part of a page header, when `data` (at least 27 bytes) starts with one: "OggS",
// version 0. The lacing count is data[26].
bool starts_page(std::span<const uint8_t> data) noexcept;

// Parses a page header; `data` must hold the 27 fixed bytes and the lacing values.
std::optional<PageHeader> parse_header(std::span<const uint8_t> data) noexcept;

// Whether the CRC stored in `page` (a whole page) is right.
bool crc_ok(std::span<const uint8_t> page) noexcept;

// Appends a page to `out`: header with `lacing`, then `body`, with its CRC.
void build_page(std::vector<uint8_t>& out, uint8_t flags, uint64_t granule, uint32_t serial,
                uint32_t sequence, std::span<const uint8_t> lacing, std::span<const uint8_t> body);

// Copies the page `in` to `out` with a new sequence number. The CRC is adjusted by the change
// (CRCs are linear), so a page whose CRC was right gets the right CRC and one whose CRC was wrong
// stays exactly as wrong. Returns false when `in` is not one whole page.
bool renumber(std::span<const uint8_t> in, uint8_t* out, uint32_t sequence) noexcept;

}  // namespace musicfs::ogg
