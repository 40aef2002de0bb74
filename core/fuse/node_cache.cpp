#include "fuse/node_cache.hpp"

#include <algorithm>
#include <functional>

namespace musicfs::fuse {
namespace {

template <typename Map, typename Key>
auto find_current(Map& map, const Key& key, std::uint64_t generation)
    -> std::optional<decltype(map.begin()->second.value)> {
    const auto it = map.find(key);
    if (it == map.end() || it->second.generation != generation) return std::nullopt;
    return it->second.value;
}

template <typename Map, typename Key, typename Value>
void store(Map& map, std::size_t limit, Key&& key, std::uint64_t generation, const Value& value) {
    // Emptying a full map is cheaper than tracking recency, and a workload that cycles through
    // more names than fit gains nothing from either.
    if (map.size() >= limit) map.clear();
    map.insert_or_assign(std::forward<Key>(key), typename Map::mapped_type{generation, value});
}

}  // namespace

std::size_t NodeCache::NameHash::operator()(const NameView& k) const noexcept {
    return std::hash<std::string_view>{}(k.name) * 31 + static_cast<std::size_t>(k.parent);
}

NodeCache::NodeCache(std::size_t capacity) : per_shard_(std::max<std::size_t>(1, capacity / kShards)) {}

std::optional<catalog::NodeAttr> NodeCache::lookup(std::uint64_t generation, std::int64_t parent,
                                                   std::string_view name) {
    const NameView key{parent, name};
    auto& s = shard_of(NameHash{}(key));
    std::lock_guard lock(s.mutex);
    return find_current(s.names, key, generation);
}

void NodeCache::put_lookup(std::uint64_t generation, std::int64_t parent, std::string_view name,
                           const std::optional<catalog::NodeAttr>& attr) {
    auto& s = shard_of(NameHash{}(NameView{parent, name}));
    std::lock_guard lock(s.mutex);
    store(s.names, per_shard_, NameKey{parent, std::string(name)}, generation,
          attr.value_or(catalog::NodeAttr{}));
}

std::optional<catalog::NodeAttr> NodeCache::getattr(std::uint64_t generation, std::int64_t ino) {
    auto& s = shard_of(static_cast<std::uint64_t>(ino));
    std::lock_guard lock(s.mutex);
    return find_current(s.attrs, ino, generation);
}

void NodeCache::put_getattr(std::uint64_t generation, const catalog::NodeAttr& attr) {
    auto& s = shard_of(static_cast<std::uint64_t>(attr.ino));
    std::lock_guard lock(s.mutex);
    store(s.attrs, per_shard_, attr.ino, generation, attr);
}

std::optional<catalog::FileLocation> NodeCache::location(std::uint64_t generation,
                                                         std::int64_t ino) {
    auto& s = shard_of(static_cast<std::uint64_t>(ino));
    std::lock_guard lock(s.mutex);
    return find_current(s.locations, ino, generation);
}

void NodeCache::put_location(std::uint64_t generation, std::int64_t ino,
                             const catalog::FileLocation& where) {
    auto& s = shard_of(static_cast<std::uint64_t>(ino));
    std::lock_guard lock(s.mutex);
    store(s.locations, per_shard_, ino, generation, where);
}

std::optional<std::int64_t> NodeCache::listing_end(std::uint64_t generation, std::int64_t dir) {
    auto& s = shard_of(static_cast<std::uint64_t>(dir));
    std::lock_guard lock(s.mutex);
    return find_current(s.listing_ends, dir, generation);
}

void NodeCache::put_listing_end(std::uint64_t generation, std::int64_t dir,
                                std::int64_t last_ino) {
    auto& s = shard_of(static_cast<std::uint64_t>(dir));
    std::lock_guard lock(s.mutex);
    store(s.listing_ends, per_shard_, dir, generation, last_ino);
}

}  // namespace musicfs::fuse
