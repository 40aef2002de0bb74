#include "ogg_page.hpp"

#include <array>
#include <cstring>

namespace musicfs::ogg {
namespace {

constexpr uint32_t kPolynomial = 0x04c11db7;

constexpr std::array<uint32_t, 256> make_table() noexcept {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t r = i << 24;
        for (int bit = 0; bit < 8; ++bit) {
            r = (r & 0x80000000U) != 0 ? (r << 1) ^ kPolynomial : r << 1;
        }
        table[i] = r;
    }
    return table;
}

constexpr std::array<uint32_t, 256> kTable = make_table();

// a(x) * b(x) mod P(x) over GF(2), bit 31 holding the x^31 coefficient.
constexpr uint32_t multiply(uint32_t a, uint32_t b) noexcept {
    uint32_t r = 0;
    for (int i = 31; i >= 0; --i) {
        r = (r & 0x80000000U) != 0 ? (r << 1) ^ kPolynomial : r << 1;
        if (((a >> i) & 1U) != 0) {
            r ^= b;
        }
    }
    return r;
}

// kZeroPowers[k] = x^(8 * 2^k) mod P: appending 2^k zero bytes to a message multiplies its CRC
// by it.
constexpr std::array<uint32_t, 64> make_zero_powers() noexcept {
    std::array<uint32_t, 64> powers{};
    powers[0] = uint32_t{1} << 8;  // x^8
    for (std::size_t k = 1; k < powers.size(); ++k) {
        powers[k] = multiply(powers[k - 1], powers[k - 1]);
    }
    return powers;
}

constexpr std::array<uint32_t, 64> kZeroPowers = make_zero_powers();

// The CRC of a message followed by `n` zero bytes, from the message's CRC `crc`.
uint32_t append_zeros(uint32_t crc, uint64_t n) noexcept {
    for (std::size_t k = 0; n != 0; ++k, n >>= 1) {
        if ((n & 1U) != 0) {
            crc = multiply(crc, kZeroPowers[k]);
        }
    }
    return crc;
}

uint32_t le32(const uint8_t* p) noexcept {
    return (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}

void put_le32(uint8_t* p, uint32_t v) noexcept {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16);
    p[3] = static_cast<uint8_t>(v >> 24);
}

}  // namespace

uint32_t crc32(std::span<const uint8_t> data, uint32_t crc) noexcept {
    for (const uint8_t byte : data) {
        crc = (crc << 8) ^ kTable[((crc >> 24) ^ byte) & 0xFF];
    }
    return crc;
}

bool starts_page(std::span<const uint8_t> data) noexcept {
    return data.size() >= kHeaderSize && std::memcmp(data.data(), "OggS", 4) == 0 &&
           data[4] == 0;
}

std::optional<PageHeader> parse_header(std::span<const uint8_t> data) noexcept {
    if (!starts_page(data)) {
        return std::nullopt;
    }
    PageHeader h;
    h.header_size = kHeaderSize + data[26];
    if (data.size() < h.header_size) {
        return std::nullopt;
    }
    h.flags = data[5];
    h.granule = (uint64_t{le32(data.data() + 10)} << 32) | le32(data.data() + 6);
    h.serial = le32(data.data() + 14);
    h.sequence = le32(data.data() + 18);
    h.crc = le32(data.data() + 22);
    for (std::size_t i = kHeaderSize; i < h.header_size; ++i) {
        h.body_size += data[i];
    }
    return h;
}

bool crc_ok(std::span<const uint8_t> page) noexcept {
    if (page.size() < kHeaderSize) {
        return false;
    }
    static constexpr uint8_t kZero[4] = {0, 0, 0, 0};
    uint32_t crc = crc32(page.first(22));
    crc = crc32(kZero, crc);
    crc = crc32(page.subspan(26), crc);
    return crc == le32(page.data() + 22);
}

void build_page(std::vector<uint8_t>& out, uint8_t flags, uint64_t granule, uint32_t serial,
                uint32_t sequence, std::span<const uint8_t> lacing, std::span<const uint8_t> body) {
    const std::size_t start = out.size();
    out.resize(start + kHeaderSize);
    uint8_t* h = out.data() + start;
    std::memcpy(h, "OggS", 4);
    h[4] = 0;
    h[5] = flags;
    put_le32(h + 6, static_cast<uint32_t>(granule));
    put_le32(h + 10, static_cast<uint32_t>(granule >> 32));
    put_le32(h + 14, serial);
    put_le32(h + 18, sequence);
    put_le32(h + 22, 0);
    h[26] = static_cast<uint8_t>(lacing.size());
    out.insert(out.end(), lacing.begin(), lacing.end());
    out.insert(out.end(), body.begin(), body.end());
    const uint32_t crc = crc32(std::span<const uint8_t>(out).subspan(start));
    put_le32(out.data() + start + 22, crc);
}

bool renumber(std::span<const uint8_t> in, uint8_t* out, uint32_t sequence) noexcept {
    const auto header = parse_header(in);
    if (!header || header->size() != in.size()) {
        return false;
    }
    std::memcpy(out, in.data(), in.size());
    // The page changes only in bytes 18-21, so its CRC changes by the CRC of a message that is
    // zero except there: the 4 changed bytes followed by the rest of the page as zeros (leading
    // zeros do not change a CRC whose initial value is 0).
    const uint32_t diff = header->sequence ^ sequence;
    uint8_t diff_bytes[4];
    put_le32(diff_bytes, diff);
    const uint32_t delta = append_zeros(crc32(diff_bytes), in.size() - 22);
    put_le32(out + 18, sequence);
    put_le32(out + 22, header->crc ^ delta);
    return true;
}

}  // namespace musicfs::ogg
