#include "vfs/path_template.hpp"

#include "util/error.hpp"
#include "vfs/names.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace musicfs::vfs {
namespace {

bool is_field_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

std::string joined(const catalog::TagList& tags, std::string_view key) {
    std::string out;
    for (const auto& [k, v] : tags) {
        if (k != key || v.empty()) continue;
        if (!out.empty()) out += "; ";
        out += v;
    }
    return out;
}

// "3", "03", "3/12" -> "03"; "" or non-numeric -> "".
std::string padded_number(std::string_view value, int width) {
    unsigned n = 0;
    const auto* end = value.data() + value.size();
    const auto* p = value.data();
    while (p < end && *p == ' ') ++p;
    const auto [rest, ec] = std::from_chars(p, end, n);
    if (ec != std::errc() || rest == p) return {};
    std::string digits = std::to_string(n);
    if (digits.size() < static_cast<std::size_t>(width))
        digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
    return digits;
}

std::string_view basename(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// The extension of a file name including the dot, lower-cased; "" when there is none.
std::string extension_of(std::string_view name) {
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return {};
    std::string ext(name.substr(dot));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

std::string field_value(const catalog::TagList& tags, std::string_view field,
                        std::string_view original_path) {
    auto first_of = [&](std::initializer_list<std::string_view> keys, std::string_view dflt) {
        for (auto k : keys)
            if (auto v = joined(tags, k); !v.empty()) return v;
        return std::string(dflt);
    };
    if (field == "albumartist") return first_of({"albumartist", "artist"}, "Unknown Artist");
    if (field == "artist") return first_of({"artist", "albumartist"}, "Unknown Artist");
    if (field == "album") return first_of({"album"}, "Unknown Album");
    if (field == "title") {
        if (auto v = joined(tags, "title"); !v.empty()) return v;
        const auto name = basename(original_path);
        const auto ext = extension_of(name);
        return std::string(name.substr(0, name.size() - ext.size()));
    }
    if (field == "track") return padded_number(joined(tags, "tracknumber"), 2);
    if (field == "disc") return padded_number(joined(tags, "discnumber"), 2);
    if (field == "year") {
        const auto date = joined(tags, "date");
        return date.size() >= 4 ? padded_number(std::string_view(date).substr(0, 4), 4) : "";
    }
    return joined(tags, field);
}

}  // namespace

PathTemplate::PathTemplate(std::string_view text) : text_(text) {
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = text.find('/', start);
        const std::string_view comp =
            text.substr(start, slash == std::string_view::npos ? std::string_view::npos
                                                                : slash - start);
        if (comp.find_first_not_of(' ') == std::string_view::npos)
            throw UserError("template \"{}\": empty path component at byte {}", text_, start + 1);
        std::vector<Piece> pieces;
        std::string literal;
        for (std::size_t i = 0; i < comp.size(); ++i) {
            if (comp[i] != '$' || i + 1 == comp.size()) {
                literal += comp[i];
                continue;
            }
            std::string name;
            std::size_t j = i + 1;
            if (comp[j] == '$') {
                literal += '$';
                i = j;
                continue;
            }
            if (comp[j] == '{') {
                const std::size_t close = comp.find('}', j);
                if (close == std::string_view::npos) {
                    literal += comp[i];  // malformed: kept literally
                    continue;
                }
                name = comp.substr(j + 1, close - j - 1);
                j = close + 1;
            } else {
                while (j < comp.size() && is_field_char(comp[j])) name += comp[j++];
            }
            if (name.empty()) {
                literal += comp[i];
                continue;
            }
            if (!literal.empty()) pieces.push_back({false, std::move(literal)});
            literal.clear();
            pieces.push_back({true, std::move(name)});
            i = j - 1;
        }
        if (!literal.empty()) pieces.push_back({false, std::move(literal)});
        components_.push_back(std::move(pieces));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
}

std::vector<std::string> PathTemplate::render(const catalog::TagList& tags,
                                              std::string_view original_path) const {
    std::vector<std::string> out;
    out.reserve(components_.size());
    for (std::size_t c = 0; c < components_.size(); ++c) {
        std::string value;
        for (const auto& piece : components_[c])
            value += piece.is_field ? field_value(tags, piece.text, original_path) : piece.text;
        // A value may itself contain '/': it is part of one name, never a directory break.
        std::string name = sanitize_component(value, "Unknown");
        const bool last = c + 1 == components_.size();
        out.push_back(fit_name(name, last ? extension_of(basename(original_path)) : ""));
    }
    return out;
}

}  // namespace musicfs::vfs
