#include "vfs/names.hpp"

#include "util/utf8.hpp"

#include <string>

namespace musicfs::vfs {
namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
}  // namespace

std::string sanitize_component(std::string_view value, std::string_view fallback) {
    const std::string repaired = utf8::repair(value);
    std::string out;
    out.reserve(repaired.size());
    for (const char c : repaired) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '/')
            out += '_';
        else if (u < 0x20 || u == 0x7F)
            continue;
        else
            out += c;
    }
    std::size_t b = 0, e = out.size();
    while (b < e && is_space(out[b])) ++b;
    while (e > b && is_space(out[e - 1])) --e;
    out = out.substr(b, e - b);
    if (!out.empty() && out[0] == '.') out[0] = '_';
    if (out.empty()) return std::string(fallback);
    return out;
}

std::string fit_name(std::string_view stem, std::string_view ext, std::size_t max_bytes) {
    if (ext.size() >= max_bytes) ext = {};
    const std::size_t room = max_bytes - ext.size();
    std::string out(stem.substr(0, utf8::prefix_len(stem, room)));
    // Cutting may leave trailing whitespace; names never end in it.
    while (!out.empty() && out.back() == ' ') out.pop_back();
    if (out.empty()) out.push_back('_');
    out += ext;
    return out;
}

std::string numbered_name(std::string_view stem, std::string_view ext, unsigned k,
                          std::size_t max_bytes) {
    const std::string suffix = " (" + std::to_string(k) + ")";
    const std::size_t room = max_bytes > suffix.size() + ext.size()
                                 ? max_bytes - suffix.size() - ext.size()
                                 : 1;
    std::string head(stem.substr(0, utf8::prefix_len(stem, room)));
    return head + suffix + std::string(ext.size() < max_bytes ? ext : std::string_view{});
}

}  // namespace musicfs::vfs
