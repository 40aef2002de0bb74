#pragma once
// Materialises the virtual tree in the catalog from the tracks' effective tags.
//
// The rebuild is a diff: a node whose (parent, name, track) is unchanged keeps its inode
// number, so the kernel, media servers and anything else keyed on inodes see no change.
// Two tracks that render to the same name in one directory are told apart deterministically:
// tracks are placed in (origin, original path) order and later ones get " (2)", " (3)", ...

#include "catalog/catalog.hpp"
#include "vfs/path_template.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace musicfs::vfs {

struct TreeStats {
    std::int64_t kept = 0;
    std::int64_t added = 0;
    std::int64_t removed = 0;
};

// A track placed in the tree: its path components, the last one being the file.
struct Placement {
    std::int64_t track_id = 0;
    std::vector<std::string> components;
};

// Pure part of the rebuild: where each track goes, collisions resolved (unit-testable).
std::vector<Placement> place_tracks(const std::vector<catalog::TreeTrack>& tracks,
                                    const PathTemplate& tmpl);

// What a tree depends on besides the tracks: when it differs from the catalog's
// tree_signature(), the tree must be rebuilt.
std::string tree_signature(const PathTemplate& tmpl, const std::vector<std::string>& sources);

// Rebuilds the catalog's tree in one transaction.
TreeStats rebuild_tree(catalog::Catalog& catalog, const PathTemplate& tmpl,
                       const std::vector<std::string>& sources);

}  // namespace musicfs::vfs
