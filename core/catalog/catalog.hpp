#pragma once
// The catalog: everything MusicFS knows about a library, in one SQLite database.
//
// Two views of it: `Catalog` is the single writer (the scanner and the tree builder), and
// `CatalogReader` is a per-thread read-only view used by the FUSE handlers. WAL mode lets
// readers proceed while a writer commits.

#include "catalog/database.hpp"
#include "catalog/tag_set.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace musicfs::catalog {

inline constexpr std::int64_t kRootIno = 1;

struct AudioInfo {
    std::string format;
    std::int64_t duration_ms = 0;
    std::int64_t bitrate_kbps = 0;
    std::int64_t sample_rate = 0;
    std::int64_t channels = 0;
    std::int64_t bits_per_sample = 0;
};

// What the catalog remembers of a file on an origin, for incremental scans.
struct KnownFile {
    std::int64_t id = 0;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
};

// A file found on an origin, as a scan records it.
struct FoundFile {
    std::string path;  // origin-relative
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
    std::int64_t id = 0;  // its row from known_files(); 0 when the catalog does not have it yet
};

struct UnreadableFile {
    std::string origin;
    std::string path;
    std::string reason;
};

// What each node of a track shows besides its name: copied from the track and its file into
// the node, so that listings read nodes only. Triggers keep the copies in step with later
// changes of the track and the file.
struct TrackAttrs {
    std::int64_t track_id = 0;
    std::int64_t size = 0;      // its file's
    std::int64_t mtime_ns = 0;  // its file's
    std::int64_t edit_seq = 0;
    std::string format;
};

// How many tracks and tag sets the catalog holds, and how many tracks carry a user edit.
struct TrackCounts {
    std::int64_t tracks = 0;
    std::int64_t tag_sets = 0;
    std::int64_t edited = 0;
    bool operator==(const TrackCounts&) const = default;
};

// A track as the tree builder needs it.
struct TreeTrack {
    TrackAttrs attrs;
    std::string path;  // origin-relative path of its file
    PackedSets sets;   // every source's tags (effective_tags() merges them)
    AudioInfo audio;
};

// A picture of a track (embedded art, or one the user set).
struct PictureRow {
    std::uint32_t type = 3;
    std::string mime;
    std::string description;
    std::uint32_t width = 0;
    std::uint32_t height = 0;
    std::string data;
};

// One row of the change journal.
struct Change {
    std::int64_t seq = 0;
    bool is_entry = false;     // a name in a directory changed (else: a track's content)
    std::int64_t parent = 0;   // entry
    std::string name;          // entry
    std::int64_t track_id = 0; // track
};

// The metadata source name under which the user's own edits are stored. It ranks above every
// configured source.
inline constexpr const char* kUserSource = "user";

// The precedence every reader of tags uses (effective_tags(), the tree, the overlay): the
// user's edits, then the configured metadata sources in their order (highest first).
std::vector<std::string> with_user_first(const std::vector<std::string>& sources);

struct Node {
    std::int64_t ino = 0;
    std::int64_t parent = 0;
    std::string name;
    std::int64_t track_id = 0;  // 0 for directories
};

class Catalog {
public:
    // Opens or creates the catalog at `path` (creating parent directories) and migrates it.
    explicit Catalog(const std::string& path);

    Database& db() { return db_; }
    const std::string& path() const { return db_.path(); }

    // `local_root`: the origin's directory when it is one on this machine ("" otherwise).
    std::int64_t ensure_origin(const std::string& name, const std::string& type,
                               const std::string& local_root = {});
    // (origin name, local root) of the origins that are local directories.
    std::vector<std::pair<std::string, std::string>> local_origins();
    // Small integer settings in the meta table.
    std::int64_t meta_int(const std::string& key);
    void set_meta_int(const std::string& key, std::int64_t value);
    // True once a scan of the named origin has completed.
    bool origin_scanned(const std::string& name);
    void mark_origin_scanned(std::int64_t origin_id, std::int64_t when_ns);

    std::unordered_map<std::string, KnownFile> known_files(std::int64_t origin_id);

    // Records a readable track with the tags each metadata source gave (see pack_sources()),
    // replacing whatever the file had before (the user's edits stay). Call inside a
    // Transaction. Returns the track's id.
    std::int64_t put_track(std::int64_t origin_id, const FoundFile& file, const AudioInfo& info,
                           const PackedSets& sets);
    // Records a file that could not be read, with the reason. Call inside a Transaction.
    void put_unreadable(std::int64_t origin_id, const FoundFile& file, const std::string& reason);
    void remove_file(std::int64_t file_id);

    std::vector<UnreadableFile> unreadable_files();

    // Every track with its tag sets and audio properties, ordered by origin and path (the
    // tree builder's input).
    std::vector<TreeTrack> tree_tracks();
    // Reads every track and tag set: O(library).
    TrackCounts track_counts();
    bool has_tracks();

    // The whole current tree (root excluded).
    std::vector<Node> nodes();
    // A directory (`track` null) or a node of a track, whose attributes must be the catalog's
    // (tree_tracks() in the same transaction). Journals the new name unless `journal` is
    // false, which is only right when the kernel cannot know `parent` yet (a directory
    // created in the same transaction).
    std::int64_t insert_node(std::int64_t parent, const std::string& name,
                             const TrackAttrs* track, bool journal = true);
    void delete_node(std::int64_t ino);
    // The track of a file on an origin, or 0.
    std::int64_t track_of(const std::string& origin, const std::string& path);
    // Journals that a track's bytes changed (a rescan found the file changed).
    void journal_track(std::int64_t track_id);
    // Journals every edited track (its served bytes depend on the format writers, which a
    // plugin reload replaced).
    void journal_edited_tracks();
    // The user's overlay. `values` empty for a key removes that tag from served files; clear
    // (no keys: all) reverts to the file's own values. Each call journals a track change and
    // marks the tree dirty, noting the keys it edited (see edited_keys). Call inside a
    // Transaction.
    void set_user_tags(std::int64_t track_id,
                       const std::vector<std::pair<std::string, std::vector<std::string>>>& edits);
    void clear_user_tags(std::int64_t track_id, const std::vector<std::string>& keys);
    void set_user_pictures(std::int64_t track_id, const std::vector<PictureRow>& pictures);
    void clear_user_pictures(std::int64_t track_id);
    // Every tag of a track with its source, (source, key, value), by key, then source name.
    TagRows tag_rows(std::int64_t track_id);
    // A track's stored sets, (source, packed tags), for effective_tags().
    PackedSets tag_sets(std::int64_t track_id);
    // True when a user edit came after the tree was built.
    bool tree_dirty();
    // The tag keys edited since the tree was built (none when it is not dirty), or nullopt
    // when they are not known (an edit recorded by a musicfs that did not note them).
    std::optional<std::vector<std::string>> edited_keys();
    // Marks the edits since the tree was built as taken in without a rebuild: the caller
    // found that none of their keys can move a track.
    void accept_edits();
    // Drops journal rows older than the newest `keep`.
    void prune_changes(std::int64_t keep);

    // Records that a rebuild of the tree taking in every change journaled so far begins (meta
    // 'rebuilding_through'), for `musicfs tag set` to tell a daemon at work from a silent one.
    void note_rebuild_start();
    // Withdraws it after a rebuild that failed, so that `tag set` stops waiting for it.
    void withdraw_rebuild_notice();
    // Marks the tree as rebuilt from a template and sources described by `signature`: bumps
    // the generation, records the time.
    void finish_tree(std::int64_t when_ns, const std::string& signature);
    // The signature the tree was last built with ("" before the first build).
    std::string tree_signature();

private:
    // The file's id; inserts it when file.id is 0. `error` null: readable.
    std::int64_t put_file(std::int64_t origin_id, const FoundFile& file, const std::string* error);
    void note_edit(std::int64_t track_id, const std::vector<std::string>& keys);
    void put_tag_set(std::int64_t track_id, const std::string& source, std::string_view packed);
    TagList user_tags(std::int64_t track_id);
    // Stores the user's whole set (none left: removes it).
    void replace_user_tags(std::int64_t track_id, const TagList& tags);

    Database db_;
    Statement insert_file_;
    Statement update_file_;
    Statement track_of_file_;
    Statement delete_track_of_file_;
    Statement insert_track_;
    Statement update_track_;
    Statement delete_tags_;
    Statement insert_tag_;
    Statement insert_dir_;
    Statement insert_track_node_;
    Statement delete_node_;
    Statement journal_entry_;
    Statement journal_track_;
};

// Attributes of a node, as FUSE needs them.
struct NodeAttr {
    std::int64_t ino = 0;
    bool is_dir = false;
    std::int64_t size = 0;      // the original's size
    std::int64_t mtime_ns = 0;
    std::int64_t track_id = 0;  // 0 for directories
    std::int64_t edit_seq = 0;  // > 0: the user edited the track; it is served through a writer
    std::string format;         // the track's format ("flac", ...)
};

struct FileLocation {
    std::string origin;
    std::string path;
    std::int64_t track_id = 0;
};

// A read-only view for one thread. Statements are prepared once and reused.
class CatalogReader {
public:
    explicit CatalogReader(const std::string& path);

    std::optional<NodeAttr> lookup(std::int64_t parent, std::string_view name);
    std::optional<NodeAttr> getattr(std::int64_t ino);
    // Calls fn(name, attr) for the children of `parent` with ino > after_ino, in ino order,
    // until fn returns false or none is left; `name` is valid during the call only. Without
    // `with_attrs` only each entry's name, ino and is_dir are read: one scan of the listing
    // index, no join (a plain READDIR needs nothing more). Rows are read as fn takes them, so a
    // reply buffer that fills up costs no row more than it holds. fn must not list a directory
    // itself: the listing's statement is in use until this returns.
    void for_each_child(std::int64_t parent, std::int64_t after_ino, bool with_attrs,
                        const std::function<bool(std::string_view, const NodeAttr&)>& fn);
    std::optional<FileLocation> location(std::int64_t ino);
    // Effective tags of the track behind `ino` (empty for directories).
    TagList tags(std::int64_t ino, const std::vector<std::string>& sources);
    std::vector<PictureRow> pictures(std::int64_t track_id, const std::string& source);
    // The change journal after `seq`, in order, at most `limit` rows.
    std::vector<Change> changes_since(std::int64_t seq, std::size_t limit);
    std::int64_t last_change();
    // The nodes showing a track.
    std::vector<std::int64_t> nodes_of_track(std::int64_t track_id);
    // Number of tracks and their total size, for statfs.
    std::pair<std::int64_t, std::int64_t> totals();

    // A read snapshot: from begin_snapshot() to end_snapshot() every query reads the catalog
    // as it was at the first of them, in one read transaction, which spares each query the
    // locking of its own (three system calls). While a snapshot is open the WAL cannot be
    // checkpointed past it, so end it soon after the catalog changes.
    void begin_snapshot();
    void end_snapshot();
    bool in_snapshot() const { return in_snapshot_; }
    // Changes whenever another connection commits (SQLite's data_version).
    std::int64_t data_version();

private:
    NodeAttr attr_from(const Statement& st, int first_col) const;

    Database db_;
    bool in_snapshot_ = false;
    Statement lookup_;
    Statement getattr_;
    Statement readdir_;
    Statement readdir_names_;
    Statement location_;
    Statement tags_;
    Statement totals_;
    Statement pictures_;
    Statement changes_;
    Statement last_change_;
    Statement nodes_of_track_;
    Statement begin_;
    Statement commit_;
    Statement data_version_;
};

// Picks, for each key, the values of the highest-precedence source that has it, from a
// track's packed sets (source, tags) as stored in tag_sets; sources not listed rank below the
// listed ones, ties between them going to the first by name.
TagList effective_tags(const PackedSets& sets, const std::vector<std::string>& sources);

}  // namespace musicfs::catalog
