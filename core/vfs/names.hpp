#pragma once
// Turning an evaluated template into legal, unambiguous file names, as beets does
// (beets/util/__init__.py: sanitize_path, truncate_path, legalize_path), plus the rules a
// mounted tree cannot do without.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicfs::vfs {

// Longest name most Linux file systems (and FUSE) accept, in bytes.
inline constexpr std::size_t kMaxNameBytes = 255;

// One replacement rule: every match of a regular expression (ICU syntax, compatible with
// Python's for these) in a path component is replaced by a string (Python's \1 group
// references work).
struct Replacement {
    std::string pattern;
    std::string replacement;
    bool operator==(const Replacement&) const = default;
};

// beets' default `replace:` list (config_default.yaml), applied to each component in order.
const std::vector<Replacement>& default_replacements();
// The list beets falls back to when replacements made a truncated name too long again
// (util.CHAR_REPLACE).
const std::vector<Replacement>& fallback_replacements();

class Replacements {
public:
    // Throws std::invalid_argument naming the pattern that is not a valid regular expression.
    explicit Replacements(const std::vector<Replacement>& rules);
    ~Replacements();
    Replacements(Replacements&&) noexcept;
    Replacements& operator=(Replacements&&) noexcept;

    std::string apply(std::string_view component) const;
    const std::vector<Replacement>& rules() const { return rules_; }

private:
    struct Compiled;
    struct Cache;
    static std::vector<std::unique_ptr<Compiled>> compile(const std::vector<Replacement>& rules);
    std::vector<Replacement> rules_;
    // Compiled in the constructor, which so checks them; beets' defaults, known to be valid,
    // on first use instead (under cache_'s once flag): compiling them costs ~3 ms, and a
    // mount that builds no tree, or names that skip them, never need them.
    mutable std::vector<std::unique_ptr<Compiled>> compiled_;
    // Names repeat (an artist, an album for each of its tracks): results are remembered.
    std::unique_ptr<Cache> cache_;
    bool beets_defaults_ = false;  // rules_ are default_replacements() (names.cpp: leaves_unchanged)
};

// Unicode NFC (ill-formed UTF-8 repaired first).
std::string nfc(std::string_view text);

// ASCII transliteration with ICU ("Any-Latin; Latin-ASCII"); characters it cannot write in
// ASCII are dropped. '/' keeps separating components; a '/' the transliteration produces
// (e.g. from '½') becomes `sep_replace`.
std::string asciify(std::string_view text, std::string_view sep_replace);

// beets' legalize_path for an evaluated template: '/'-separated components (empty ones
// dropped), the replacements applied to each, the lower-cased extension `ext` (".flac" or "")
// appended to the last, every component cut to `max_bytes` (keeping the extension, never
// splitting a UTF-8 character), replacements applied once more after a cut, and beets'
// fallback replacements if a cut was needed again. Then the rules a mounted tree needs
// whatever the replacements say: no control characters, no name starting with '.' (so never
// "." or ".."), no empty name.
std::vector<std::string> legalize_path(std::string_view path, const Replacements& replacements,
                                       std::size_t max_bytes, std::string_view ext);

// The k-th name (k >= 2) for a file or directory name that is already taken:
// "stem (k)" + ext, fitted to max_bytes.
std::string numbered_name(std::string_view stem, std::string_view ext, unsigned k,
                          std::size_t max_bytes = kMaxNameBytes);

// Splits "name.ext" into ("name", ".ext"); no extension for a leading-dot-only name.
std::pair<std::string, std::string> split_extension(std::string_view name);

// The extension of a file name including the dot, lower-cased; "" when there is none.
std::string lowercase_extension(std::string_view path);

}  // namespace musicfs::vfs
