#include "catalog/tag_set.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

namespace musicfs::catalog {
namespace {

void put_length(std::string& out, std::size_t n) {
    do {
        const auto low = static_cast<unsigned char>(n & 0x7f);
        n >>= 7;
        out.push_back(static_cast<char>(n ? (low | 0x80) : low));
    } while (n);
}

// Reads one length-prefixed field at `pos`, advancing it.
std::string_view take_field(std::string_view in, std::size_t& pos) {
    std::uint64_t n = 0;
    for (int shift = 0;; shift += 7) {
        if (pos >= in.size() || shift > 56) throw std::runtime_error("malformed tag set in the catalog");
        const auto byte = static_cast<unsigned char>(in[pos++]);
        n |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (!(byte & 0x80)) break;
    }
    if (n > in.size() - pos) throw std::runtime_error("malformed tag set in the catalog");
    const std::string_view field = in.substr(pos, n);
    pos += n;
    return field;
}

template <typename Fn>
void for_each_tag(std::string_view packed, Fn&& fn) {
    for (std::size_t pos = 0; pos < packed.size();) {
        const std::string_view key = take_field(packed, pos);
        const std::string_view value = take_field(packed, pos);
        fn(key, value);
    }
}

}  // namespace

std::string pack_tags(const TagList& tags) {
    std::string out;
    std::size_t bytes = 0;
    for (const auto& [k, v] : tags) bytes += k.size() + v.size() + 4;
    out.reserve(bytes);
    for (const auto& [k, v] : tags) {
        put_length(out, k.size());
        out += k;
        put_length(out, v.size());
        out += v;
    }
    return out;
}

PackedSets pack_sources(const std::vector<std::pair<std::string, TagList>>& tags_by_source) {
    PackedSets out;
    for (const auto& [source, tags] : tags_by_source)
        if (!tags.empty()) out.emplace_back(source, pack_tags(tags));
    return out;
}

TagList unpack_tags(std::string_view packed) {
    TagList out;
    for_each_tag(packed, [&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
    return out;
}

std::vector<std::pair<std::string_view, std::string_view>> tag_views(std::string_view packed) {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    for_each_tag(packed, [&](std::string_view k, std::string_view v) { out.emplace_back(k, v); });
    return out;
}

void append_tag_rows(std::string_view source, std::string_view packed, TagRows& rows) {
    for_each_tag(packed, [&](std::string_view k, std::string_view v) {
        rows.emplace_back(std::string(source), std::string(k), std::string(v));
    });
}

void sort_tag_rows(TagRows& rows) {
    std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        if (const int c = std::get<1>(a).compare(std::get<1>(b)); c != 0) return c < 0;
        return std::get<0>(a) < std::get<0>(b);
    });
}

}  // namespace musicfs::catalog
