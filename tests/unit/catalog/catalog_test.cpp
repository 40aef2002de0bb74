#include "catalog/catalog.hpp"

#include "catalog/schema.hpp"
#include "util/error.hpp"
#include "vfs/tree_builder.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <random>

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

void add(catalog::Catalog& c, std::int64_t origin, const std::string& path,
         catalog::TagList tags, std::int64_t mtime = 1) {
    catalog::Transaction tx(c.db());
    c.put_track(origin, path, 1000, mtime, {"flac", 1000, 900, 44100, 2, 16},
                {{"taglib", std::move(tags)}});
    tx.commit();
}

std::map<std::string, std::int64_t> tree_paths(catalog::CatalogReader& r, std::int64_t dir = 1,
                                                const std::string& prefix = "") {
    std::map<std::string, std::int64_t> out;
    for (const auto& e : r.readdir(dir, 0, 1000)) {
        const std::string p = prefix + "/" + e.name;
        out[p] = e.attr.ino;
        if (e.attr.is_dir) out.merge(tree_paths(r, e.attr.ino, p));
    }
    return out;
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
        c.put_unreadable(o, "x/b.flac", 10, 4, "invalid FLAC stream");
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
}

TEST_CASE("catalog: multi-valued tags keep their order and sources their precedence") {
    TempDir tmp;
    catalog::Catalog c(tmp.db());
    const auto o = c.ensure_origin("music", "local");
    {
        catalog::Transaction tx(c.db());
        c.put_track(o, "a.flac", 1, 1, {"flac"},
                    {{"taglib", {{"artists", "Z"}, {"artists", "A"}, {"title", "file"}}},
                     {"user", {{"title", "edited"}}}});
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

TEST_CASE("catalog: a reader's snapshot keeps one view until it ends; data_version sees commits") {
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
    TempDir tmp;
    catalog::Catalog c(tmp.db());
    const auto o = c.ensure_origin("music", "local");
    add(c, o, "a.flac", {{"title", "Old"}, {"genre", "Rock"}});
    const auto track = c.track_of("music", "a.flac");
    REQUIRE(track != 0);
    {
        catalog::Transaction tx(c.db());
        c.set_user_tags(track, {{"genre", {"Jazz"}}});
        tx.commit();
    }
    add(c, o, "a.flac", {{"title", "New"}}, /*mtime=*/2);  // the file changed on its origin
    CHECK(c.track_of("music", "a.flac") == track);
    std::map<std::pair<std::string, std::string>, std::string> rows;
    for (const auto& [source, key, value] : c.tag_rows(track)) rows[{source, key}] = value;
    CHECK(rows[{"user", "genre"}] == "Jazz");
    CHECK(rows[{"taglib", "title"}] == "New");
    CHECK(rows.count({"taglib", "genre"}) == 0);  // the file's own old values are gone
}
