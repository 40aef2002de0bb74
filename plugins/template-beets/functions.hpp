#pragma once
// beets' standard template functions (beets/library.py, DefaultTemplateFunctions) with
// Python's string semantics: lengths and slices count code points, case mappings are full
// Unicode mappings (ICU), integers are read as Python's int() reads them.
//
// %aunique and %sunique are not here: they need the whole library and live in the core
// (core/vfs/layout.hpp).

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace musicfs::template_beets {

// What beets reports as an exception ("<invalid literal for int()...>"); the host keeps the
// call as written instead.
class Error : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// A field as templates see it; nullopt when the track has no such field.
using FieldLookup = std::function<std::optional<std::string>(std::string_view name)>;

inline constexpr std::string_view kDefaultTimeFormat = "%Y-%m-%d %H:%M:%S";

std::string lower(std::string_view s);
std::string upper(std::string_view s);
std::string capitalize(std::string_view s);
// string.capwords: words split on white space runs, each capitalized, joined by one space.
std::string title(std::string_view s);
std::string left(std::string_view s, std::string_view chars);
std::string right(std::string_view s, std::string_view chars);
std::string if_(std::string_view condition, std::string_view trueval, std::string_view falseval);
std::string ifdef(std::string_view field, std::string_view trueval, std::string_view falseval,
                  const FieldLookup& lookup);
// unidecode's job done by ICU ("Any-Latin; Latin-ASCII"); '/' becomes sep_replace.
std::string asciify(std::string_view s, std::string_view sep_replace = "_");
// time.strftime(fmt, time.strptime(s, cur_fmt)).
std::string time(std::string_view s, std::string_view fmt,
                 std::string_view cur_fmt = kDefaultTimeFormat);
std::string first(std::string_view s, std::string_view count = "1", std::string_view skip = "0",
                  std::string_view sep = "; ", std::string_view join = "; ");

// Python's int(s) for a str: surrounding white space, a sign, digits with single '_' between
// them. Throws Error otherwise.
long long python_int(std::string_view s);

}  // namespace musicfs::template_beets
