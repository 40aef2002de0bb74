#include "vfs/query.hpp"

#include <unicode/locid.h>
#include <unicode/regex.h>
#include <unicode/unistr.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <optional>

namespace musicfs::vfs {
namespace {

enum class Kind { Substring, Regexp, Exact, Numeric, Duration, Boolean };

std::string lower(std::string_view s) {
    std::string out;
    icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())))
        .toLower(icu::Locale::getRoot())
        .toUTF8String(out);
    return out;
}

bool str2bool(std::string_view s) {
    const std::string l = lower(s);
    return l == "yes" || l == "1" || l == "true" || l == "t" || l == "y";
}

// Python's int() then float(); nullopt when neither accepts it.
std::optional<double> to_number(std::string_view s) {
    std::string t(s);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
    std::size_t b = 0;
    while (b < t.size() && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
    t = t.substr(b);
    if (t.empty()) return std::nullopt;
    char* end = nullptr;
    const double d = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size() || std::isnan(d)) return std::nullopt;
    return d;
}

// "3:07" -> 187 seconds (beets' raw_seconds_short), else a plain number.
std::optional<double> to_seconds(std::string_view s) {
    const auto colon = s.find(':');
    if (colon != std::string_view::npos) {
        const auto m = to_number(s.substr(0, colon));
        const auto sec = to_number(s.substr(colon + 1));
        if (m && sec && *m == std::floor(*m) && *sec == std::floor(*sec)) return *m * 60 + *sec;
        return std::nullopt;
    }
    return to_number(s);
}

Kind kind_of(std::string_view field) {
    const BeetsField* f = find_beets_field(field);
    if (!f) return Kind::Substring;
    switch (f->type) {
        case FieldType::Integer:
        case FieldType::Padded2:
        case FieldType::Padded4:
        case FieldType::Padded6:
        case FieldType::Float1:
        case FieldType::Bitrate:
        case FieldType::SampleRate:
        case FieldType::Id:
            return Kind::Numeric;
        case FieldType::Duration:
            return Kind::Duration;
        case FieldType::Boolean:
            return Kind::Boolean;
        case FieldType::String:
            break;
    }
    return Kind::Substring;
}

constexpr std::string_view kSearchFields[] = {"artist", "title", "comments",
                                              "album",  "albumartist", "genre"};

}  // namespace

struct TrackQuery::Term {
    bool negate = false;
    std::string field;  // empty: any of kSearchFields
    Kind kind = Kind::Substring;
    std::string pattern;
    std::string folded;  // case-folded pattern, for substrings
    std::unique_ptr<icu::RegexPattern> regex;
    std::optional<double> point, min, max;
    bool flag = false;

    bool value_match(const std::string& value) const {
        switch (kind) {
            case Kind::Substring:
                return lower(value).find(folded) != std::string::npos;
            case Kind::Exact:
                return value == pattern;
            case Kind::Regexp: {
                UErrorCode status = U_ZERO_ERROR;
                const auto text = icu::UnicodeString::fromUTF8(value);
                std::unique_ptr<icu::RegexMatcher> m(regex->matcher(text, status));
                return U_SUCCESS(status) && m->find(status) && U_SUCCESS(status);
            }
            case Kind::Boolean:
                return (leading_int(value).value_or(0) != 0) == flag;
            case Kind::Numeric:
            case Kind::Duration: {
                const double v = (kind == Kind::Duration ? to_seconds(value) : to_number(value))
                                     .value_or(0);
                if (point) return v == *point;
                if (min && v < *min) return false;
                if (max && v > *max) return false;
                return true;
            }
        }
        return false;
    }

    bool match(const TrackFields& t) const {
        bool hit = false;
        if (field.empty()) {
            for (const auto f : kSearchFields)
                if (value_match(t.raw(f).value_or(""))) {
                    hit = true;
                    break;
                }
        } else {
            const auto v = t.raw(field);
            // A numeric query needs the field; a text query sees a missing one as "".
            hit = (v || kind == Kind::Substring || kind == Kind::Regexp) && value_match(v.value_or(""));
        }
        return hit != negate;
    }
};

std::vector<std::string> shell_split(std::string_view s) {
    std::vector<std::string> out;
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word) out.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (c == '\\') {
            in_word = true;
            if (i + 1 < s.size()) word += s[++i];
        } else if (c == '\'' || c == '"') {
            in_word = true;
            const char q = c;
            std::size_t j = i + 1;
            for (; j < s.size() && s[j] != q; ++j) {
                if (q == '"' && s[j] == '\\' && j + 1 < s.size() && (s[j + 1] == '"' || s[j + 1] == '\\'))
                    ++j;
                word += s[j];
            }
            if (j >= s.size()) throw QueryError("no closing quotation");
            i = j;
        } else {
            in_word = true;
            word += c;
        }
    }
    if (in_word) out.push_back(std::move(word));
    return out;
}

TrackQuery::TrackQuery(std::string_view text) : text_(text) {
    std::string_view q = text;
    if (q == "comp") q = "comp:true";
    if (q == "singleton") q = "singleton:true";
    std::vector<std::string> parts = shell_split(q);
    parts.emplace_back(",");
    std::vector<std::unique_ptr<Term>> group;
    auto add_term = [&](std::string part) {
        // (-|\^)? then an optional "key:" (shortest, the colon not escaped), then the term.
        auto term = std::make_unique<Term>();
        std::string_view p = part;
        while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
        while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
        if (p.empty()) return;  // beets: an empty part matches everything
        if (p.front() == '-' || p.front() == '^') {
            term->negate = true;
            p.remove_prefix(1);
        }
        std::size_t colon = std::string_view::npos;
        for (std::size_t i = 1; i < p.size(); ++i) {
            if (p[i] == ' ' || p[i] == '\t') break;  // the key is \S+
            if (p[i] == ':' && p[i - 1] != '\\') {
                colon = i;
                break;
            }
        }
        std::string pattern;
        if (colon != std::string_view::npos) {
            term->field = lower(p.substr(0, colon));
            pattern = std::string(p.substr(colon + 1));
        } else {
            pattern = std::string(p);
        }
        for (std::size_t at; (at = pattern.find("\\:")) != std::string::npos;) pattern.erase(at, 1);
        term->kind = term->field.empty() ? Kind::Substring : kind_of(term->field);
        if (!pattern.empty() && pattern.front() == ':') {
            term->kind = Kind::Regexp;
            pattern.erase(0, 1);
        } else if (!pattern.empty() && pattern.front() == '=') {
            term->kind = Kind::Exact;
            pattern.erase(0, 1);
        }
        term->pattern = pattern;
        switch (term->kind) {
            case Kind::Substring:
                term->folded = lower(pattern);
                break;
            case Kind::Regexp: {
                UErrorCode status = U_ZERO_ERROR;
                UParseError pe{};
                term->regex.reset(icu::RegexPattern::compile(icu::UnicodeString::fromUTF8(pattern),
                                                             pe, status));
                if (U_FAILURE(status))
                    throw QueryError("'" + pattern + "' is not a valid regular expression (" +
                                     u_errorName(status) + ")");
                break;
            }
            case Kind::Boolean:
                term->flag = str2bool(pattern);
                break;
            case Kind::Numeric:
            case Kind::Duration: {
                auto conv = [&](std::string_view s) -> std::optional<double> {
                    if (s.empty()) return std::nullopt;
                    auto v = term->kind == Kind::Duration ? to_seconds(s) : to_number(s);
                    if (!v)
                        throw QueryError("'" + std::string(s) + "' is not a " +
                                         (term->kind == Kind::Duration ? "duration" : "number") +
                                         " (field '" + term->field + "')");
                    return v;
                };
                const auto dots = pattern.find("..");
                if (dots == std::string::npos) {
                    term->point = conv(pattern);
                    if (!term->point)
                        throw QueryError("field '" + term->field + "' needs a number or a range");
                } else {
                    term->min = conv(std::string_view(pattern).substr(0, dots));
                    term->max = conv(std::string_view(pattern).substr(dots + 2));
                }
                break;
            }
            case Kind::Exact:
                break;
        }
        group.push_back(std::move(term));
    };
    for (auto& part : parts) {
        if (!part.empty() && part.back() == ',') {
            part.pop_back();
            if (!part.empty()) add_term(std::move(part));
            groups_.push_back(std::move(group));
            group.clear();
        } else if (!part.empty() && (part.back() == '+' || part.back() == '-') && part.find(':') == std::string::npos &&
                   part.size() > 1) {
            continue;  // a sort term: meaningless for choosing a template
        } else {
            add_term(std::move(part));
        }
    }
}

TrackQuery::~TrackQuery() = default;
TrackQuery::TrackQuery(TrackQuery&&) noexcept = default;
TrackQuery& TrackQuery::operator=(TrackQuery&&) noexcept = default;

bool TrackQuery::match(const TrackFields& track) const {
    for (const auto& group : groups_) {
        bool all = true;
        for (const auto& term : group)
            if (!term->match(track)) {
                all = false;
                break;
            }
        if (all) return true;
    }
    return false;
}

std::vector<std::string> TrackQuery::fields() const {
    std::vector<std::string> out;
    for (const auto& group : groups_)
        for (const auto& term : group) {
            if (!term->field.empty()) out.push_back(term->field);
            else out.insert(out.end(), std::begin(kSearchFields), std::end(kSearchFields));
        }
    return out;
}

}  // namespace musicfs::vfs
