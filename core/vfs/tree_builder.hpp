#pragma once
// Materialises the virtual tree in the catalog from the tracks' effective tags.
//
// The rebuild is a diff: a node whose (parent, name, track) is unchanged keeps its inode
// number, so the kernel, media servers and anything else keyed on inodes see no change.
// Two tracks that render to the same name in one directory are told apart deterministically:
// tracks are placed in (origin, original path) order and later ones get " (2)", " (3)", ...

#include "catalog/catalog.hpp"
#include "vfs/layout.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace musicfs::vfs {

struct TreeStats {
    bool rebuilt = false;  // false: the tree was current, nothing was done
    std::int64_t kept = 0;
    std::int64_t added = 0;
    std::int64_t removed = 0;
};

// The tracks of the catalog with their effective tags and audio properties, in (origin,
// original path) order: the tree builder's input.
std::vector<TrackData> tree_input(catalog::Catalog& catalog, const std::vector<std::string>& sources);

// Pure part of the rebuild: where each track goes, collisions resolved (unit-testable).
std::vector<Placement> place_tracks(const std::vector<TrackData>& tracks, const TreeLayout& layout);

// What a tree depends on besides the tracks: when it differs from the catalog's
// tree_signature(), the tree must be rebuilt.
std::string tree_signature(const TreeLayout& layout, const std::vector<std::string>& sources);

// Whether the catalog's tree is built with this layout and these sources and no edit since can
// move a track: then, as long as no track changed either, a rebuild would change nothing.
// Edits whose keys no path reads (TreeLayout::places_by) are marked as taken in, in the
// catalog: a call may write.
bool tree_current(catalog::Catalog& catalog, const TreeLayout& layout,
                  const std::vector<std::string>& sources);

// Rebuilds the catalog's tree in one transaction.
//
// `written`, when given, is every track a scan wrote into a catalog that had none, in the order
// of Catalog::tree_tracks() and as it would read them back. The tree is then built from it
// instead of reading the tracks back (for the scan corpus, ~8 ms of a ~47 ms rebuild), provided
// the catalog still holds exactly as many tracks and tag sets and none is edited: anything
// another process did since (an edit, an import) makes the rebuild read the catalog instead.
// It is consumed either way.
TreeStats rebuild_tree(catalog::Catalog& catalog, const TreeLayout& layout,
                       const std::vector<std::string>& sources,
                       std::vector<catalog::TreeTrack>* written = nullptr);

}  // namespace musicfs::vfs
