#include "vfs/tree_builder.hpp"

#include "util/parallel.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <stdexcept>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace musicfs::vfs {
namespace {

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Converts the catalog's tracks; what their nodes copy goes to `attrs`, by track id.
std::vector<TrackData> to_input(std::vector<catalog::TreeTrack> tracks,
                                const std::vector<std::string>& sources,
                                std::vector<catalog::TrackAttrs>* attrs) {
    std::vector<TrackData> out(tracks.size());
    // Merging the sources' tags is about half of reading the tracks back: done on every CPU.
    for_each_index(tracks.size(), 0, [&](std::size_t i) {
        auto& t = tracks[i];
        out[i] = {t.attrs.track_id, std::move(t.path), catalog::effective_tags(t.sets, sources),
                  std::move(t.audio)};
    });
    if (attrs) {
        attrs->reserve(tracks.size());
        for (auto& t : tracks) attrs->push_back(std::move(t.attrs));
        std::sort(attrs->begin(), attrs->end(),
                  [](const auto& a, const auto& b) { return a.track_id < b.track_id; });
    }
    return out;
}

// A name in a directory.
struct NodeKey {
    std::int64_t parent;
    std::string_view name;
    bool operator==(const NodeKey&) const = default;
};
struct NodeKeyHash {
    std::size_t operator()(const NodeKey& k) const noexcept {
        return std::hash<std::string_view>{}(k.name) ^
               (static_cast<std::size_t>(k.parent) * 0x9e3779b97f4a7c15ULL);
    }
};

catalog::TrackCounts counts(const std::vector<catalog::TreeTrack>& tracks) {
    catalog::TrackCounts c;
    c.tracks = static_cast<std::int64_t>(tracks.size());
    for (const auto& t : tracks) {
        c.tag_sets += static_cast<std::int64_t>(t.sets.size());
        c.edited += t.attrs.edit_seq > 0 ? 1 : 0;
    }
    return c;
}

}  // namespace

std::vector<TrackData> tree_input(catalog::Catalog& catalog, const std::vector<std::string>& sources) {
    return to_input(catalog.tree_tracks(), sources, nullptr);
}

std::vector<Placement> place_tracks(const std::vector<TrackData>& tracks, const TreeLayout& layout) {
    return layout.place(tracks);
}

std::string tree_signature(const TreeLayout& layout, const std::vector<std::string>& sources) {
    std::string sig = layout.signature();
    for (const auto& s : sources) sig += "source=" + s + "\n";
    return sig;
}

bool tree_current(catalog::Catalog& catalog, const TreeLayout& layout,
                  const std::vector<std::string>& sources) {
    if (catalog.tree_signature() != tree_signature(layout, sources)) return false;
    if (!catalog.tree_dirty()) return true;
    // Edits since the build (genres, comments, lyrics, ...) leave every path as it is unless a
    // key they changed is one a path depends on. The keys read are the keys accepted: an edit
    // committed meanwhile waits for the transaction.
    catalog::Transaction tx(catalog.db());
    const auto keys = catalog.edited_keys();
    if (!keys) return false;
    for (const auto& k : *keys)
        if (layout.places_by(k)) {
            spdlog::debug("an edit of '{}' may move tracks: the tree is rebuilt", k);
            return false;
        }
    catalog.accept_edits();
    tx.commit();
    spdlog::debug("edits of {} key(s) that no path reads: the tree stays", keys->size());
    return true;
}

TreeStats rebuild_tree(catalog::Catalog& catalog, const TreeLayout& layout,
                       const std::vector<std::string>& sources,
                       std::vector<catalog::TreeTrack>* written) {
    using Clock = std::chrono::steady_clock;
    const auto ms = [](Clock::time_point a, Clock::time_point b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
    };
    const auto start = Clock::now();
    catalog::Transaction tx(catalog.db());
    // The tracks' tags go once they are placed: at 10^6 tracks they are hundreds of MiB that
    // the writes below do not need.
    Clock::time_point read;
    std::size_t tracks = 0;
    std::vector<catalog::TrackAttrs> attrs;  // by track id
    const bool reuse = written != nullptr && catalog.track_counts() == counts(*written);
    const auto placements = [&] {
        const auto input =
            to_input(reuse ? std::move(*written) : catalog.tree_tracks(), sources, &attrs);
        if (written) *written = {};  // its memory, when it was not used
        read = Clock::now();
        tracks = input.size();
        return place_tracks(input, layout);
    }();
    const auto placed = Clock::now();

    struct Existing {
        std::int64_t ino;
        std::int64_t track_id;
        bool keep = false;
    };
    // (parent, name) -> node. The names are views into `nodes` and `placements`, which outlive
    // the map: no string is built per node or per lookup (at 10^6 tracks, ~4 million).
    const auto nodes = catalog.nodes();
    std::unordered_map<NodeKey, Existing, NodeKeyHash> existing;
    existing.reserve(nodes.size());
    for (const auto& n : nodes) existing.emplace(NodeKey{n.parent, n.name}, Existing{n.ino, n.track_id});

    TreeStats stats;
    stats.rebuilt = true;
    // Directories created by this rebuild have new inode numbers (never reused), so the kernel
    // has nothing cached under them: the names added there need no journal entry.
    std::unordered_set<std::int64_t> created_dirs;
    // Resolves a node to keep or create; an existing node of the wrong kind or track is
    // replaced (and, when it is a directory, its children become orphans removed below).
    auto attrs_of = [&](std::int64_t track_id) {
        const auto it = std::lower_bound(
            attrs.begin(), attrs.end(), track_id,
            [](const catalog::TrackAttrs& a, std::int64_t id) { return a.track_id < id; });
        // Every placed track was read with its attributes.
        if (it == attrs.end() || it->track_id != track_id)
            throw std::logic_error("placed track " + std::to_string(track_id) + " was not read");
        return &*it;
    };
    auto ensure = [&](std::int64_t parent, const std::string& name, std::int64_t track_id) {
        const NodeKey k{parent, name};
        if (auto it = existing.find(k); it != existing.end()) {
            if (it->second.keep) return it->second.ino;  // a directory placed earlier
            if (it->second.track_id == track_id) {
                it->second.keep = true;
                ++stats.kept;
                return it->second.ino;
            }
            catalog.delete_node(it->second.ino);
            ++stats.removed;
            existing.erase(it);
        }
        const std::int64_t ino = catalog.insert_node(
            parent, name, track_id ? attrs_of(track_id) : nullptr, !created_dirs.count(parent));
        if (track_id == 0) created_dirs.insert(ino);
        existing.emplace(k, Existing{ino, track_id, true});
        ++stats.added;
        return ino;
    };

    for (const auto& p : placements) {
        std::int64_t parent = catalog::kRootIno;
        for (std::size_t i = 0; i + 1 < p.components.size(); ++i)
            parent = ensure(parent, p.components[i], 0);
        ensure(parent, p.components.back(), p.track_id);
    }
    for (const auto& [k, e] : existing) {
        if (e.keep) continue;
        catalog.delete_node(e.ino);
        ++stats.removed;
    }
    catalog.finish_tree(now_ns(), tree_signature(layout, sources));
    tx.commit();
    const auto end = Clock::now();
    spdlog::debug("tree of {} tracks rebuilt in {:.1f} ms ({} {:.1f}, placed {:.1f}, "
                  "written {:.1f}): {} entries kept, {} added, {} removed",
                  tracks, ms(start, end), reuse ? "taken from the scan" : "read back",
                  ms(start, read), ms(read, placed),
                  ms(placed, end), stats.kept, stats.added, stats.removed);
    return stats;
}

}  // namespace musicfs::vfs
