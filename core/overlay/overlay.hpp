#pragma once
// Serving edited tracks: picks the format writer for a track, gives it the effective tags and
// pictures, and caches the resulting layouts by (track, edit) so that stat, open and read of an
// edited file cost one layout, not one per call.
//
// A track the user never edited is served as the original bytes, untouched. An edited track
// whose format has no writer, or whose writer refuses it, is also served as the original (and
// logged): the edit shows in the catalog and xattrs, not in the file.

#include "catalog/catalog.hpp"
#include "origins/origin.hpp"
#include "overlay/format_writer.hpp"

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace musicfs::overlay {

// What an edited track is served as.
struct Served {
    std::shared_ptr<const Layout> layout;         // null: serve the original as is
    std::shared_ptr<const FormatWriter> writer;   // for transformed segments
};

class Overlay {
public:
    // `sources`: metadata sources in precedence order, the user's first.
    Overlay(std::vector<std::shared_ptr<const FormatWriter>> writers,
            std::vector<std::string> sources, std::size_t cache_bytes = 64u << 20);

    const std::vector<std::string>& sources() const { return sources_; }
    bool has_writers() const;

    // Serves edited tracks through `writers` from now on (a plugin reload replaced some) and
    // drops every cached layout; open files keep the layout they were opened with. Returns
    // whether any writer's plugin differs from before, which means the served bytes of every
    // edited track may have changed. [thread-safe]
    bool set_writers(std::vector<std::shared_ptr<const FormatWriter>> writers);

    // The served form of an edited track (attr.edit_seq > 0). Reads the original through
    // `origin` when the layout is not cached. [thread-safe]
    Served served(const catalog::NodeAttr& attr, catalog::CatalogReader& reader,
                  const origins::Origin& origin, const std::string& path);

    // Drops the cached layouts of a track (its tags or bytes changed). [thread-safe]
    void forget(std::int64_t track_id);

private:
    // The writer of `format` (or null), and the writers' generation it belongs to.
    std::pair<std::shared_ptr<const FormatWriter>, std::uint64_t> writer_for(
        const std::string& format) const;

    std::vector<std::string> sources_;
    std::size_t cache_bytes_;

    struct Entry {
        std::int64_t track_id;
        std::int64_t edit_seq;
        Served served;
        std::size_t bytes;
    };
    mutable std::mutex mu_;  // guards the writers and the cache below
    std::vector<std::shared_ptr<const FormatWriter>> writers_;
    std::uint64_t generation_ = 0;  // of writers_: a layout made by older writers is not cached
    std::list<Entry> lru_;  // most recently used first
    std::map<std::pair<std::int64_t, std::int64_t>, std::list<Entry>::iterator> index_;
    std::size_t cached_bytes_ = 0;
};

}  // namespace musicfs::overlay
