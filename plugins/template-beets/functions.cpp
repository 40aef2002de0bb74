#include "functions.hpp"

#include <unicode/locid.h>
#include <unicode/translit.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <ctime>
#include <memory>
#include <vector>

namespace musicfs::template_beets {
namespace {

// ICU's U8_NEXT, in one place: its expansion trips -Wconversion.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
inline UChar32 next_code_point(std::string_view s, std::size_t& i) {
    UChar32 c = 0;
    U8_NEXT(s.data(), i, s.size(), c);
    return c;
}
inline void append_code_point(std::string& out, char32_t c) {
    char buf[4];
    std::size_t n = 0;
    UBool error = false;
    U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, static_cast<UChar32>(c), error);
    if (!error) out.append(buf, n);
}
#pragma GCC diagnostic pop


icu::UnicodeString ustr(std::string_view s) {
    return icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
}

std::string utf8(const icu::UnicodeString& u) {
    std::string out;
    u.toUTF8String(out);
    return out;
}

// Code points, ill-formed bytes as U+FFFD.
std::u32string decode(std::string_view s) {
    std::u32string out;
    for (std::size_t i = 0; i < s.size();) {
        const UChar32 c = next_code_point(s, i);
        out.push_back(static_cast<char32_t>(c < 0 ? 0xFFFD : c));
    }
    return out;
}

std::string encode(std::u32string_view s) {
    std::string out;
    for (const char32_t c : s) append_code_point(out, c);
    return out;
}

// Python's s[start:stop] bounds for a sequence of `len` elements.
std::pair<std::size_t, std::size_t> slice(long long len, std::optional<long long> start,
                                          std::optional<long long> stop) {
    auto norm = [&](std::optional<long long> i, long long dflt) {
        long long v = i.value_or(dflt);
        if (v < 0) v += len;
        return std::clamp(v, 0LL, len);
    };
    const long long b = norm(start, 0), e = norm(stop, len);
    return {static_cast<std::size_t>(b), static_cast<std::size_t>(std::max(b, e))};
}

bool is_space(char32_t c) { return u_isUWhiteSpace(static_cast<UChar32>(c)) || (c >= 0x1C && c <= 0x1F); }

std::string capitalize_word(std::u32string_view w) {
    if (w.empty()) return {};
    icu::UnicodeString head = ustr(encode(w.substr(0, 1)));
    head.toTitle(nullptr, icu::Locale::getRoot(),
                 U_TITLECASE_NO_BREAK_ADJUSTMENT | U_TITLECASE_NO_LOWERCASE);
    return utf8(head) + lower(encode(w.substr(1)));
}

}  // namespace

long long python_int(std::string_view s) {
    std::size_t b = 0, e = s.size();
    auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (b < e && ws(s[b])) ++b;
    while (e > b && ws(s[e - 1])) --e;
    const std::string_view t = s.substr(b, e - b);
    std::size_t i = 0;
    bool negative = false;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) negative = t[i++] == '-';
    long long v = 0;
    bool digit = false, last_underscore = false;
    for (; i < t.size(); ++i) {
        const char c = t[i];
        if (c >= '0' && c <= '9') {
            if (v > (1LL << 60)) throw Error("int too large: '" + std::string(s) + "'");
            v = v * 10 + (c - '0');
            digit = true;
            last_underscore = false;
        } else if (c == '_' && digit && !last_underscore) {
            last_underscore = true;
        } else {
            digit = false;
            break;
        }
    }
    if (!digit || last_underscore || i != t.size())
        throw Error("invalid literal for int() with base 10: '" + std::string(s) + "'");
    return negative ? -v : v;
}

std::string lower(std::string_view s) { return utf8(ustr(s).toLower(icu::Locale::getRoot())); }

std::string upper(std::string_view s) { return utf8(ustr(s).toUpper(icu::Locale::getRoot())); }

std::string capitalize(std::string_view s) { return capitalize_word(decode(s)); }

std::string title(std::string_view s) {
    const std::u32string u = decode(s);
    std::string out;
    std::size_t i = 0;
    while (i < u.size()) {
        while (i < u.size() && is_space(u[i])) ++i;
        std::size_t j = i;
        while (j < u.size() && !is_space(u[j])) ++j;
        if (j > i) {
            if (!out.empty()) out += ' ';
            out += capitalize_word(std::u32string_view(u).substr(i, j - i));
        }
        i = j;
    }
    return out;
}

std::string left(std::string_view s, std::string_view chars) {
    const std::u32string u = decode(s);
    const auto [b, e] = slice(static_cast<long long>(u.size()), 0, python_int(chars));
    return encode(std::u32string_view(u).substr(b, e - b));
}

std::string right(std::string_view s, std::string_view chars) {
    const std::u32string u = decode(s);
    const auto [b, e] = slice(static_cast<long long>(u.size()), -python_int(chars), std::nullopt);
    return encode(std::u32string_view(u).substr(b, e - b));
}

std::string if_(std::string_view condition, std::string_view trueval, std::string_view falseval) {
    bool truth = false;
    try {
        truth = python_int(condition) != 0;
    } catch (const Error&) {
        truth = !condition.empty() && lower(condition) != "false";
    }
    return std::string(truth ? trueval : falseval);
}

std::string ifdef(std::string_view field, std::string_view trueval, std::string_view falseval,
                  const FieldLookup& lookup) {
    const auto value = lookup ? lookup(field) : std::nullopt;
    if (!value) return std::string(falseval);
    return trueval.empty() ? *value : std::string(trueval);
}

std::string asciify(std::string_view s, std::string_view sep_replace) {
    thread_local std::unique_ptr<icu::Transliterator> tr = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance(
            "Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
        return U_SUCCESS(status) ? std::move(t) : nullptr;
    }();
    if (!tr) throw Error("ICU has no Any-Latin; Latin-ASCII transliterator");
    std::string out;
    std::size_t start = 0;
    while (true) {
        const auto slash = s.find('/', start);
        icu::UnicodeString u = ustr(s.substr(start, slash == std::string_view::npos ? slash : slash - start));
        tr->transliterate(u);
        for (const char c : utf8(u)) {
            if (static_cast<unsigned char>(c) >= 0x80) continue;  // no ASCII for it: dropped
            if (c == '/')
                out += sep_replace;
            else
                out += c;
        }
        if (slash == std::string_view::npos) break;
        out += '/';
        start = slash + 1;
    }
    return out;
}

std::string time(std::string_view s, std::string_view fmt, std::string_view cur_fmt) {
    std::tm tm{};
    tm.tm_mday = 1;  // Python's defaults: 1900-01-01 00:00:00
    const std::string in(s), parse_fmt(cur_fmt), out_fmt(fmt);
    const char* end = ::strptime(in.c_str(), parse_fmt.c_str(), &tm);
    if (!end || *end != '\0')
        throw Error("time data '" + in + "' does not match format '" + parse_fmt + "'");
    if (tm.tm_year == -1900) throw Error("year 0 is out of range");  // as Python's datetime
    if (out_fmt.empty()) return {};
    std::vector<char> buf(out_fmt.size() * 4 + 64);
    for (int attempt = 0; attempt < 4; ++attempt) {
        // The format is the user's, as in beets' %time{}.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        const std::size_t n = std::strftime(buf.data(), buf.size(), out_fmt.c_str(), &tm);
#pragma GCC diagnostic pop
        if (n > 0) return std::string(buf.data(), n);
        buf.resize(buf.size() * 4);
    }
    return {};  // strftime's result is empty (or enormous)
}

std::string first(std::string_view s, std::string_view count, std::string_view skip,
                  std::string_view sep, std::string_view join) {
    const long long k = python_int(skip);
    const long long n = k + python_int(count);
    if (sep.empty()) throw Error("empty separator");
    std::vector<std::string_view> items;
    for (std::size_t start = 0;;) {
        const auto at = s.find(sep, start);
        if (at == std::string_view::npos) {
            items.push_back(s.substr(start));
            break;
        }
        items.push_back(s.substr(start, at - start));
        start = at + sep.size();
    }
    const auto [b, e] = slice(static_cast<long long>(items.size()), k, n);
    std::string out;
    for (std::size_t i = b; i < e; ++i) {
        if (i > b) out += join;
        out += items[i];
    }
    return out;
}

}  // namespace musicfs::template_beets
