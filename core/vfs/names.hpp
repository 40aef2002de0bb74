#pragma once
// Turning tag values into legal, unambiguous file names.

#include <cstddef>
#include <string>
#include <string_view>

namespace musicfs::vfs {

// Longest name most Linux file systems (and FUSE) accept, in bytes.
inline constexpr std::size_t kMaxNameBytes = 255;

// Makes one path component out of a rendered tag value: ill-formed UTF-8 repaired, '/' replaced
// by '_', NUL and other control characters removed, surrounding whitespace trimmed, a leading
// '.' replaced by '_' (no hidden files, never "." or ".."). Returns `fallback` when nothing is
// left.
std::string sanitize_component(std::string_view value, std::string_view fallback);

// Joins stem and extension (".flac", may be empty), cutting the stem so that the whole name
// fits in `max_bytes` without splitting a UTF-8 character.
std::string fit_name(std::string_view stem, std::string_view ext,
                     std::size_t max_bytes = kMaxNameBytes);

// The k-th name (k >= 2) for a stem that is already taken: "stem (k)" + ext, fitted.
std::string numbered_name(std::string_view stem, std::string_view ext, unsigned k,
                          std::size_t max_bytes = kMaxNameBytes);

}  // namespace musicfs::vfs
