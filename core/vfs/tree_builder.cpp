#include "vfs/tree_builder.hpp"

#include "vfs/names.hpp"

#include <chrono>
#include <map>
#include <unordered_map>
#include <unordered_set>

namespace musicfs::vfs {
namespace {

std::pair<std::string, std::string> split_ext(const std::string& name) {
    const auto dot = name.rfind('.');
    if (dot == std::string::npos || dot == 0) return {name, ""};
    return {name.substr(0, dot), name.substr(dot)};
}

// A directory of the desired tree, while placing.
struct DirSlot {
    std::map<std::string, DirSlot> dirs;
    std::unordered_set<std::string> files;
};

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

std::vector<Placement> place_tracks(const std::vector<catalog::TreeTrack>& tracks,
                                    const PathTemplate& tmpl) {
    std::vector<Placement> out;
    out.reserve(tracks.size());
    DirSlot root;
    for (const auto& track : tracks) {
        auto comps = tmpl.render(track.tags, track.path);
        DirSlot* dir = &root;
        for (std::size_t i = 0; i + 1 < comps.size(); ++i) {
            // A directory may not take a name a file already holds; it is numbered instead.
            std::string name = comps[i];
            for (unsigned k = 2; dir->files.count(name); ++k) name = numbered_name(comps[i], "", k);
            comps[i] = name;
            dir = &dir->dirs[name];
        }
        std::string& file = comps.back();
        if (dir->files.count(file) || dir->dirs.count(file)) {
            const auto [stem, ext] = split_ext(file);
            std::string candidate;
            unsigned k = 2;
            do {
                candidate = numbered_name(stem, ext, k++);
            } while (dir->files.count(candidate) || dir->dirs.count(candidate));
            file = candidate;
        }
        dir->files.insert(file);
        out.push_back({track.track_id, std::move(comps)});
    }
    return out;
}

std::string tree_signature(const PathTemplate& tmpl, const std::vector<std::string>& sources) {
    std::string sig = "template=" + tmpl.text();
    for (const auto& s : sources) sig += "\nsource=" + s;
    return sig;
}

TreeStats rebuild_tree(catalog::Catalog& catalog, const PathTemplate& tmpl,
                       const std::vector<std::string>& sources) {
    catalog::Transaction tx(catalog.db());
    const auto placements = place_tracks(catalog.tree_tracks(sources), tmpl);

    struct Existing {
        std::int64_t ino;
        std::int64_t track_id;
        bool keep = false;
    };
    // (parent, name) -> node; string key: parent ino, NUL, name.
    auto key = [](std::int64_t parent, const std::string& name) {
        std::string k = std::to_string(parent);
        k += '\0';
        k += name;
        return k;
    };
    std::unordered_map<std::string, Existing> existing;
    for (const auto& n : catalog.nodes())
        existing.emplace(key(n.parent, n.name), Existing{n.ino, n.track_id});

    TreeStats stats;
    // Resolves a node to keep or create; an existing node of the wrong kind or track is
    // replaced (and, when it is a directory, its children become orphans removed below).
    auto ensure = [&](std::int64_t parent, const std::string& name, std::int64_t track_id) {
        const auto k = key(parent, name);
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
        const std::int64_t ino = catalog.insert_node(parent, name, track_id);
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
    catalog.finish_tree(now_ns(), tree_signature(tmpl, sources));
    tx.commit();
    return stats;
}

}  // namespace musicfs::vfs
