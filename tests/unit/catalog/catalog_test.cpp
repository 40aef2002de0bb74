#include "catalog/catalog.hpp"

#include "catalog/schema.hpp"
#include "util/error.hpp"
#include "vfs/tree_builder.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <thread>

using namespace musicfs;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        path = fs::temp_directory_path() /
               ("musicfs-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(path);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string db() const { return (path / "sub" / "catalog.sqlite3").string(); }
};

// The file's id in the catalog, as a scan's walk learns it (0: not in the catalog).
std::int64_t known_id(catalog::Catalog& c, std::int64_t origin, const std::string& path) {
    const auto known = c.known_files(origin);
    const auto it = known.find(path);
    return it == known.end() ? 0 : it->second.id;
}

void add(catalog::Catalog& c, std::int64_t origin, const std::string& path,
         catalog::TagList tags, std::int64_t mtime = 1) {
    const auto id = known_id(c, origin, path);
    catalog::Transaction tx(c.db());
    c.put_track(origin, {path, 1000, mtime, id}, {"flac", 1000, 900, 44100, 2, 16},
                catalog::pack_sources({{"taglib", std::move(tags)}}));
    tx.commit();
}

// A catalog holding one file of the origin "music", "a.flac", with `tags` (source taglib).
struct OneTrack {
    TempDir tmp;
    catalog::Catalog c{tmp.db()};
    std::int64_t origin = c.ensure_origin("music", "local");
    std::int64_t track = 0;

    explicit OneTrack(catalog::TagList tags) {
        add(c, origin, "a.flac", std::move(tags));
        track = c.track_of("music", "a.flac");
        REQUIRE(track != 0);
    }
    // Runs an edit in its own transaction.
    template <typename F>
    void edit(F&& fn) {
        catalog::Transaction tx(c.db());
        fn();
        tx.commit();
    }
};

std::map<std::string, std::int64_t> tree_paths(catalog::CatalogReader& r, std::int64_t dir = 1,
                                                const std::string& prefix = "") {
    std::vector<std::pair<std::string, catalog::NodeAttr>> children;
    r.for_each_child(dir, 0, true, [&](std::string_view name, const catalog::NodeAttr& a) {
        children.emplace_back(name, a);
        return true;
    });
    std::map<std::string, std::int64_t> out;
    for (const auto& [name, attr] : children) {
        const std::string p = prefix + "/" + name;
        out[p] = attr.ino;
        if (attr.is_dir) out.merge(tree_paths(r, attr.ino, p));
    }
    return out;
}

// A catalog left at schema `version` by an older musicfs, with `sql` run on it.
void old_catalog(const TempDir& tmp, int version, const char* sql) {
    fs::create_directories(fs::path(tmp.db()).parent_path());
    catalog::Database db(tmp.db(), catalog::Database::Mode::ReadWrite);
    catalog::migrate(db, version);
    db.exec(sql);
}

// Nodes whose listing attributes differ from their track's and file's (schema version 5 copies
// them into the node).
std::int64_t stale_nodes(catalog::Catalog& c) {
    auto st = c.db().prepare(
        "SELECT count(*) FROM nodes n JOIN tracks t ON t.id = n.track_id "
        "JOIN files f ON f.id = t.file_id WHERE n.size IS NOT f.size OR n.mtime_ns IS NOT f.mtime_ns "
        "OR n.edit_seq IS NOT t.edit_seq OR n.format IS NOT t.format");
    REQUIRE(st.step());
    return st.int64(0);
}

}  // namespace

TEST_CASE("catalog: tracks, tree and inode numbers that survive rebuilds and reopening") {
    TempDir tmp;
    const vfs::TreeLayout tmpl(vfs::kDefaultTemplate);
    std::map<std::string, std::int64_t> before;
    {
        catalog::Catalog c(tmp.db());
        const auto o = c.ensure_origin("music", "local");
        CHECK_FALSE(c.origin_scanned("music"));
        add(c, o, "x/a.flac", {{"albumartist", "A"}, {"album", "B"}, {"title", "One"},
                               {"tracknumber", "1"}});
        add(c, o, "x/b.flac", {{"albumartist", "A"}, {"album", "B"}, {"title", "Two"},
                               {"tracknumber", "2"}});
        add(c, o, "y/c.flac", {{"artist", "C"}, {"title", "Three"}});
        const auto stats = vfs::rebuild_tree(c, tmpl, {"taglib"});
        CHECK(stats.added == 6);  // A, A/B, 2 files, C, 1 file (beets: no album, no directory)
        c.mark_origin_scanned(o, 5);
        CHECK(c.origin_scanned("music"));

        catalog::CatalogReader r(c.path());
        before = tree_paths(r);
        CHECK(before.count("/A/B/01 One.flac"));
        CHECK(before.count("/C/00 Three.flac"));
        const auto a = r.lookup(before.at("/A/B"), "02 Two.flac");
        REQUIRE(a);
        CHECK_FALSE(a->is_dir);
        CHECK(a->size == 1000);
        CHECK(r.location(a->ino)->path == "x/b.flac");
        CHECK(r.totals() == std::pair<std::int64_t, std::int64_t>{3, 3000});
        CHECK_FALSE(r.lookup(1, "nope"));
    }
    // Reopen: same tree, same inodes; a rebuild with nothing changed keeps every node.
    catalog::Catalog c(tmp.db());
    const auto o = c.ensure_origin("music", "local");
    CHECK(vfs::rebuild_tree(c, tmpl, {"taglib"}).added == 0);
    catalog::CatalogReader r(c.path());
    CHECK(tree_paths(r) == before);

    // A retagged file moves; everything else keeps its inode; the emptied directory goes.
    add(c, o, "y/c.flac", {{"artist", "D"}, {"album", "E"}, {"title", "Three"}}, 2);
    vfs::rebuild_tree(c, tmpl, {"taglib"});
    CHECK(stale_nodes(c) == 0);
    auto after = tree_paths(r);
    CHECK(after.count("/D/E/00 Three.flac"));
    CHECK_FALSE(after.count("/C"));
    CHECK(after.at("/A/B/01 One.flac") == before.at("/A/B/01 One.flac"));
    CHECK(after.at("/D/E/00 Three.flac") > before.at("/C/00 Three.flac"));

    // A changed file whose path does not change keeps its inode.
    add(c, o, "x/a.flac", {{"albumartist", "A"}, {"album", "B"}, {"title", "One"},
                           {"tracknumber", "1"}, {"genre", "Jazz"}}, 3);
    vfs::rebuild_tree(c, tmpl, {"taglib"});
    CHECK(tree_paths(r).at("/A/B/01 One.flac") == before.at("/A/B/01 One.flac"));
    CHECK(c.known_files(o).at("x/a.flac").mtime_ns == 3);

    // Unreadable files are remembered with their reason and leave the tree.
    {
        catalog::Transaction tx(c.db());
        c.put_unreadable(o, {"x/b.flac", 10, 4, known_id(c, o, "x/b.flac")}, "invalid FLAC stream");
        tx.commit();
    }
    vfs::rebuild_tree(c, tmpl, {"taglib"});
    CHECK_FALSE(tree_paths(r).count("/A/B/02 Two.flac"));
    const auto bad = c.unreadable_files();
    REQUIRE(bad.size() == 1);
    CHECK(bad[0].path == "x/b.flac");
    CHECK(bad[0].reason == "invalid FLAC stream");

    // Removing a file removes its track and its node.
    c.remove_file(c.known_files(o).at("x/a.flac").id);
    vfs::rebuild_tree(c, tmpl, {"taglib"});
    CHECK(tree_paths(r).size() == 3);  // /D, /D/E, /D/E/Three.flac
    CHECK(stale_nodes(c) == 0);
}

TEST_CASE("catalog: multi-valued tags keep their order and sources their precedence") {
    TempDir tmp;
    catalog::Catalog c(tmp.db());
    const auto o = c.ensure_origin("music", "local");
    {
        catalog::Transaction tx(c.db());
        c.put_track(o, {"a.flac", 1, 1}, {"flac"},
                    catalog::pack_sources(
                        {{"taglib", {{"artists", "Z"}, {"artists", "A"}, {"title", "file"}}},
                         {"user", {{"title", "edited"}}}}));
        tx.commit();
    }
    vfs::rebuild_tree(c, vfs::TreeLayout("$title"), {"user", "taglib"});
    catalog::CatalogReader r(c.path());
    const auto e = r.lookup(1, "edited.flac");
    REQUIRE(e);
    const auto tags = r.tags(e->ino, {"user", "taglib"});
    CHECK(tags == catalog::TagList{{"artists", "Z"}, {"artists", "A"}, {"title", "edited"}});
    CHECK(r.tags(e->ino, {"taglib", "user"}) ==
          catalog::TagList{{"artists", "Z"}, {"artists", "A"}, {"title", "file"}});
}

TEST_CASE("catalog: a catalog written by a newer musicfs is refused, not misread") {
    TempDir tmp;
    {
        catalog::Catalog c(tmp.db());
        c.db().exec("UPDATE schema_version SET version = 99");
    }
    CHECK_THROWS_AS(catalog::Catalog(tmp.db()), UserError);
}

TEST_CASE("catalog: a reader's snapshot keeps one view until it ends, and data_version sees commits") {
    TempDir tmp;
    catalog::Catalog c(tmp.db());
    const auto o = c.ensure_origin("music", "local");
    add(c, o, "a.flac", {{"title", "One"}});
    vfs::rebuild_tree(c, vfs::TreeLayout("$title"), {"taglib"});

    catalog::CatalogReader r(tmp.db());
    catalog::CatalogReader watcher(tmp.db());
    const auto version = watcher.data_version();
    r.begin_snapshot();
    CHECK(r.in_snapshot());
    CHECK(r.lookup(1, "One.flac"));

    add(c, o, "b.flac", {{"title", "Two"}});
    vfs::rebuild_tree(c, vfs::TreeLayout("$title"), {"taglib"});
    CHECK(watcher.data_version() != version);
    CHECK_FALSE(r.lookup(1, "Two.flac"));  // still the snapshot's view
    r.begin_snapshot();                    // no-op while one is open
    CHECK_FALSE(r.lookup(1, "Two.flac"));

    r.end_snapshot();
    CHECK_FALSE(r.in_snapshot());
    CHECK(r.lookup(1, "Two.flac"));  // autocommit: the latest state
    r.begin_snapshot();
    CHECK(r.lookup(1, "Two.flac"));
    r.end_snapshot();
}

TEST_CASE("catalog: the user's edits outlive a rescan of a changed file") {
    OneTrack t({{"title", "Old"}, {"genre", "Rock"}});
    auto& c = t.c;
    const auto track = t.track;
    t.edit([&] { c.set_user_tags(track, {{"genre", {"Jazz"}}}); });
    add(c, t.origin, "a.flac", {{"title", "New"}}, /*mtime=*/2);  // the file changed on its origin
    CHECK(c.track_of("music", "a.flac") == track);
    std::map<std::pair<std::string, std::string>, std::string> rows;
    for (const auto& [source, key, value] : c.tag_rows(track)) rows[{source, key}] = value;
    CHECK(rows[{"user", "genre"}] == "Jazz");
    CHECK(rows[{"taglib", "title"}] == "New");
    CHECK(rows.count({"taglib", "genre"}) == 0);  // the file's own old values are gone
}

TEST_CASE("catalog: a file keeps its row through unreadable and readable again") {
    TempDir tmp;
    catalog::Catalog c(tmp.db());
    const auto o = c.ensure_origin("music", "local");
    add(c, o, "a.flac", {{"title", "One"}});
    const auto file = known_id(c, o, "a.flac");
    REQUIRE(file != 0);
    {
        catalog::Transaction tx(c.db());
        c.put_unreadable(o, {"a.flac", 7, 2, file}, "truncated");
        tx.commit();
    }
    CHECK(c.track_of("music", "a.flac") == 0);
    CHECK(c.known_files(o).at("a.flac").size == 7);
    REQUIRE(c.unreadable_files().size() == 1);

    add(c, o, "a.flac", {{"title", "Two"}}, /*mtime=*/3);
    CHECK(known_id(c, o, "a.flac") == file);
    CHECK(c.known_files(o).size() == 1);
    CHECK(c.unreadable_files().empty());
    const auto track = c.track_of("music", "a.flac");
    REQUIRE(track != 0);
    CHECK(c.tag_rows(track) == catalog::TagRows{{"taglib", "title", "Two"}});

    // A file recorded as new when the catalog has it is a caller's bug, and fails loudly.
    catalog::Transaction tx(c.db());
    CHECK_THROWS_AS(c.put_track(o, {"a.flac", 1, 1}, {"flac"}, {}), catalog::DatabaseError);
}

TEST_CASE("catalog: user tag edits replace, remove and clear per key") {
    OneTrack t({{"title", "File"}, {"genre", "Rock"}, {"artist", "A"}});
    auto& c = t.c;
    const auto track = t.track;
    auto effective = [&] {
        return catalog::effective_tags(c.tag_sets(track), {"user", "taglib"});
    };
    t.edit([&] { c.set_user_tags(track, {{"genre", {"Jazz", "Soul"}}, {"artist", {}}}); });
    CHECK(effective() == catalog::TagList{{"genre", "Jazz"}, {"genre", "Soul"}, {"title", "File"}});
    t.edit([&] { c.set_user_tags(track, {{"genre", {"Blues"}}, {"title", {"Edited"}}}); });
    CHECK(effective() == catalog::TagList{{"genre", "Blues"}, {"title", "Edited"}});
    t.edit([&] { c.clear_user_tags(track, {"genre", "artist"}); });
    CHECK(effective() ==
          catalog::TagList{{"artist", "A"}, {"genre", "Rock"}, {"title", "Edited"}});
    t.edit([&] { c.clear_user_tags(track, {}); });
    CHECK(effective() == catalog::TagList{{"artist", "A"}, {"genre", "Rock"}, {"title", "File"}});
    // Nothing of the user's is left: the track is served as its original again.
    auto st = c.db().prepare("SELECT edit_seq FROM tracks WHERE id = ?");
    st.bind(1, track);
    REQUIRE(st.step());
    CHECK(st.int64(0) == 0);
}

TEST_CASE("catalog: edits note their keys until the tree takes them in") {
    OneTrack t({{"title", "File"}, {"genre", "Rock"}});
    auto& c = t.c;
    const auto track = t.track;
    using Keys = std::vector<std::string>;
    CHECK_FALSE(c.tree_dirty());
    CHECK(c.edited_keys() == Keys{});

    t.edit([&] { c.set_user_tags(track, {{"genre", {"Jazz"}}, {"mood", {"Calm"}}}); });
    CHECK(c.tree_dirty());
    CHECK(c.edited_keys() == Keys{"genre", "mood"});
    t.edit([&] { c.set_user_pictures(track, {{3, "image/png", "", 1, 1, "png"}}); });
    CHECK(c.edited_keys() == Keys{"genre", "mood"});  // a picture is no tag
    t.edit([&] { c.clear_user_tags(track, {"comment"}); });
    CHECK(c.edited_keys() == Keys{"comment", "genre", "mood"});

    // Taken in (by a rebuild, or as moving nothing): a new edit starts a new list.
    c.accept_edits();
    CHECK_FALSE(c.tree_dirty());
    CHECK(c.edited_keys() == Keys{});
    t.edit([&] { c.set_user_tags(track, {{"title", {"Edited"}}}); });
    c.finish_tree(1, "sig");
    CHECK(c.edited_keys() == Keys{});
    // Clearing every key edits each key the user had set.
    t.edit([&] { c.clear_user_tags(track, {}); });
    CHECK(c.edited_keys() == Keys{"genre", "mood", "title"});

    // A pending edit whose keys were not noted (an older musicfs) is unknown until a rebuild,
    // whatever is edited after it.
    c.db().exec("DELETE FROM meta WHERE key = 'edited_keys'");
    CHECK_FALSE(c.edited_keys());
    t.edit([&] { c.set_user_tags(track, {{"genre", {"Soul"}}}); });
    CHECK_FALSE(c.edited_keys());
    c.finish_tree(2, "sig");
    CHECK(c.edited_keys() == Keys{});
}

TEST_CASE("catalog: packed tag sets keep any bytes, and refuse malformed ones") {
    const catalog::TagList tags = {
        {"title", ""},                                  // empty value
        {"comment", std::string(300, 'x')},             // a length of two LEB128 bytes
        {"lyrics", std::string("a\0b\xff\xfe", 5)},     // NUL and invalid UTF-8
        {"", "empty key"},
        {"artists", "Z"}, {"artists", "A"},             // order kept
        {"big", std::string(70000, 'y')},               // three bytes of length
    };
    const std::string packed = catalog::pack_tags(tags);
    CHECK(catalog::unpack_tags(packed) == tags);
    CHECK(catalog::unpack_tags("").empty());
    CHECK_THROWS(catalog::unpack_tags(packed.substr(0, packed.size() - 1)));  // cut
    CHECK_THROWS(catalog::unpack_tags(std::string("\x05" "ab", 3)));          // length past end
    CHECK_THROWS(catalog::unpack_tags(std::string(12, '\xff')));              // endless length

    catalog::TagRows rows;
    catalog::append_tag_rows("user", catalog::pack_tags({{"b", "1"}, {"a", "2"}}), rows);
    catalog::append_tag_rows("taglib", catalog::pack_tags({{"b", "3"}, {"b", "4"}}), rows);
    catalog::sort_tag_rows(rows);
    CHECK(rows == catalog::TagRows{{"user", "a", "2"}, {"taglib", "b", "3"}, {"taglib", "b", "4"},
                                   {"user", "b", "1"}});
}

TEST_CASE("catalog: effective tags from packed sets: precedence, hiding, ties") {
    const std::vector<std::pair<std::string, std::string>> sets = {
        {"zz-unlisted", catalog::pack_tags({{"a", "1"}})},
        {"aa-unlisted", catalog::pack_tags({{"a", "2"}})},
        {"user", catalog::pack_tags({{"b", ""}, {"d", "9"}})},
        {"taglib", catalog::pack_tags({{"c", "4"}, {"b", "3"}, {"c", "5"}, {"d", "8"}})},
    };
    const std::vector<std::string> sources = {"user", "taglib"};
    // a: two unlisted sources tie, the first by name wins; b: hidden by the user's empty value.
    const catalog::TagList expected = {{"a", "2"}, {"c", "4"}, {"c", "5"}, {"d", "9"}};
    CHECK(catalog::effective_tags(sets, sources) == expected);
    CHECK(catalog::effective_tags(sets, {"taglib", "user"}) ==
          catalog::TagList{{"a", "2"}, {"b", "3"}, {"c", "4"}, {"c", "5"}, {"d", "8"}});
}

TEST_CASE("catalog: a version 3 catalog's tag rows are packed on open, nothing lost") {
    TempDir tmp;
    old_catalog(tmp, 3, R"sql(
INSERT INTO origins (id, name, type) VALUES (1, 'music', 'local');
INSERT INTO files (id, origin_id, path, size, mtime_ns)
  VALUES (1, 1, CAST('a.flac' AS BLOB), 10, 1), (2, 1, CAST('b.flac' AS BLOB), 10, 1);
INSERT INTO tracks (id, file_id, format) VALUES (1, 1, 'flac'), (2, 2, 'flac');
INSERT INTO tags (track_id, source, key, idx, value) VALUES
  (1, 'taglib', 'title', 0, 'One'), (1, 'taglib', 'artists', 1, 'A'),
  (1, 'taglib', 'artists', 0, 'Z'), (1, 'user', 'genre', 0, ''),
  (1, 'taglib', 'genre', 0, 'Rock'), (2, 'taglib', 'title', 0, 'Two');
)sql");
    catalog::Catalog c(tmp.db());
    CHECK(c.tag_rows(1) == catalog::TagRows{{"taglib", "artists", "Z"},
                                            {"taglib", "artists", "A"},
                                            {"taglib", "genre", "Rock"},
                                            {"user", "genre", ""},
                                            {"taglib", "title", "One"}});
    CHECK(catalog::effective_tags(c.tag_sets(1), {"user", "taglib"}) ==
          catalog::TagList{{"artists", "Z"}, {"artists", "A"}, {"title", "One"}});
    CHECK(c.tag_rows(2) == catalog::TagRows{{"taglib", "title", "Two"}});
    auto st = c.db().prepare("SELECT count(*) FROM sqlite_master WHERE name = 'tags'");
    REQUIRE(st.step());
    CHECK(st.int64(0) == 0);
}

TEST_CASE("catalog: a node's attributes follow its file and its edits without a tree rebuild") {
    TempDir tmp;
    catalog::Catalog c(tmp.db());
    const auto o = c.ensure_origin("music", "local");
    add(c, o, "a.flac", {{"artist", "A"}, {"album", "B"}, {"title", "One"}}, /*mtime=*/7);
    vfs::rebuild_tree(c, vfs::TreeLayout(vfs::kDefaultTemplate), {"taglib"});
    catalog::CatalogReader r(c.path());
    const auto ino = tree_paths(r).at("/A/B/00 One.flac");
    auto listed = [&] {
        std::optional<catalog::NodeAttr> out;
        r.for_each_child(r.lookup(r.lookup(1, "A")->ino, "B")->ino, 0, true,
                         [&](std::string_view, const catalog::NodeAttr& a) {
                             out = a;
                             return true;
                         });
        return out;
    };
    auto a = r.getattr(ino);
    REQUIRE(a);
    CHECK(a->size == 1000);
    CHECK(a->mtime_ns == 7);
    CHECK(a->format == "flac");
    CHECK(a->edit_seq == 0);

    // The file changed on its origin, its tags did not: same node, the file's new attributes.
    {
        catalog::Transaction tx(c.db());
        c.put_track(o, {"a.flac", 2345, 9, known_id(c, o, "a.flac")}, {"mp3"},
                    catalog::pack_sources({{"taglib", {{"artist", "A"}, {"album", "B"},
                                                       {"title", "One"}}}}));
        tx.commit();
    }
    a = r.getattr(ino);
    REQUIRE(a);
    CHECK(a->size == 2345);
    CHECK(a->mtime_ns == 9);
    CHECK(a->format == "mp3");
    REQUIRE(listed());
    CHECK(listed()->size == 2345);
    CHECK(r.lookup(r.lookup(r.lookup(1, "A")->ino, "B")->ino, "00 One.flac")->mtime_ns == 9);

    // An edit, and its removal.
    const auto track = c.track_of("music", "a.flac");
    {
        catalog::Transaction tx(c.db());
        c.set_user_tags(track, {{"genre", {"Jazz"}}});
        tx.commit();
    }
    CHECK(r.getattr(ino)->edit_seq > 0);
    CHECK(listed()->edit_seq == r.getattr(ino)->edit_seq);
    {
        catalog::Transaction tx(c.db());
        c.clear_user_tags(track, {});
        tx.commit();
    }
    CHECK(r.getattr(ino)->edit_seq == 0);
    CHECK(stale_nodes(c) == 0);

    // A node for a track that does not exist is a caller's bug, and fails loudly.
    catalog::Transaction tx(c.db());
    const catalog::TrackAttrs ghost{track + 100, 1, 1, 0, "flac"};
    CHECK_THROWS_AS(c.insert_node(1, "ghost", &ghost), catalog::DatabaseError);
}

TEST_CASE("catalog: a version 4 catalog's nodes get their attributes on open") {
    TempDir tmp;
    old_catalog(tmp, 4, R"sql(
INSERT INTO origins (id, name, type) VALUES (1, 'music', 'local');
INSERT INTO files (id, origin_id, path, size, mtime_ns)
  VALUES (1, 1, CAST('a.flac' AS BLOB), 10, 11), (2, 1, CAST('b.ogg' AS BLOB), 20, 21);
INSERT INTO tracks (id, file_id, format, edit_seq) VALUES (1, 1, 'flac', 0), (2, 2, 'ogg', 3);
INSERT INTO nodes (ino, parent, name, track_id) VALUES
  (2, 1, CAST('A' AS BLOB), NULL), (3, 2, CAST('a.flac' AS BLOB), 1), (4, 2, CAST('b.ogg' AS BLOB), 2);
)sql");
    catalog::Catalog c(tmp.db());
    CHECK(stale_nodes(c) == 0);
    catalog::CatalogReader r(c.path());
    const auto b = r.lookup(2, "b.ogg");
    REQUIRE(b);
    CHECK(b->size == 20);
    CHECK(b->mtime_ns == 21);
    CHECK(b->edit_seq == 3);
    CHECK(b->format == "ogg");
    const auto dir = r.getattr(2);
    REQUIRE(dir);
    CHECK(dir->is_dir);
    CHECK(dir->size == 0);
    CHECK(dir->format.empty());
}

TEST_CASE("catalog: background checkpoints take the writer's checkpoints, and hand them back") {
    TempDir tmp;
    fs::create_directories(fs::path(tmp.db()).parent_path());
    catalog::Database db(tmp.db(), catalog::Database::Mode::ReadWrite);
    db.exec("CREATE TABLE t (b BLOB NOT NULL)");
    // The main file only grows when a checkpoint copies the WAL into it.
    const auto main_size = [&] { return fs::file_size(tmp.db()); };
    // 6 MiB in 24 commits: past SQLite's auto-checkpoint size (1000 pages of 4 KiB).
    const auto write = [&] {
        for (int i = 0; i < 24; ++i) {
            catalog::Transaction tx(db);
            db.prepare("INSERT INTO t VALUES (zeroblob(262144))").run();
            tx.commit();
        }
    };
    const auto eventually = [](auto&& pred) {
        for (int i = 0; i < 1000 && !pred(); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        return pred();
    };
    const auto before = main_size();
    {
        catalog::BackgroundCheckpoints checkpoints(db, 1'000'000);
        write();
        // The writer did not checkpoint, and nothing asked the background thread to.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        CHECK(main_size() == before);
        checkpoints.checkpoint_now();
        CHECK(eventually([&] { return main_size() >= before + 6 * 1024 * 1024; }));
    }
    {
        // Over the threshold, a commit starts a checkpoint by itself.
        catalog::BackgroundCheckpoints checkpoints(db, 64);
        const auto now = main_size();
        write();
        CHECK(eventually([&] { return main_size() >= now + 6 * 1024 * 1024; }));
    }
    // Handed back: the writer checkpoints at commit again.
    const auto now = main_size();
    write();
    CHECK(main_size() >= now + 4 * 1024 * 1024);
}

TEST_CASE("catalog: the user's edits rank first, once, before the sources in their order") {
    using V = std::vector<std::string>;
    CHECK(catalog::with_user_first({}) == V{"user"});
    CHECK(catalog::with_user_first({"beets", "taglib"}) == V{"user", "beets", "taglib"});
    CHECK(catalog::with_user_first({"taglib", "user", "beets"}) == V{"user", "taglib", "beets"});
}

TEST_CASE("catalog: new and reopened catalogs are in WAL mode, synced at checkpoints") {
    TempDir tmp;
    auto pragma = [](catalog::Database& db, const char* sql) {
        auto st = db.prepare(sql);
        REQUIRE(st.step());
        return std::string(st.text(0));
    };
    for (int open = 0; open < 2; ++open) {  // created (switched without syncs), then reopened
        catalog::Catalog c(tmp.db());
        CHECK(pragma(c.db(), "PRAGMA journal_mode") == "wal");
        CHECK(pragma(c.db(), "PRAGMA synchronous") == "1");  // NORMAL
    }
}
