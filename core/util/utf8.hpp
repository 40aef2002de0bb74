#pragma once

#include <string>
#include <string_view>

namespace musicfs::utf8 {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool valid(std::string_view s);

// Returns `s` with every ill-formed sequence replaced by U+FFFD.
std::string repair(std::string_view s);

// Length of the longest prefix of `s` of at most `max_bytes` bytes that does not split a
// UTF-8 sequence (assumes `s` is valid UTF-8).
std::size_t prefix_len(std::string_view s, std::size_t max_bytes);

}  // namespace musicfs::utf8
