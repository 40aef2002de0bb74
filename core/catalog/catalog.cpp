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

// Node attributes: directories take the time the tree was built as their mtime.
constexpr const char* kAttrColumns =
    "n.ino, n.track_id IS NULL, f.size, "
    "COALESCE(f.mtime_ns, (SELECT value FROM meta WHERE key = 'tree_built_ns'))";
constexpr const char* kAttrJoins =
    " FROM nodes n LEFT JOIN tracks t ON t.id = n.track_id LEFT JOIN files f ON f.id = t.file_id ";

std::string attr_query(const char* where) {
    return std::string("SELECT ") + kAttrColumns + kAttrJoins + where;
}

}  // namespace

TagList effective_tags(const std::vector<std::tuple<std::string, std::string, std::string>>& rows,
                       const std::vector<std::string>& sources) {
    auto rank = [&](const std::string& source) {
        const auto it = std::find(sources.begin(), sources.end(), source);
        return static_cast<std::size_t>(it - sources.begin());
    };
    TagList out;
    for (std::size_t i = 0; i < rows.size();) {
        const std::string& key = std::get<1>(rows[i]);
        std::size_t end = i;
        std::size_t best = SIZE_MAX;
        const std::string* best_source = nullptr;
        for (; end < rows.size() && std::get<1>(rows[end]) == key; ++end) {
            if (const std::size_t r = rank(std::get<0>(rows[end])); r < best) {
                best = r;
                best_source = &std::get<0>(rows[end]);
            }
        }
        for (std::size_t k = i; k < end; ++k)
            if (std::get<0>(rows[k]) == *best_source) out.emplace_back(key, std::get<2>(rows[k]));
        i = end;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Catalog (writer)

Catalog::Catalog(const std::string& path)
    : db_(make_parent_dirs(path), Database::Mode::ReadWrite),
      insert_file_(open_and_migrate(db_).prepare(
          "INSERT INTO files (origin_id, path, size, mtime_ns, error) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT (origin_id, path) DO UPDATE SET size = excluded.size, "
          "mtime_ns = excluded.mtime_ns, error = excluded.error RETURNING id")),
      delete_track_of_file_(db_.prepare("DELETE FROM tracks WHERE file_id = ?")),
      insert_track_(db_.prepare(
          "INSERT INTO tracks (file_id, format, duration_ms, bitrate_kbps, sample_rate, channels, "
          "bits_per_sample) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (file_id) DO UPDATE SET "
          "format = excluded.format, duration_ms = excluded.duration_ms, "
          "bitrate_kbps = excluded.bitrate_kbps, sample_rate = excluded.sample_rate, "
          "channels = excluded.channels, bits_per_sample = excluded.bits_per_sample "
          "RETURNING id")),
      delete_tags_(db_.prepare("DELETE FROM tags WHERE track_id = ?")),
      insert_tag_(db_.prepare(
          "INSERT INTO tags (track_id, source, key, idx, value) VALUES (?, ?, ?, ?, ?)")),
      insert_node_(db_.prepare("INSERT INTO nodes (parent, name, track_id) VALUES (?, ?, ?)")),
      delete_node_(db_.prepare("DELETE FROM nodes WHERE ino = ?")) {}

std::int64_t Catalog::ensure_origin(const std::string& name, const std::string& type) {
    auto st = db_.prepare(
        "INSERT INTO origins (name, type) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET type = excluded.type RETURNING id");
    st.bind(1, name).bind(2, type);
    st.step();
    return st.int64(0);
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

void Catalog::put_track(std::int64_t origin_id, const std::string& path, std::int64_t size,
                        std::int64_t mtime_ns, const AudioInfo& info,
                        const std::vector<std::pair<std::string, TagList>>& tags_by_source) {
    insert_file_.bind(1, origin_id).bind_blob(2, path).bind(3, size).bind(4, mtime_ns).bind_null(5);
    insert_file_.step();
    const std::int64_t file_id = insert_file_.int64(0);
    insert_file_.reset();

    // A changed file keeps its track row (and so its node and inode); its values are replaced.
    insert_track_.bind(1, file_id).bind(2, info.format);
    const std::int64_t props[] = {info.duration_ms, info.bitrate_kbps, info.sample_rate,
                                  info.channels, info.bits_per_sample};
    for (int i = 0; i < 5; ++i) {
        if (props[i] > 0)
            insert_track_.bind(3 + i, props[i]);
        else
            insert_track_.bind_null(3 + i);
    }
    insert_track_.step();
    const std::int64_t track_id = insert_track_.int64(0);
    insert_track_.reset();
    delete_tags_.bind(1, track_id).run();

    for (const auto& [source, tags] : tags_by_source) {
        std::unordered_map<std::string, std::int64_t> next_idx;
        for (const auto& [key, value] : tags) {
            insert_tag_.bind(1, track_id).bind(2, source).bind(3, key).bind(4, next_idx[key]++);
            insert_tag_.bind(5, value).run();
        }
    }
}

void Catalog::put_unreadable(std::int64_t origin_id, const std::string& path, std::int64_t size,
                             std::int64_t mtime_ns, const std::string& reason) {
    insert_file_.bind(1, origin_id).bind_blob(2, path).bind(3, size).bind(4, mtime_ns).bind(5,
                                                                                             reason);
    insert_file_.step();
    const std::int64_t file_id = insert_file_.int64(0);
    insert_file_.reset();
    delete_track_of_file_.bind(1, file_id).run();
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

std::vector<TreeTrack> Catalog::tree_tracks(const std::vector<std::string>& sources) {
    std::vector<TreeTrack> out;
    auto st = db_.prepare(
        "SELECT t.id, f.path, g.source, g.key, g.value FROM tracks t "
        "JOIN files f ON f.id = t.file_id "
        "LEFT JOIN tags g ON g.track_id = t.id "
        "ORDER BY f.origin_id, f.path, g.key, g.source, g.idx");
    std::vector<std::tuple<std::string, std::string, std::string>> rows;
    auto flush = [&] {
        if (!out.empty()) out.back().tags = effective_tags(rows, sources);
        rows.clear();
    };
    while (st.step()) {
        const std::int64_t id = st.int64(0);
        if (out.empty() || out.back().track_id != id) {
            flush();
            out.push_back({id, std::string(st.text(1)), {}});
        }
        if (!st.is_null(2))
            rows.emplace_back(std::string(st.text(2)), std::string(st.text(3)),
                              std::string(st.text(4)));
    }
    flush();
    return out;
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
                                  std::int64_t track_id) {
    insert_node_.bind(1, parent).bind_blob(2, name);
    if (track_id != 0)
        insert_node_.bind(3, track_id);
    else
        insert_node_.bind_null(3);
    insert_node_.run();
    return db_.last_insert_rowid();
}

void Catalog::delete_node(std::int64_t ino) { delete_node_.bind(1, ino).run(); }

void Catalog::finish_tree(std::int64_t when_ns, const std::string& signature) {
    db_.exec("UPDATE meta SET value = value + 1 WHERE key = 'tree_generation'");
    db_.prepare("UPDATE meta SET value = ? WHERE key = 'tree_built_ns'").bind(1, when_ns).run();
    db_.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('tree_signature', ?)")
        .bind(1, signature)
        .run();
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
      readdir_(db_.prepare("SELECT n.name, " + std::string(kAttrColumns) + kAttrJoins +
                           "WHERE n.parent = ? AND n.ino > ? ORDER BY n.ino LIMIT ?")),
      location_(db_.prepare(
          "SELECT o.name, f.path, t.id FROM nodes n JOIN tracks t ON t.id = n.track_id "
          "JOIN files f ON f.id = t.file_id JOIN origins o ON o.id = f.origin_id "
          "WHERE n.ino = ?")),
      tags_(db_.prepare(
          "SELECT g.source, g.key, g.value FROM nodes n JOIN tags g ON g.track_id = n.track_id "
          "WHERE n.ino = ? ORDER BY g.key, g.source, g.idx")),
      totals_(db_.prepare("SELECT count(*), COALESCE(sum(f.size), 0) FROM tracks t "
                          "JOIN files f ON f.id = t.file_id")) {}

NodeAttr CatalogReader::attr_from(const Statement& st, int c) const {
    return NodeAttr{st.int64(c), st.int64(c + 1) != 0, st.int64(c + 2), st.int64(c + 3)};
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

std::vector<DirEntry> CatalogReader::readdir(std::int64_t parent, std::int64_t after_ino,
                                             std::size_t limit) {
    readdir_.bind(1, parent).bind(2, after_ino).bind(3, static_cast<std::int64_t>(limit));
    std::vector<DirEntry> out;
    while (readdir_.step()) out.push_back({std::string(readdir_.text(0)), attr_from(readdir_, 1)});
    readdir_.reset();
    return out;
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
    std::vector<std::tuple<std::string, std::string, std::string>> rows;
    while (tags_.step())
        rows.emplace_back(std::string(tags_.text(0)), std::string(tags_.text(1)),
                          std::string(tags_.text(2)));
    tags_.reset();
    return effective_tags(rows, sources);
}

std::pair<std::int64_t, std::int64_t> CatalogReader::totals() {
    totals_.step();
    std::pair<std::int64_t, std::int64_t> out{totals_.int64(0), totals_.int64(1)};
    totals_.reset();
    return out;
}

}  // namespace musicfs::catalog
