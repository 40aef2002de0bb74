#include "text.hpp"

#include <array>

namespace musicfs::id3 {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one UTF-8 sequence at s[i]; advances i past it. Malformed input (overlong forms,
// surrogates, values above U+10FFFF, truncated sequences) yields U+FFFD for one byte.
char32_t next_code_point(std::string_view s, std::size_t& i) noexcept {
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
        ++i;
        return lead;
    }
    std::size_t n = 0;
    char32_t cp = 0;
    char32_t min = 0;
    if ((lead & 0xE0U) == 0xC0U) {
        n = 1;
        cp = lead & 0x1FU;
        min = 0x80;
    } else if ((lead & 0xF0U) == 0xE0U) {
        n = 2;
        cp = lead & 0x0FU;
        min = 0x800;
    } else if ((lead & 0xF8U) == 0xF0U) {
        n = 3;
        cp = lead & 0x07U;
        min = 0x10000;
    } else {
        ++i;
        return kReplacement;
    }
    if (s.size() - i <= n) {
        ++i;
        return kReplacement;
    }
    for (std::size_t k = 1; k <= n; ++k) {
        const unsigned char c = byte(i + k);
        if ((c & 0xC0U) != 0x80U) {
            ++i;
            return kReplacement;
        }
        cp = (cp << 6U) | (c & 0x3FU);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        ++i;
        return kReplacement;
    }
    i += n + 1;
    return cp;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0U | (cp >> 6U));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0U | (cp >> 12U));
        out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    } else {
        out += static_cast<char>(0xF0U | (cp >> 18U));
        out += static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU));
        out += static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU));
        out += static_cast<char>(0x80U | (cp & 0x3FU));
    }
}

void append_utf16le(std::string& out, char32_t unit) {
    out += static_cast<char>(unit & 0xFFU);
    out += static_cast<char>((unit >> 8U) & 0xFFU);
}

// Appends the clean UTF-8 of a UTF-16 code unit sequence; `big_endian` picks the byte order.
void decode_utf16(std::string& out, const std::uint8_t* data, std::size_t size, bool big_endian) {
    const auto unit_at = [&](std::size_t k) -> char32_t {
        return big_endian ? static_cast<char32_t>((data[k] << 8U) | data[k + 1])
                          : static_cast<char32_t>((data[k + 1] << 8U) | data[k]);
    };
    for (std::size_t k = 0; k + 1 < size; k += 2) {
        const char32_t u = unit_at(k);
        if (u == 0) {
            continue;
        }
        if (u >= 0xD800 && u <= 0xDBFF && k + 3 < size) {
            const char32_t low = unit_at(k + 2);
            if (low >= 0xDC00 && low <= 0xDFFF) {
                append_utf8(out, 0x10000 + ((u - 0xD800) << 10U) + (low - 0xDC00));
                k += 2;
                continue;
            }
        }
        append_utf8(out, u >= 0xD800 && u <= 0xDFFF ? kReplacement : u);
    }
}

}  // namespace

std::string clean_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t start = i;
        const char32_t cp = next_code_point(text, i);
        if (cp == 0) {
            continue;
        }
        if (cp == kReplacement && i - start == 1 && static_cast<unsigned char>(text[start]) >= 0x80) {
            append_utf8(out, kReplacement);
        } else {
            out.append(text.substr(start, i - start));
        }
    }
    return out;
}

std::string utf16_with_bom(std::string_view utf8) {
    std::string out;
    out.reserve(2 + utf8.size() * 2);
    out += '\xFF';
    out += '\xFE';
    for (std::size_t i = 0; i < utf8.size();) {
        const char32_t cp = next_code_point(utf8, i);
        if (cp >= 0x10000) {
            const char32_t v = cp - 0x10000;
            append_utf16le(out, 0xD800 + (v >> 10U));
            append_utf16le(out, 0xDC00 + (v & 0x3FFU));
        } else {
            append_utf16le(out, cp);
        }
    }
    return out;
}

std::string latin1_url(std::string_view utf8) {
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'A', 'B', 'C', 'D', 'E', 'F'};
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        const char32_t cp = next_code_point(utf8, i);
        if (cp == 0) {
            continue;
        }
        if (cp <= 0xFF) {
            out += static_cast<char>(cp);
            continue;
        }
        std::string bytes;
        append_utf8(bytes, cp);
        for (const char c : bytes) {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[b >> 4U];
            out += kHex[b & 0x0FU];
        }
    }
    return out;
}

std::string printable_ascii(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c >= 0x20 && c < 0x7F) {
            out += c;
        }
    }
    return out;
}

std::string decode_id3_text(std::uint8_t encoding, const std::uint8_t* data, std::size_t size) {
    std::string out;
    switch (encoding) {
        case 1: {
            bool big_endian = false;  // no BOM: little-endian, as most writers that omit it use
            if (size >= 2 && data[0] == 0xFE && data[1] == 0xFF) {
                big_endian = true;
                data += 2;
                size -= 2;
            } else if (size >= 2 && data[0] == 0xFF && data[1] == 0xFE) {
                data += 2;
                size -= 2;
            }
            decode_utf16(out, data, size, big_endian);
            return out;
        }
        case 2:
            decode_utf16(out, data, size, true);
            return out;
        case 3:
            return clean_utf8(std::string_view(reinterpret_cast<const char*>(data), size));
        default:
            for (std::size_t k = 0; k < size; ++k) {
                if (data[k] != 0) {
                    append_utf8(out, data[k]);
                }
            }
            return out;
    }
}

TerminatedString find_id3_terminator(std::uint8_t encoding, const std::uint8_t* data,
                                     std::size_t size) {
    if (encoding == 1 || encoding == 2) {
        for (std::size_t k = 0; k + 1 < size; k += 2) {
            if (data[k] == 0 && data[k + 1] == 0) {
                return {k, k + 2};
            }
        }
        return {size, size};
    }
    for (std::size_t k = 0; k < size; ++k) {
        if (data[k] == 0) {
            return {k, k + 1};
        }
    }
    return {size, size};
}

}  // namespace musicfs::id3
