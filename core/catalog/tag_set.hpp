#pragma once
// A metadata source's tags of one track as one catalog value (the `tags` column of
// `tag_sets`): a scan writes one row per track and source instead of one per value.
//
// Format: for each tag value in the source's order, the key's length in bytes (unsigned LEB128),
// the key, the value's length, the value. Keys and values are arbitrary bytes.

#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace musicfs::catalog {

// One tag value; a multi-valued tag is several TagValues with the same key, in order.
using TagValue = std::pair<std::string, std::string>;
using TagList = std::vector<TagValue>;
// (source, packed tags): a track's sets as stored.
using PackedSets = std::vector<std::pair<std::string, std::string>>;
// (source, key, value): a track's tags with their sources, as `musicfs tag get` shows them.
using TagRows = std::vector<std::tuple<std::string, std::string, std::string>>;

std::string pack_tags(const TagList& tags);
// Packs each source's tags; sources without tags are left out.
PackedSets pack_sources(const std::vector<std::pair<std::string, TagList>>& tags_by_source);
// The tags of a packed set, in order. Throws std::runtime_error on a malformed set.
TagList unpack_tags(std::string_view packed);
// The (key, value) pairs of a packed set, viewing into it.
std::vector<std::pair<std::string_view, std::string_view>> tag_views(std::string_view packed);
// Appends the packed set's values to `rows` as (source, key, value).
void append_tag_rows(std::string_view source, std::string_view packed, TagRows& rows);
// Orders rows by key, then source name, keeping each source's order of a key's values.
void sort_tag_rows(TagRows& rows);

}  // namespace musicfs::catalog
