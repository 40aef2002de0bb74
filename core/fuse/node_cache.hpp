#pragma once
// Recently answered names, attributes and file locations, so that a repeated LOOKUP, GETATTR
// or OPEN costs a hash lookup instead of a catalog query. The kernel caches these answers
// itself for the entry/attr timeouts; this cache serves what it asks again (timeouts of 0,
// names it forgot, every open).
//
// Each entry carries the catalog generation of the snapshot it was read from and is used only
// by requests reading that same generation, so an answer read before a change is never served
// after it (see Filesystem::reader). The cache is bounded: a shard that fills up is emptied.

#include "catalog/catalog.hpp"

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace musicfs::fuse {

class NodeCache {
public:
    // At most about `capacity` entries of each kind.
    explicit NodeCache(std::size_t capacity);

    // A cached lookup: nullopt if not cached; a NodeAttr with ino 0 if cached as missing.
    std::optional<catalog::NodeAttr> lookup(std::uint64_t generation, std::int64_t parent,
                                            std::string_view name);
    void put_lookup(std::uint64_t generation, std::int64_t parent, std::string_view name,
                    const std::optional<catalog::NodeAttr>& attr);

    std::optional<catalog::NodeAttr> getattr(std::uint64_t generation, std::int64_t ino);
    void put_getattr(std::uint64_t generation, const catalog::NodeAttr& attr);

    std::optional<catalog::FileLocation> location(std::uint64_t generation, std::int64_t ino);
    void put_location(std::uint64_t generation, std::int64_t ino,
                      const catalog::FileLocation& where);

    // Where a directory's listing ends: it has no entry after this inode number.
    std::optional<std::int64_t> listing_end(std::uint64_t generation, std::int64_t dir);
    void put_listing_end(std::uint64_t generation, std::int64_t dir, std::int64_t last_ino);

private:
    template <typename T>
    struct Entry {
        std::uint64_t generation;
        T value;
    };
    struct NameKey {
        std::int64_t parent;
        std::string name;
    };
    struct NameView {
        std::int64_t parent;
        std::string_view name;
    };
    // Transparent, so that a lookup needs no std::string.
    struct NameHash {
        using is_transparent = void;
        std::size_t operator()(const NameKey& k) const noexcept { return (*this)(view(k)); }
        std::size_t operator()(const NameView& k) const noexcept;
    };
    struct NameEqual {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const noexcept {
            return view(a).parent == view(b).parent && view(a).name == view(b).name;
        }
    };
    static NameView view(const NameKey& k) noexcept { return {k.parent, k.name}; }
    static NameView view(const NameView& k) noexcept { return k; }
    struct Shard {
        std::mutex mutex;
        std::unordered_map<NameKey, Entry<catalog::NodeAttr>, NameHash, NameEqual> names;
        std::unordered_map<std::int64_t, Entry<catalog::NodeAttr>> attrs;
        std::unordered_map<std::int64_t, Entry<catalog::FileLocation>> locations;
        std::unordered_map<std::int64_t, Entry<std::int64_t>> listing_ends;
    };
    static constexpr std::size_t kShards = 16;

    Shard& shard_of(std::uint64_t hash) { return shards_[hash % kShards]; }

    std::size_t per_shard_;
    std::array<Shard, kShards> shards_;
};

}  // namespace musicfs::fuse
