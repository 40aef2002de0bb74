// Text encodings met in ID3v2 and RIFF tags: UTF-8 (what the ABI speaks), UTF-16 with or
// without a byte order mark, and ISO-8859-1. Pure functions over the standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace musicfs::id3 {

// `text` as valid UTF-8 without NUL characters: every byte that does not start a well-formed
// sequence becomes U+FFFD, and NULs are dropped (ID3v2 uses NUL to separate values, so a NUL
// inside a value would split it).
[[nodiscard]] std::string clean_utf8(std::string_view text);

// UTF-16 little-endian with a byte order mark (FF FE), for ID3v2.3's encoding 1. `utf8` must be
// clean (clean_utf8).
[[nodiscard]] std::string utf16_with_bom(std::string_view utf8);

// ISO-8859-1 for fields the ID3v2 specification keeps in Latin-1 (URLs): code points up to
// U+00FF map to one byte; others are percent-encoded as UTF-8 (RFC 3987), which is how a URL
// carries them. `utf8` must be clean.
[[nodiscard]] std::string latin1_url(std::string_view utf8);

// Printable ASCII only (MIME types, language codes); other bytes are dropped.
[[nodiscard]] std::string printable_ascii(std::string_view text);

// Decodes an ID3v2 string in `encoding` (0 Latin-1, 1 UTF-16 with BOM, 2 UTF-16BE, 3 UTF-8) to
// clean UTF-8. Unknown encodings are read as Latin-1.
[[nodiscard]] std::string decode_id3_text(std::uint8_t encoding, const std::uint8_t* data,
                                          std::size_t size);

// Length of an ID3v2 string in `encoding` starting at `data` (up to `size` bytes), without its
// terminator, and the length including the terminator (== size when there is none).
struct TerminatedString {
    std::size_t length;
    std::size_t consumed;
};
[[nodiscard]] TerminatedString find_id3_terminator(std::uint8_t encoding, const std::uint8_t* data,
                                                   std::size_t size);

}  // namespace musicfs::id3
