#pragma once
// The UTF-8 steps the path code takes through ICU, in one place.

#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace musicfs::vfs {

// The code point at s[i], advancing i; ill-formed bytes give a negative value (one byte
// consumed). ICU's U8_NEXT macro expansion trips -Wconversion, hence the pragmas.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline UChar32 next_code_point(std::string_view s, std::size_t& i) {
    UChar32 c = 0;
    U8_NEXT(s.data(), i, s.size(), c);
    return c;
}
#pragma GCC diagnostic pop

inline icu::UnicodeString to_ustring(std::string_view s) {
    return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

inline std::string to_utf8(const icu::UnicodeString& u) {
    std::string out;
    u.toUTF8String(out);
    return out;
}

}  // namespace musicfs::vfs
