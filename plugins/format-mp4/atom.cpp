#include "atom.hpp"

#include <cerrno>
#include <limits>

namespace musicfs::format_mp4 {

std::string fourcc_name(FourCC type) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (int shift = 24; shift >= 0; shift -= 8) {
        const auto c = static_cast<unsigned char>(type >> static_cast<unsigned>(shift));
        if (c == 0xA9) {
            out += "\xC2\xA9";  // ©, as every MP4 tool spells it
        } else if (c >= 0x20 && c < 0x7F) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += kHex[c >> 4U];
            out += kHex[c & 0xFU];
        }
    }
    return out;
}

AtomHeader parse_header(ByteSpan bytes, std::uint64_t room, std::string_view where) {
    if (bytes.size() < 8 || room < 8) {
        throw Refusal(-EINVAL, "truncated atom header in " + std::string(where));
    }
    AtomHeader h;
    h.type = load_u32(bytes.data() + 4);
    const std::uint32_t size32 = load_u32(bytes.data());
    if (size32 == 1) {
        if (bytes.size() < 16 || room < 16) {
            throw Refusal(-EINVAL, "truncated 64-bit atom header of '" + fourcc_name(h.type) +
                                       "' in " + std::string(where));
        }
        h.header_size = 16;
        h.size = load_u64(bytes.data() + 8);
    } else if (size32 == 0) {
        h.header_size = 8;
        h.size = room;
        h.to_end = true;
    } else {
        h.header_size = 8;
        h.size = size32;
    }
    if (h.size < h.header_size) {
        throw Refusal(-EINVAL, "atom '" + fourcc_name(h.type) + "' in " + std::string(where) +
                                   " is smaller than its header");
    }
    if (h.size > room) {
        throw Refusal(-EINVAL, "atom '" + fourcc_name(h.type) + "' in " + std::string(where) +
                                   " runs past its end (" + std::to_string(h.size) + " bytes, " +
                                   std::to_string(room) + " left)");
    }
    return h;
}

Children parse_children(ByteSpan payload, std::string_view where) {
    Children children;
    std::size_t pos = 0;
    while (payload.size() - pos >= 8) {
        const ByteSpan rest = payload.subspan(pos);
        const AtomHeader h = parse_header(rest, rest.size(), where);
        const auto size = static_cast<std::size_t>(h.size);
        children.atoms.push_back(
            {h.type, pos, static_cast<std::size_t>(h.header_size), size, rest.first(size)});
        pos += size;
    }
    children.tail = payload.subspan(pos);
    return children;
}

const Atom* find_child(const Children& children, FourCC type) noexcept {
    for (const Atom& a : children.atoms) {
        if (a.type == type) {
            return &a;
        }
    }
    return nullptr;
}

std::size_t AtomWriter::begin(FourCC type) {
    const std::size_t token = out_.size();
    u32(0);
    u32(type);
    return token;
}

std::size_t AtomWriter::begin_full(FourCC type, std::uint8_t version, std::uint32_t flags) {
    const std::size_t token = begin(type);
    u32(static_cast<std::uint32_t>(version) << 24U | (flags & 0xFFFFFFU));
    return token;
}

void AtomWriter::end(std::size_t token) {
    const std::size_t size = out_.size() - token;
    if (size > std::numeric_limits<std::uint32_t>::max()) {
        throw Refusal(-EFBIG, "atom '" + fourcc_name(load_u32(out_.data() + token + 4)) +
                                  "' would be 4 GiB or more");
    }
    store_u32(out_.data() + token, static_cast<std::uint32_t>(size));
}

void AtomWriter::u16(std::uint16_t v) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8U));
    out_.push_back(static_cast<std::uint8_t>(v));
}

void AtomWriter::u32(std::uint32_t v) {
    std::uint8_t b[4];
    store_u32(b, v);
    out_.insert(out_.end(), b, b + 4);
}

void AtomWriter::u64(std::uint64_t v) {
    std::uint8_t b[8];
    store_u64(b, v);
    out_.insert(out_.end(), b, b + 8);
}

void AtomWriter::text(std::string_view s) {
    out_.insert(out_.end(), reinterpret_cast<const std::uint8_t*>(s.data()),
                reinterpret_cast<const std::uint8_t*>(s.data()) + s.size());
}

}  // namespace musicfs::format_mp4
