#include "vfs/names.hpp"

#include "util/utf8.hpp"
#include "vfs/unicode.hpp"

#include <unicode/normalizer2.h>
#include <unicode/regex.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace musicfs::vfs {
namespace {

// Python's re.sub replacement syntax (\1, \g<1>, \g<name>, \\) in ICU's ($1, ${name}, \\).
std::string icu_replacement(std::string_view py) {
    std::string out;
    for (std::size_t i = 0; i < py.size(); ++i) {
        const char c = py[i];
        if (c == '$') {
            out += "\\$";
        } else if (c == '\\' && i + 1 < py.size()) {
            const char n = py[++i];
            if (std::isdigit(static_cast<unsigned char>(n))) {
                out += '$';
                out += n;
            } else if (n == 'g' && i + 1 < py.size() && py[i + 1] == '<') {
                const auto close = py.find('>', i + 2);
                if (close == std::string_view::npos) throw std::invalid_argument("unterminated \\g<");
                const auto name = py.substr(i + 2, close - i - 2);
                out += "${";
                out += name;
                out += '}';
                i = close;
            } else if (n == 'n') {
                out += '\n';
            } else if (n == 't') {
                out += '\t';
            } else {
                out += '\\';
                out += n;
            }
        } else if (c == '\\') {
            out += "\\\\";
        } else {
            out += c;
        }
    }
    return out;
}

std::vector<std::string_view> split_nonempty(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto slash = path.find('/', start);
        if (slash == std::string_view::npos) slash = path.size();
        if (slash > start) out.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return out;
}

std::string cut(std::string_view s, std::size_t max_bytes) {
    return std::string(s.substr(0, utf8::prefix_len(s, max_bytes)));
}

// os.path.splitext on one name: the extension starts at the last dot that is not leading.
std::pair<std::string_view, std::string_view> splitext(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos) return {name, {}};
    std::size_t lead = 0;
    while (lead < name.size() && name[lead] == '.') ++lead;
    if (dot < lead) return {name, {}};
    return {name.substr(0, dot), name.substr(dot)};
}

struct Stage {
    std::string path;
    bool truncated = false;
};

// One round of beets' _legalize_stage.
Stage legalize_stage(std::string_view path, const Replacements& replacements,
                     std::size_t max_bytes, std::string_view ext) {
    std::string joined;
    for (const auto comp : split_nonempty(path)) {
        if (!joined.empty()) joined += '/';
        joined += replacements.apply(comp);
    }
    joined += ext;
    const std::string before = joined;
    auto comps = split_nonempty(joined);
    std::string out;
    for (std::size_t i = 0; i < comps.size(); ++i) {
        if (i) out += '/';
        if (i + 1 < comps.size()) {
            out += cut(comps[i], max_bytes);
            continue;
        }
        const auto [base, e] = splitext(comps[i]);
        if (!e.empty() && e.size() < max_bytes) {
            out += cut(base, max_bytes - e.size());
            out += e;
        } else {
            out += cut(comps[i], max_bytes);
        }
    }
    return {out, out != before};
}

bool is_control(UChar32 c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

// What no name in the tree may be, whatever the replacements say.
std::string safe_name(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (std::size_t i = 0; i < name.size();) {
        const std::size_t start = i;
        const UChar32 c = next_code_point(name, i);
        if (c >= 0 && !is_control(c)) out.append(name.substr(start, i - start));
    }
    if (!out.empty() && out.front() == '.') out.front() = '_';
    if (out.empty()) out.push_back('_');
    return out;
}

}  // namespace

const std::vector<Replacement>& default_replacements() {
    static const std::vector<Replacement> rules = {
        {R"([\\/])", "_"},  {R"(^\.)", "_"},  {R"([\x00-\x1f])", "_"}, {R"([<>:"\?\*\|])", "_"},
        {R"(\.$)", "_"},    {R"(\s+$)", ""},  {R"(^\s+)", ""},         {R"(^-)", "_"},
    };
    return rules;
}

const std::vector<Replacement>& fallback_replacements() {
    static const std::vector<Replacement> rules = {
        {R"([\\/])", "_"}, {R"(^\.)", "_"}, {R"([\x00-\x1f])", ""}, {R"([<>:"\?\*\|])", "_"},
        {R"(\.$)", "_"},   {R"(\s+$)", ""},
    };
    return rules;
}

struct Replacements::Compiled {
    std::unique_ptr<icu::RegexPattern> pattern;
    icu::UnicodeString replacement;
    // A matcher is costly to make and not thread-safe: one per rule, reused under the lock.
    std::mutex mu;
    std::unique_ptr<icu::RegexMatcher> matcher;  // guarded by mu
};

namespace {

// Whether beets' default rules (default_replacements()) leave `s` as it is, decided without a
// regular expression: every rule either matches one of a few ASCII characters anywhere ('/',
// '\\', controls, <>:"?*|) or is anchored at an end ('.' or '-' or white space first; '.' or white
// space last, also before a final line terminator). White space and line terminators outside
// ASCII all start with a byte >= 0x80, so an ASCII first and last byte rule the anchored ones
// out. Valid UTF-8 only: the regular expressions would repair anything else.
bool leaves_unchanged(std::string_view s) {
    if (s.empty()) return true;
    const auto first = static_cast<unsigned char>(s.front());
    const auto last = static_cast<unsigned char>(s.back());
    if (first >= 0x80 || first == '.' || first == '-' || first == ' ') return false;
    if (last >= 0x80 || last == '.' || last == ' ') return false;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == '/' || c == '\\' || c == '<' || c == '>' || c == ':' || c == '"' ||
            c == '?' || c == '*' || c == '|')
            return false;
    }
    return musicfs::utf8::valid(s);
}

}  // namespace

struct Replacements::Cache {
    static constexpr std::size_t kMaxEntries = 1 << 16;
    std::mutex mu;
    std::unordered_map<std::string, std::string> results;  // guarded by mu
    std::once_flag compile_defaults;
};

std::vector<std::unique_ptr<Replacements::Compiled>> Replacements::compile(
    const std::vector<Replacement>& rules) {
    std::vector<std::unique_ptr<Compiled>> out;
    for (const auto& r : rules) {
        UErrorCode status = U_ZERO_ERROR;
        UParseError pe{};
        auto c = std::make_unique<Compiled>();
        c->pattern.reset(icu::RegexPattern::compile(to_ustring(r.pattern), pe, status));
        if (U_FAILURE(status))
            throw std::invalid_argument("'" + r.pattern + "' is not a valid regular expression (" +
                                        u_errorName(status) + ")");
        c->replacement = to_ustring(icu_replacement(r.replacement));
        c->matcher.reset(c->pattern->matcher(status));
        if (U_FAILURE(status))
            throw std::invalid_argument("'" + r.pattern + "': " + u_errorName(status));
        out.push_back(std::move(c));
    }
    return out;
}

Replacements::Replacements(const std::vector<Replacement>& rules)
    : rules_(rules),
      cache_(std::make_unique<Cache>()),
      beets_defaults_(rules == default_replacements()) {
    if (!beets_defaults_) compiled_ = compile(rules_);
}

Replacements::~Replacements() = default;
Replacements::Replacements(Replacements&&) noexcept = default;
Replacements& Replacements::operator=(Replacements&&) noexcept = default;

std::string Replacements::apply(std::string_view component) const {
    // Most names need nothing from beets' defaults: a file name, unique per track, would
    // otherwise cost a cache miss and eight regular expressions.
    if (beets_defaults_ && leaves_unchanged(component)) return std::string(component);
    const std::string key(component);
    {
        std::lock_guard lock(cache_->mu);
        if (const auto it = cache_->results.find(key); it != cache_->results.end()) return it->second;
    }
    if (beets_defaults_)
        std::call_once(cache_->compile_defaults, [&] { compiled_ = compile(rules_); });
    icu::UnicodeString text = to_ustring(component);
    for (const auto& c : compiled_) {
        UErrorCode status = U_ZERO_ERROR;
        std::lock_guard lock(c->mu);
        c->matcher->reset(text);
        icu::UnicodeString replaced = c->matcher->replaceAll(c->replacement, status);
        static const icu::UnicodeString kNothing;
        c->matcher->reset(kNothing);  // no reference to `text` outlives this call
        if (U_SUCCESS(status)) text = replaced;
    }
    std::string out = to_utf8(text);
    std::lock_guard lock(cache_->mu);
    if (cache_->results.size() >= Cache::kMaxEntries) cache_->results.clear();
    cache_->results.emplace(key, out);
    return out;
}

std::string nfc(std::string_view text) {
    // Most names are ASCII or already NFC: both are checked without converting to UTF-16.
    if (std::all_of(text.begin(), text.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
        return std::string(text);
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(status);
    std::string repaired = utf8::repair(text);
    if (U_FAILURE(status)) return repaired;
    if (n->isNormalizedUTF8(icu::StringPiece(repaired.data(), static_cast<int32_t>(repaired.size())),
                            status) &&
        U_SUCCESS(status))
        return repaired;
    status = U_ZERO_ERROR;
    const icu::UnicodeString out = n->normalize(to_ustring(repaired), status);
    return U_SUCCESS(status) ? to_utf8(out) : repaired;
}

std::string asciify(std::string_view text, std::string_view sep_replace) {
    thread_local std::unique_ptr<icu::Transliterator> tr = [] {
        UErrorCode status = U_ZERO_ERROR;
        std::unique_ptr<icu::Transliterator> t(icu::Transliterator::createInstance(
            "Any-Latin; Latin-ASCII", UTRANS_FORWARD, status));
        return U_SUCCESS(status) ? std::move(t) : nullptr;
    }();
    std::string out;
    for (std::size_t start = 0; start <= text.size();) {
        auto slash = text.find('/', start);
        if (slash == std::string_view::npos) slash = text.size();
        icu::UnicodeString u = to_ustring(text.substr(start, slash - start));
        if (tr) tr->transliterate(u);
        std::string part;
        for (const char c : to_utf8(u)) {
            if (static_cast<unsigned char>(c) >= 0x80) continue;  // nothing ASCII for it
            if (c == '/')
                part += sep_replace;
            else
                part += c;
        }
        out += part;
        if (slash < text.size()) out += '/';
        start = slash + 1;
    }
    return out;
}

std::vector<std::string> legalize_path(std::string_view path, const Replacements& replacements,
                                       std::size_t max_bytes, std::string_view ext) {
    const Stage first = legalize_stage(path, replacements, max_bytes, ext);
    std::string_view stem = first.path;
    if (!ext.empty() && stem.size() >= ext.size() && stem.substr(stem.size() - ext.size()) == ext)
        stem.remove_suffix(ext.size());
    // The same input gives the same result: most paths come out of the first round unchanged.
    Stage second = stem == path ? first : legalize_stage(stem, replacements, max_bytes, ext);
    if (second.truncated) {
        // Rarely needed: compiled (~2 ms) by the first name that does.
        static const Replacements fallback(fallback_replacements());
        second = legalize_stage(stem, fallback, max_bytes, ext);
    }
    std::vector<std::string> out;
    for (const auto comp : split_nonempty(second.path)) out.push_back(safe_name(comp));
    if (out.empty()) out.push_back(safe_name(ext));
    return out;
}

std::string numbered_name(std::string_view stem, std::string_view ext, unsigned k,
                          std::size_t max_bytes) {
    const std::string suffix = " (" + std::to_string(k) + ")";
    if (ext.size() + suffix.size() >= max_bytes) ext = {};
    const std::size_t room = max_bytes > suffix.size() + ext.size()
                                 ? max_bytes - suffix.size() - ext.size()
                                 : 1;
    std::string out(stem.substr(0, utf8::prefix_len(stem, room)));
    out.append(suffix);
    out.append(ext);
    return out;
}

std::pair<std::string, std::string> split_extension(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return {std::string(name), {}};
    return {std::string(name.substr(0, dot)), std::string(name.substr(dot))};
}

std::string lowercase_extension(std::string_view path) {
    const auto slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return {};
    std::string ext(name.substr(dot));
    for (char& c : ext)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return ext;
}

}  // namespace musicfs::vfs
