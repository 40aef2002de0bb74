#include "catalog/catalog.hpp"

#include "catalog/schema.hpp"

#include <algorithm>
#include <filesystem>

namespace musicfs::catalog {
namespace {

Database& open_and_migrate(Database& db) {
    migrate(db);
    return db;
}

std::string make_parent_dirs(const std::string& path) {
    const auto parent = std::filesystem::path(path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);
    return path;
}

// Node attributes, all in the node's row (schema version 5); a listing reads them from the
// nodes_listing index alone. Directories take the time the tree was built as their mtime.
constexpr const char* kAttrColumns =
    "n.ino, n.track_id IS NULL, n.size, "
    "COALESCE(n.mtime_ns, (SELECT value FROM meta WHERE key = 'tree_built_ns')), "
    "COALESCE(n.track_id, 0), n.edit_seq, n.format";
constexpr const char* kAttrFrom = " FROM nodes n ";

std::string attr_query(const char* where) {
    return std::string("SELECT ") + kAttrColumns + kAttrFrom + where;
}

}  // namespace

namespace {

std::size_t source_rank(const std::vector<std::string>& sources, std::string_view source) {
    return static_cast<std::size_t>(std::find(sources.begin(), sources.end(), source) -
                                    sources.begin());
}

}  // namespace

std::vector<std::string> with_user_first(const std::vector<std::string>& sources) {
    std::vector<std::string> names{kUserSource};
    for (const auto& n : sources)
        if (n != kUserSource) names.push_back(n);
    return names;
}

TagList effective_tags(const PackedSets& sets, const std::vector<std::string>& sources) {
    struct Item {
        std::string_view key, value, source;
        std::size_t rank, seq;
    };
    std::vector<Item> items;
    std::size_t seq = 0;
    for (const auto& [source, packed] : sets) {
        const std::size_t rank = source_rank(sources, source);
        for (const auto& [k, v] : tag_views(packed)) items.push_back({k, v, source, rank, seq++});
    }
    // By key; within a key the chosen source (best rank, then name, as the rows' order breaks
    // ties) comes first, its values in their order.
    std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
        if (const int c = a.key.compare(b.key); c != 0) return c < 0;
        if (a.rank != b.rank) return a.rank < b.rank;
        if (const int c = a.source.compare(b.source); c != 0) return c < 0;
        return a.seq < b.seq;
    });
    TagList out;
    for (std::size_t i = 0; i < items.size();) {
        std::size_t end = i;
        while (end < items.size() && items[end].key == items[i].key) ++end;
        for (std::size_t k = i; k < end && items[k].source == items[i].source; ++k)
            if (!items[k].value.empty()) out.emplace_back(items[k].key, items[k].value);
        i = end;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Catalog (writer)

Catalog::Catalog(const std::string& path)
    : db_(make_parent_dirs(path), Database::Mode::ReadWrite),
      // Plain statements, no RETURNING and no upserts: the scanner knows which files are new,
      // and RETURNING buffers its row in a temporary b-tree (~5 us a statement, two per track).
      insert_file_(open_and_migrate(db_).prepare(
          "INSERT INTO files (origin_id, path, size, mtime_ns, error) VALUES (?, ?, ?, ?, ?)")),
      update_file_(
          db_.prepare("UPDATE files SET size = ?2, mtime_ns = ?3, error = ?4 WHERE id = ?1")),
      track_of_file_(db_.prepare("SELECT id FROM tracks WHERE file_id = ?")),
      delete_track_of_file_(db_.prepare("DELETE FROM tracks WHERE file_id = ?")),
      insert_track_(db_.prepare(
          "INSERT INTO tracks (file_id, format, duration_ms, bitrate_kbps, sample_rate, channels, "
          "bits_per_sample) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")),
      update_track_(db_.prepare(
          "UPDATE tracks SET format = ?2, duration_ms = ?3, bitrate_kbps = ?4, sample_rate = ?5, "
          "channels = ?6, bits_per_sample = ?7 WHERE id = ?1")),
      // The sources' tags only: the user's edits outlive a change of the file.
      delete_tags_(db_.prepare("DELETE FROM tag_sets WHERE track_id = ? AND source <> 'user'")),
      insert_tag_(db_.prepare(
          "INSERT OR REPLACE INTO tag_sets (track_id, source, tags) VALUES (?, ?, ?)")),
      insert_dir_(db_.prepare("INSERT INTO nodes (parent, name) VALUES (?, ?)")),
      // The attributes come from the caller, who read them with the tracks: selecting them
      // here (two more seeks) made a scan's tree writes half again as slow.
      insert_track_node_(db_.prepare(
          "INSERT INTO nodes (parent, name, track_id, size, mtime_ns, edit_seq, format) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)")),
      delete_node_(db_.prepare("DELETE FROM nodes WHERE ino = ? RETURNING parent, name")),
      journal_entry_(db_.prepare("INSERT INTO changes (kind, parent, name) VALUES ('entry', ?, ?)")),
      journal_track_(db_.prepare("INSERT INTO changes (kind, track_id) VALUES ('track', ?)")) {}

std::int64_t Catalog::ensure_origin(const std::string& name, const std::string& type,
                                    const std::string& local_root) {
    auto st = db_.prepare(
        "INSERT INTO origins (name, type, local_root) VALUES (?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET type = excluded.type, local_root = excluded.local_root "
        "RETURNING id");
    st.bind(1, name).bind(2, type);
    if (local_root.empty())
        st.bind_null(3);
    else
        st.bind(3, local_root);
    st.step();
    return st.int64(0);
}

std::vector<std::pair<std::string, std::string>> Catalog::local_origins() {
    std::vector<std::pair<std::string, std::string>> out;
    auto st = db_.prepare("SELECT name, local_root FROM origins WHERE local_root IS NOT NULL");
    while (st.step()) out.emplace_back(std::string(st.text(0)), std::string(st.text(1)));
    return out;
}

std::int64_t Catalog::meta_int(const std::string& key) {
    auto st = db_.prepare("SELECT value FROM meta WHERE key = ?");
    st.bind(1, key);
    return st.step() ? st.int64(0) : 0;
}

void Catalog::set_meta_int(const std::string& key, std::int64_t value) {
    db_.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)")
        .bind(1, key)
        .bind(2, value)
        .run();
}

bool Catalog::origin_scanned(const std::string& name) {
    auto st = db_.prepare("SELECT last_scan_ns IS NOT NULL FROM origins WHERE name = ?");
    st.bind(1, name);
    return st.step() && st.int64(0) != 0;
}

void Catalog::mark_origin_scanned(std::int64_t origin_id, std::int64_t when_ns) {
    db_.prepare("UPDATE origins SET last_scan_ns = ? WHERE id = ?")
        .bind(1, when_ns)
        .bind(2, origin_id)
        .run();
}

std::unordered_map<std::string, KnownFile> Catalog::known_files(std::int64_t origin_id) {
    std::unordered_map<std::string, KnownFile> out;
    auto st = db_.prepare("SELECT path, id, size, mtime_ns FROM files WHERE origin_id = ?");
    st.bind(1, origin_id);
    while (st.step())
        out.emplace(std::string(st.text(0)), KnownFile{st.int64(1), st.int64(2), st.int64(3)});
    return out;
}

std::int64_t Catalog::put_file(std::int64_t origin_id, const FoundFile& file,
                              const std::string* error) {
    // A known file is found by its id (?1), a new one is (origin, path) (?1, ?2); size, mtime
    // and error follow.
    Statement& st = file.id ? update_file_.bind(1, file.id)
                            : insert_file_.bind(1, origin_id).bind_blob(2, file.path);
    const int at = file.id ? 2 : 3;
    st.bind(at, file.size).bind(at + 1, file.mtime_ns);
    if (error)
        st.bind(at + 2, *error);
    else
        st.bind_null(at + 2);
    st.run();
    return file.id ? file.id : db_.last_insert_rowid();
}

std::int64_t Catalog::put_track(std::int64_t origin_id, const FoundFile& file,
                                const AudioInfo& info, const PackedSets& sets) {
    const std::int64_t file_id = put_file(origin_id, file, nullptr);
    // A changed file keeps its track row (and so its node and inode); its values are replaced.
    std::int64_t track_id = 0;
    if (file.id) {
        track_of_file_.bind(1, file_id);
        if (track_of_file_.step()) track_id = track_of_file_.int64(0);
        track_of_file_.reset();
    }
    Statement& st = track_id ? update_track_ : insert_track_;
    st.bind(1, track_id ? track_id : file_id).bind(2, info.format);
    const std::int64_t props[] = {info.duration_ms, info.bitrate_kbps, info.sample_rate,
                                  info.channels, info.bits_per_sample};
    for (int i = 0; i < 5; ++i) {
        if (props[i] > 0)
            st.bind(3 + i, props[i]);
        else
            st.bind_null(3 + i);
    }
    st.run();
    if (track_id)
        delete_tags_.bind(1, track_id).run();
    else
        track_id = db_.last_insert_rowid();
    for (const auto& [source, packed] : sets) put_tag_set(track_id, source, packed);
    return track_id;
}

void Catalog::journal_track(std::int64_t track_id) { journal_track_.bind(1, track_id).run(); }

void Catalog::journal_edited_tracks() {
    db_.exec("INSERT INTO changes (kind, track_id) SELECT 'track', id FROM tracks "
             "WHERE edit_seq > 0");
}

void Catalog::put_unreadable(std::int64_t origin_id, const FoundFile& file,
                             const std::string& reason) {
    const std::int64_t file_id = put_file(origin_id, file, &reason);
    if (file.id) delete_track_of_file_.bind(1, file_id).run();
}

void Catalog::remove_file(std::int64_t file_id) {
    db_.prepare("DELETE FROM files WHERE id = ?").bind(1, file_id).run();
}

std::vector<UnreadableFile> Catalog::unreadable_files() {
    std::vector<UnreadableFile> out;
    auto st = db_.prepare(
        "SELECT o.name, f.path, f.error FROM files f JOIN origins o ON o.id = f.origin_id "
        "WHERE f.error IS NOT NULL ORDER BY o.name, f.path");
    while (st.step())
        out.push_back({std::string(st.text(0)), std::string(st.text(1)), std::string(st.text(2))});
    return out;
}

std::vector<TreeTrack> Catalog::tree_tracks() {
    std::vector<TreeTrack> out;
    // Files in (origin, path) order through their unique index; each track's sets by their key.
    auto st = db_.prepare(
        "SELECT t.id, f.path, g.source, g.tags, t.format, t.duration_ms, t.bitrate_kbps, "
        "t.sample_rate, t.channels, t.bits_per_sample, f.size, f.mtime_ns, t.edit_seq FROM files f "
        "JOIN tracks t ON t.file_id = f.id "
        "LEFT JOIN tag_sets g ON g.track_id = t.id "
        "ORDER BY f.origin_id, f.path, g.source");
    while (st.step()) {
        const std::int64_t id = st.int64(0);
        if (out.empty() || out.back().attrs.track_id != id) {
            AudioInfo a;
            a.format = std::string(st.text(4));
            std::int64_t* props[] = {&a.duration_ms, &a.bitrate_kbps, &a.sample_rate,
                                     &a.channels, &a.bits_per_sample};
            for (int i = 0; i < 5; ++i) *props[i] = st.is_null(5 + i) ? 0 : st.int64(5 + i);
            TrackAttrs attrs{id, st.int64(10), st.int64(11), st.int64(12), a.format};
            out.push_back({std::move(attrs), std::string(st.text(1)), {}, std::move(a)});
        }
        if (!st.is_null(2)) out.back().sets.emplace_back(st.text(2), st.text(3));
    }
    return out;
}

TrackCounts Catalog::track_counts() {
    auto st = db_.prepare(
        "SELECT count(*), (SELECT count(*) FROM tag_sets), count(*) FILTER (WHERE edit_seq > 0) "
        "FROM tracks");
    st.step();
    return {st.int64(0), st.int64(1), st.int64(2)};
}

bool Catalog::has_tracks() {
    auto st = db_.prepare("SELECT EXISTS (SELECT 1 FROM tracks)");
    st.step();
    return st.int64(0) != 0;
}

std::vector<Node> Catalog::nodes() {
    std::vector<Node> out;
    auto st = db_.prepare("SELECT ino, parent, name, track_id FROM nodes WHERE ino != 1");
    while (st.step())
        out.push_back({st.int64(0), st.int64(1), std::string(st.text(2)),
                       st.is_null(3) ? 0 : st.int64(3)});
    return out;
}

std::int64_t Catalog::insert_node(std::int64_t parent, const std::string& name,
                                  const TrackAttrs* track, bool journal) {
    if (!track) {
        insert_dir_.bind(1, parent).bind_blob(2, name).run();
    } else {
        insert_track_node_.bind(1, parent)
            .bind_blob(2, name)
            .bind(3, track->track_id)
            .bind(4, track->size)
            .bind(5, track->mtime_ns)
            .bind(6, track->edit_seq)
            .bind(7, track->format)
            .run();
    }
    const std::int64_t ino = db_.last_insert_rowid();
    if (journal) journal_entry_.bind(1, parent).bind_blob(2, name).run();
    return ino;
}

void Catalog::delete_node(std::int64_t ino) {
    delete_node_.bind(1, ino);
    if (delete_node_.step()) {
        const std::int64_t parent = delete_node_.int64(0);
        const std::string name(delete_node_.text(1));
        delete_node_.reset();
        journal_entry_.bind(1, parent).bind_blob(2, name).run();
    } else {
        delete_node_.reset();
    }
}

std::int64_t Catalog::track_of(const std::string& origin, const std::string& path) {
    auto st = db_.prepare(
        "SELECT t.id FROM tracks t JOIN files f ON f.id = t.file_id "
        "JOIN origins o ON o.id = f.origin_id WHERE o.name = ? AND f.path = ?");
    st.bind(1, origin).bind_blob(2, path);
    return st.step() ? st.int64(0) : 0;
}

void Catalog::note_edit(std::int64_t track_id, const std::vector<std::string>& keys) {
    journal_track(track_id);
    const std::int64_t seq = db_.last_insert_rowid();
    // A track left with no edit at all is served as its original again, byte for byte.
    db_.prepare(
           "UPDATE tracks SET edit_seq = CASE WHEN EXISTS (SELECT 1 FROM tag_sets WHERE "
           "track_id = ?1 AND source = 'user') OR EXISTS (SELECT 1 FROM pictures WHERE track_id = ?1 AND "
           "source = 'user') THEN ?2 ELSE 0 END WHERE id = ?1")
        .bind(1, track_id)
        .bind(2, seq)
        .run();
    // The keys edited since the tree was built, for the tree to tell whether any can move a
    // track. Unknown stays unknown until the next build.
    if (auto edited = edited_keys()) {
        edited->insert(edited->end(), keys.begin(), keys.end());
        std::sort(edited->begin(), edited->end());
        edited->erase(std::unique(edited->begin(), edited->end()), edited->end());
        std::string text;
        for (const auto& k : *edited) text += k + '\n';
        db_.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('edited_keys', ?)")
            .bind(1, text)
            .run();
    }
    db_.exec("UPDATE meta SET value = 1 WHERE key = 'tree_dirty'");
}

void Catalog::put_tag_set(std::int64_t track_id, const std::string& source,
                          std::string_view packed) {
    insert_tag_.bind(1, track_id).bind(2, source).bind_blob(3, packed).run();
}

TagList Catalog::user_tags(std::int64_t track_id) {
    auto st = db_.prepare("SELECT tags FROM tag_sets WHERE track_id = ? AND source = ?");
    st.bind(1, track_id).bind(2, kUserSource);
    return st.step() ? unpack_tags(st.text(0)) : TagList{};
}

void Catalog::replace_user_tags(std::int64_t track_id, const TagList& tags) {
    if (tags.empty())
        db_.prepare("DELETE FROM tag_sets WHERE track_id = ? AND source = ?")
            .bind(1, track_id)
            .bind(2, kUserSource)
            .run();
    else
        put_tag_set(track_id, kUserSource, pack_tags(tags));
}

void Catalog::set_user_tags(
    std::int64_t track_id,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& edits) {
    TagList tags = user_tags(track_id);
    for (const auto& [key, values] : edits) {
        std::erase_if(tags, [&](const TagValue& t) { return t.first == key; });
        // No values: one empty value, which hides the key from every lower source.
        if (values.empty()) tags.emplace_back(key, "");
        for (const auto& v : values) tags.emplace_back(key, v);
    }
    replace_user_tags(track_id, tags);
    std::vector<std::string> keys;
    for (const auto& e : edits) keys.push_back(e.first);
    note_edit(track_id, keys);
}

void Catalog::clear_user_tags(std::int64_t track_id, const std::vector<std::string>& keys) {
    TagList tags = user_tags(track_id);
    std::vector<std::string> cleared = keys;
    if (keys.empty())
        for (const auto& t : tags) cleared.push_back(t.first);
    std::erase_if(tags, [&](const TagValue& t) {
        return std::find(cleared.begin(), cleared.end(), t.first) != cleared.end();
    });
    replace_user_tags(track_id, tags);
    note_edit(track_id, cleared);
}

void Catalog::set_user_pictures(std::int64_t track_id, const std::vector<PictureRow>& pictures) {
    clear_user_pictures(track_id);
    auto ins = db_.prepare(
        "INSERT INTO pictures (track_id, source, idx, type, mime, description, width, height, "
        "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    std::int64_t idx = 0;
    for (const auto& p : pictures) {
        ins.bind(1, track_id).bind(2, kUserSource).bind(3, idx++).bind(4, p.type).bind(5, p.mime);
        ins.bind(6, p.description).bind(7, p.width).bind(8, p.height).bind_blob(9, p.data).run();
    }
    note_edit(track_id, {});  // pictures: no tag
}

void Catalog::clear_user_pictures(std::int64_t track_id) {
    db_.prepare("DELETE FROM pictures WHERE track_id = ? AND source = ?")
        .bind(1, track_id)
        .bind(2, kUserSource)
        .run();
    note_edit(track_id, {});  // pictures: no tag
}

PackedSets Catalog::tag_sets(std::int64_t track_id) {
    PackedSets out;
    auto st = db_.prepare("SELECT source, tags FROM tag_sets WHERE track_id = ?");
    st.bind(1, track_id);
    while (st.step()) out.emplace_back(st.text(0), st.text(1));
    return out;
}

TagRows Catalog::tag_rows(std::int64_t track_id) {
    TagRows out;
    for (const auto& [source, packed] : tag_sets(track_id)) append_tag_rows(source, packed, out);
    sort_tag_rows(out);
    return out;
}

bool Catalog::tree_dirty() {
    auto st = db_.prepare("SELECT value FROM meta WHERE key = 'tree_dirty'");
    return st.step() && st.int64(0) != 0;
}

std::optional<std::vector<std::string>> Catalog::edited_keys() {
    if (!tree_dirty()) return std::vector<std::string>{};
    auto st = db_.prepare("SELECT value FROM meta WHERE key = 'edited_keys'");
    if (!st.step()) return std::nullopt;
    std::vector<std::string> out;
    std::string_view text = st.text(0);
    for (std::size_t nl; (nl = text.find('\n')) != std::string_view::npos; text.remove_prefix(nl + 1))
        out.emplace_back(text.substr(0, nl));
    return out;
}

void Catalog::accept_edits() {
    db_.exec("UPDATE meta SET value = 0 WHERE key = 'tree_dirty'");
    db_.exec("DELETE FROM meta WHERE key = 'edited_keys'");
}

void Catalog::prune_changes(std::int64_t keep) {
    db_.prepare("DELETE FROM changes WHERE seq <= (SELECT max(seq) FROM changes) - ?")
        .bind(1, keep)
        .run();
}

void Catalog::note_rebuild_start() {
    db_.exec("INSERT OR REPLACE INTO meta (key, value) "
             "SELECT 'rebuilding_through', COALESCE(max(seq), 0) FROM changes");
}

void Catalog::withdraw_rebuild_notice() { set_meta_int("rebuilding_through", 0); }

void Catalog::finish_tree(std::int64_t when_ns, const std::string& signature) {
    db_.exec("UPDATE meta SET value = value + 1 WHERE key = 'tree_generation'");
    db_.prepare("UPDATE meta SET value = ? WHERE key = 'tree_built_ns'").bind(1, when_ns).run();
    db_.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('tree_signature', ?)")
        .bind(1, signature)
        .run();
    accept_edits();  // the build took them in
    // The journal only has to cover what a running daemon may not have seen yet.
    prune_changes(100'000);
}

std::string Catalog::tree_signature() {
    auto st = db_.prepare("SELECT value FROM meta WHERE key = 'tree_signature'");
    return st.step() ? std::string(st.text(0)) : std::string();
}

// ---------------------------------------------------------------------------------------------
// CatalogReader

namespace {
Database& check_version(Database& db) {
    auto st = db.prepare("SELECT version FROM schema_version");
    if (!st.step() || st.int64(0) != kSchemaVersion)
        throw DatabaseError("catalog " + db.path() + " has an unexpected schema version", 0);
    return db;
}
}  // namespace

CatalogReader::CatalogReader(const std::string& path)
    : db_(path, Database::Mode::ReadWrite),
      lookup_(check_version(db_).prepare(attr_query("WHERE n.parent = ? AND n.name = ?"))),
      getattr_(db_.prepare(attr_query("WHERE n.ino = ?"))),
      readdir_(db_.prepare("SELECT n.name, " + std::string(kAttrColumns) + kAttrFrom +
                           "WHERE n.parent = ? AND n.ino > ? ORDER BY n.ino")),
      readdir_names_(db_.prepare("SELECT n.name, n.ino, n.track_id IS NULL FROM nodes n "
                                 "WHERE n.parent = ? AND n.ino > ? ORDER BY n.ino")),
      location_(db_.prepare(
          "SELECT o.name, f.path, t.id FROM nodes n JOIN tracks t ON t.id = n.track_id "
          "JOIN files f ON f.id = t.file_id JOIN origins o ON o.id = f.origin_id "
          "WHERE n.ino = ?")),
      tags_(db_.prepare("SELECT g.source, g.tags FROM nodes n "
                        "JOIN tag_sets g ON g.track_id = n.track_id WHERE n.ino = ?")),
      totals_(db_.prepare("SELECT count(*), COALESCE(sum(f.size), 0) FROM tracks t "
                          "JOIN files f ON f.id = t.file_id")),
      pictures_(db_.prepare("SELECT type, mime, description, width, height, data FROM pictures "
                            "WHERE track_id = ? AND source = ? ORDER BY idx")),
      changes_(db_.prepare("SELECT seq, kind = 'entry', COALESCE(parent, 0), COALESCE(name, X''), "
                           "COALESCE(track_id, 0) FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")),
      last_change_(db_.prepare("SELECT COALESCE(max(seq), 0) FROM changes")),
      nodes_of_track_(db_.prepare("SELECT ino FROM nodes WHERE track_id = ?")),
      begin_(db_.prepare("BEGIN")),
      commit_(db_.prepare("COMMIT")),
      data_version_(db_.prepare("PRAGMA data_version")) {}

void CatalogReader::begin_snapshot() {
    if (in_snapshot_) return;
    begin_.run();
    in_snapshot_ = true;
}

void CatalogReader::end_snapshot() {
    if (!in_snapshot_) return;
    in_snapshot_ = false;
    commit_.run();
}

std::int64_t CatalogReader::data_version() {
    data_version_.step();
    const auto v = data_version_.int64(0);
    data_version_.reset();
    return v;
}

NodeAttr CatalogReader::attr_from(const Statement& st, int c) const {
    return NodeAttr{st.int64(c),     st.int64(c + 1) != 0, st.int64(c + 2),
                    st.int64(c + 3), st.int64(c + 4),      st.int64(c + 5),
                    std::string(st.text(c + 6))};
}

std::optional<NodeAttr> CatalogReader::lookup(std::int64_t parent, std::string_view name) {
    lookup_.bind(1, parent).bind_blob(2, name);
    std::optional<NodeAttr> out;
    if (lookup_.step()) out = attr_from(lookup_, 0);
    lookup_.reset();
    return out;
}

std::optional<NodeAttr> CatalogReader::getattr(std::int64_t ino) {
    getattr_.bind(1, ino);
    std::optional<NodeAttr> out;
    if (getattr_.step()) out = attr_from(getattr_, 0);
    getattr_.reset();
    return out;
}

void CatalogReader::for_each_child(
    std::int64_t parent, std::int64_t after_ino, bool with_attrs,
    const std::function<bool(std::string_view, const NodeAttr&)>& fn) {
    auto& st = with_attrs ? readdir_ : readdir_names_;
    st.bind(1, parent).bind(2, after_ino);
    try {
        NodeAttr attr;
        while (st.step()) {
            if (with_attrs) {
                attr = attr_from(st, 1);
            } else {
                attr.ino = st.int64(1);
                attr.is_dir = st.int64(2) != 0;
            }
            if (!fn(st.text(0), attr)) break;
        }
    } catch (...) {
        st.reset();
        throw;
    }
    st.reset();
}

std::optional<FileLocation> CatalogReader::location(std::int64_t ino) {
    location_.bind(1, ino);
    std::optional<FileLocation> out;
    if (location_.step())
        out = FileLocation{std::string(location_.text(0)), std::string(location_.text(1)),
                           location_.int64(2)};
    location_.reset();
    return out;
}

TagList CatalogReader::tags(std::int64_t ino, const std::vector<std::string>& sources) {
    tags_.bind(1, ino);
    PackedSets sets;
    while (tags_.step()) sets.emplace_back(tags_.text(0), tags_.text(1));
    tags_.reset();
    return effective_tags(sets, sources);
}

std::vector<PictureRow> CatalogReader::pictures(std::int64_t track_id, const std::string& source) {
    pictures_.bind(1, track_id).bind(2, source);
    std::vector<PictureRow> out;
    while (pictures_.step())
        out.push_back({static_cast<std::uint32_t>(pictures_.int64(0)), std::string(pictures_.text(1)),
                       std::string(pictures_.text(2)), static_cast<std::uint32_t>(pictures_.int64(3)),
                       static_cast<std::uint32_t>(pictures_.int64(4)), std::string(pictures_.text(5))});
    pictures_.reset();
    return out;
}

std::vector<Change> CatalogReader::changes_since(std::int64_t seq, std::size_t limit) {
    changes_.bind(1, seq).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Change> out;
    while (changes_.step())
        out.push_back({changes_.int64(0), changes_.int64(1) != 0, changes_.int64(2),
                       std::string(changes_.text(3)), changes_.int64(4)});
    changes_.reset();
    return out;
}

std::int64_t CatalogReader::last_change() {
    last_change_.step();
    const std::int64_t out = last_change_.int64(0);
    last_change_.reset();
    return out;
}

std::vector<std::int64_t> CatalogReader::nodes_of_track(std::int64_t track_id) {
    nodes_of_track_.bind(1, track_id);
    std::vector<std::int64_t> out;
    while (nodes_of_track_.step()) out.push_back(nodes_of_track_.int64(0));
    nodes_of_track_.reset();
    return out;
}

std::pair<std::int64_t, std::int64_t> CatalogReader::totals() {
    totals_.step();
    std::pair<std::int64_t, std::int64_t> out{totals_.int64(0), totals_.int64(1)};
    totals_.reset();
    return out;
}

}  // namespace musicfs::catalog
