#pragma once
// The scanner: walks every origin, reads the tags of new and changed files, records them in
// the catalog and rebuilds the tree. Incremental: a file whose (size, mtime) the catalog
// already holds is not opened again.

#include "catalog/catalog.hpp"
#include "origins/origin.hpp"
#include "scanner/metadata_source.hpp"
#include "vfs/layout.hpp"
#include "vfs/tree_builder.hpp"

#include <memory>
#include <string>
#include <vector>

namespace musicfs::scanner {

struct ScanReport {
    std::int64_t files = 0;  // audio files seen on the origins
    std::int64_t added = 0;
    std::int64_t changed = 0;
    std::int64_t unchanged = 0;
    std::int64_t removed = 0;
    std::vector<catalog::UnreadableFile> unreadable;  // all unreadable files now in the catalog
    std::vector<std::string> failed_origins;          // origins whose scan failed (see the log)
    vfs::TreeStats tree;
    double seconds = 0;
};

struct ScanOptions {
    unsigned threads = 0;  // 0: one per CPU
};

// True for file names the scanner considers audio (by extension, case-insensitive).
bool looks_like_audio(std::string_view name);

class Scanner {
public:
    // `sources` are in precedence order (highest first).
    Scanner(catalog::Catalog& catalog, origins::OriginSet& origins,
            std::vector<std::unique_ptr<MetadataSource>>& sources, const vfs::TreeLayout& layout,
            ScanOptions options);

    ScanReport run();

private:
    // Unless nothing the tree depends on changed (`tracks_changed` false, the tree current).
    vfs::TreeStats rebuild_tree(bool tracks_changed);
    void scan_origin(const origins::Origin& origin, ScanReport& report);
    // Keeps what put_track() recorded, as the tree builder reads tracks back.
    void keep_written(std::int64_t origin_id, std::int64_t track_id, const catalog::FoundFile& file,
                      const catalog::AudioInfo& info, catalog::PackedSets sets);

    catalog::Catalog& catalog_;
    origins::OriginSet& origins_;
    std::vector<std::unique_ptr<MetadataSource>>& sources_;
    const vfs::TreeLayout& layout_;
    ScanOptions options_;
    // Every track this scan wrote, with its origin, while the catalog holds no others (it had
    // none when the scan began): the tree is built from it rather than read back. Off (and
    // empty) otherwise.
    bool keep_written_ = false;
    std::vector<std::pair<std::int64_t, catalog::TreeTrack>> written_;
};

}  // namespace musicfs::scanner
