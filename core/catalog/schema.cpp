#include "catalog/schema.hpp"

#include "catalog/tag_set.hpp"
#include "util/error.hpp"

#include <array>

namespace musicfs::catalog {
namespace {

// 3 -> 4, after its SQL: packs the rows of `tags` into `tag_sets`, then drops `tags`.
void pack_tag_rows(Database& db) {
    auto rows = db.prepare(
        "SELECT track_id, source, key, value FROM tags ORDER BY track_id, source, key, idx");
    auto insert = db.prepare("INSERT INTO tag_sets (track_id, source, tags) VALUES (?, ?, ?)");
    std::int64_t track = -1;
    std::string source;
    TagList set;
    auto flush = [&] {
        if (track >= 0) insert.bind(1, track).bind(2, source).bind_blob(3, pack_tags(set)).run();
        set.clear();
    };
    while (rows.step()) {
        if (rows.int64(0) != track || rows.text(1) != source) {
            flush();
            track = rows.int64(0);
            source = rows.text(1);
        }
        set.emplace_back(rows.text(2), rows.text(3));
    }
    flush();
    db.exec("DROP TABLE tags");
}

struct Migration {
    const char* sql;
    void (*then)(Database&) = nullptr;
};

// migrations[i] takes the schema from version i to i+1. Append only; never edit a shipped one.
const std::array<Migration, kSchemaVersion> kMigrations = {{
    // 0 -> 1: origins, files, tracks, per-source tags and the materialised virtual tree.
    {R"sql(
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value ANY
) STRICT;

CREATE TABLE origins (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  type         TEXT NOT NULL,
  last_scan_ns INTEGER          -- NULL until a scan of this origin completed
) STRICT;

-- Every file seen on an origin that looks like audio. `error` is set when it could not be read
-- or parsed; such files have no track.
CREATE TABLE files (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  origin_id INTEGER NOT NULL REFERENCES origins(id) ON DELETE CASCADE,
  path      BLOB NOT NULL,      -- origin-relative; bytes, since names need not be UTF-8
  size      INTEGER NOT NULL,
  mtime_ns  INTEGER NOT NULL,
  error     TEXT,
  UNIQUE (origin_id, path)
) STRICT;

CREATE TABLE tracks (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  file_id         INTEGER NOT NULL UNIQUE REFERENCES files(id) ON DELETE CASCADE,
  format          TEXT NOT NULL,
  duration_ms     INTEGER,
  bitrate_kbps    INTEGER,
  sample_rate     INTEGER,
  channels        INTEGER,
  bits_per_sample INTEGER
) STRICT;

-- Tag values per metadata source; a multi-valued tag has one row per value (idx = order).
CREATE TABLE tags (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  source   TEXT NOT NULL,
  key      TEXT NOT NULL,
  idx      INTEGER NOT NULL,
  value    TEXT NOT NULL,
  PRIMARY KEY (track_id, source, key, idx)
) STRICT, WITHOUT ROWID;

-- The virtual tree. AUTOINCREMENT so an inode number is never reused for another path: the
-- kernel and media servers key their caches on it. Directories have no track.
CREATE TABLE nodes (
  ino      INTEGER PRIMARY KEY AUTOINCREMENT,
  parent   INTEGER NOT NULL,
  name     BLOB NOT NULL,
  track_id INTEGER REFERENCES tracks(id) ON DELETE CASCADE,
  UNIQUE (parent, name)
) STRICT;
CREATE INDEX nodes_by_parent ON nodes(parent, ino);
CREATE INDEX nodes_by_track ON nodes(track_id) WHERE track_id IS NOT NULL;

INSERT INTO nodes (ino, parent, name, track_id) VALUES (1, 0, X'', NULL);
INSERT INTO meta (key, value) VALUES ('tree_generation', 0), ('tree_built_ns', 0);
)sql"},
    // 1 -> 2: the user's overlay (tags under source 'user', pictures), and a change journal
    // that tells a running daemon what the kernel must forget.
    {R"sql(
-- A local origin's directory, so that `musicfs tag` can find the track of an original file.
ALTER TABLE origins ADD COLUMN local_root TEXT;

-- The change sequence of the last user edit of the track; 0 when never edited.
ALTER TABLE tracks ADD COLUMN edit_seq INTEGER NOT NULL DEFAULT 0;

-- Embedded pictures per source; the user's ('user') replace the file's when present.
CREATE TABLE pictures (
  track_id    INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  source      TEXT NOT NULL,
  idx         INTEGER NOT NULL,
  type        INTEGER NOT NULL,
  mime        TEXT NOT NULL,
  description TEXT NOT NULL,
  width       INTEGER NOT NULL DEFAULT 0,
  height      INTEGER NOT NULL DEFAULT 0,
  data        BLOB NOT NULL,
  PRIMARY KEY (track_id, source, idx)
) STRICT, WITHOUT ROWID;

-- What changed, in order: a name in a directory ('entry': parent, name) or a track's bytes or
-- tags ('track': track_id). A mounted daemon follows it to invalidate the kernel's caches and
-- its own; old rows are pruned.
CREATE TABLE changes (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  kind     TEXT NOT NULL CHECK (kind IN ('entry', 'track')),
  parent   INTEGER,
  name     BLOB,
  track_id INTEGER
) STRICT;

-- Set when the overlay changed in a way that needs the tree rebuilt (an edited path field)
-- and no daemon did it yet; the next mount or scan does.
INSERT INTO meta (key, value) VALUES ('tree_dirty', 0), ('applied_change', 0);
)sql"},
    // 2 -> 3: listings read only the index. With the old index every entry also cost a table
    // lookup (root of a 10^6-track catalog: ~95 ms before, ~14 ms after).
    {R"sql(
CREATE INDEX nodes_listing ON nodes(parent, ino, name, track_id);
DROP INDEX nodes_by_parent;
)sql"},
    // 3 -> 4: a source's tags of a track in one row (tag_set.hpp) instead of one row per
    // value: a scan writes one row per track and source instead of ~15, and the catalog is
    // about a third smaller.
    {R"sql(
CREATE TABLE tag_sets (
  track_id INTEGER NOT NULL REFERENCES tracks(id) ON DELETE CASCADE,
  source   TEXT NOT NULL,
  tags     BLOB NOT NULL,
  PRIMARY KEY (track_id, source)
) STRICT, WITHOUT ROWID;
)sql", pack_tag_rows},
    // 4 -> 5: a track's node carries what a listing with attributes shows (its file's size and
    // mtime, the track's format and edit), so that READDIRPLUS reads only the listing index
    // and LOOKUP and GETATTR only a node's row. Before, each entry cost two more b-tree seeks
    // (tracks, files): a cold `find` over 10^5 tracks took the daemon ~430 ms of CPU instead
    // of ~315. Triggers keep the copies in step with every change of the columns they copy.
    {R"sql(
ALTER TABLE nodes ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN mtime_ns INTEGER;  -- NULL for directories: the tree's build time
ALTER TABLE nodes ADD COLUMN edit_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE nodes ADD COLUMN format TEXT NOT NULL DEFAULT '';
UPDATE nodes SET (size, mtime_ns, edit_seq, format) =
  (SELECT f.size, f.mtime_ns, t.edit_seq, t.format FROM tracks t JOIN files f ON f.id = t.file_id
   WHERE t.id = nodes.track_id)
WHERE track_id IS NOT NULL;
DROP INDEX nodes_listing;
CREATE INDEX nodes_listing ON nodes(parent, ino, name, track_id, size, mtime_ns, edit_seq, format);

CREATE TRIGGER nodes_follow_files AFTER UPDATE OF size, mtime_ns ON files BEGIN
  UPDATE nodes SET size = NEW.size, mtime_ns = NEW.mtime_ns
  WHERE track_id = (SELECT id FROM tracks WHERE file_id = NEW.id);
END;
CREATE TRIGGER nodes_follow_tracks AFTER UPDATE OF format, edit_seq ON tracks BEGIN
  UPDATE nodes SET format = NEW.format, edit_seq = NEW.edit_seq WHERE track_id = NEW.id;
END;
)sql"},
    // 5 -> 6: an edit notes the tag keys it changed (meta 'edited_keys', with 'tree_dirty'), so
    // that an edit no path reads does not rebuild the tree. No table changes; the version keeps
    // an older musicfs, which would not note its keys, from editing this catalog. An edit it
    // left pending has no keys: unknown, it rebuilds.
    {R"sql(
DELETE FROM meta WHERE key = 'edited_keys';
)sql"},
}};

int read_version(Database& db) {
    db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
    auto st = db.prepare("SELECT version FROM schema_version");
    return st.step() ? static_cast<int>(st.int64(0)) : 0;
}

}  // namespace

void migrate(Database& db, int target) {
    Transaction tx(db);
    const int version = read_version(db);
    if (version > kSchemaVersion) {
        throw UserError("catalog {} has schema version {}, newer than this musicfs ({}); "
                        "upgrade musicfs or use another --state-dir",
                        db.path(), version, kSchemaVersion);
    }
    if (version >= target) return;
    for (int v = version; v < target; ++v) {
        const Migration& m = kMigrations[static_cast<std::size_t>(v)];
        db.exec(m.sql);
        if (m.then) m.then(db);
    }
    db.exec("DELETE FROM schema_version");
    db.prepare("INSERT INTO schema_version (version) VALUES (?)").bind(1, target).run();
    tx.commit();
}

}  // namespace musicfs::catalog
