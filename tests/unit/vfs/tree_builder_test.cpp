#include "vfs/tree_builder.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>

using namespace musicfs;

namespace {

struct TempCatalog {
    std::filesystem::path dir;
    std::unique_ptr<catalog::Catalog> catalog;
    TempCatalog()
        : dir(std::filesystem::temp_directory_path() /
              ("musicfs-tree-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()))) {
        catalog = std::make_unique<catalog::Catalog>((dir / "catalog.sqlite3").string());
    }
    ~TempCatalog() {
        catalog.reset();
        std::filesystem::remove_all(dir);
    }
};

// path in the tree -> inode, for the files.
std::map<std::string, std::int64_t> files(catalog::Catalog& c) {
    std::map<std::int64_t, std::pair<std::int64_t, std::string>> by_ino;
    for (const auto& n : c.nodes()) by_ino[n.ino] = {n.parent, n.name};
    std::map<std::string, std::int64_t> out;
    for (const auto& n : c.nodes()) {
        if (n.track_id == 0) continue;
        std::string path = n.name;
        for (auto p = n.parent; p != catalog::kRootIno; p = by_ino.at(p).first)
            path.insert(0, by_ino.at(p).second + '/');
        out[path] = n.ino;
    }
    return out;
}

// Records a FLAC file of the origin "local" with `tags` from the source "taglib".
void put_flac(catalog::Catalog& c, const std::string& path, const catalog::TagList& tags) {
    catalog::Transaction tx(c.db());
    catalog::AudioInfo info;
    info.format = "flac";
    c.put_track(c.ensure_origin("local", "local"), {path, 1, 1}, info,
                catalog::pack_sources({{"taglib", tags}}));
    tx.commit();
}

}  // namespace

TEST_CASE("changing the layout rebuilds the tree and keeps the inodes of unchanged paths") {
    TempCatalog t;
    auto& c = *t.catalog;
    put_flac(c, "a.flac",
             {{"albumartist", "A"}, {"album", "X"}, {"title", "One"}, {"tracknumber", "1"}});
    put_flac(c, "b.flac",
             {{"albumartist", "B"}, {"album", "Y"}, {"title", "Two"}, {"tracknumber", "2"},
              {"genre", "Jazz"}});
    vfs::LayoutConfig first;
    first.views = {{"", {{"default", "$albumartist/$album/$track $title"}}}};
    const auto stats = vfs::rebuild_tree(c, vfs::TreeLayout(first), {"taglib"});
    CHECK(stats.added == 6);
    const auto before = files(c);
    REQUIRE(before.size() == 2);
    CHECK(before.count("A/X/01 One.flac"));
    CHECK(c.tree_signature() == vfs::tree_signature(vfs::TreeLayout(first), {"taglib"}));

    // Jazz moves; the rest stays where it was, with its inode.
    vfs::LayoutConfig second = first;
    second.views[0].paths.push_back({"genre:jazz", "Jazz/$album/$track $title"});
    CHECK(c.tree_signature() != vfs::tree_signature(vfs::TreeLayout(second), {"taglib"}));
    const auto again = vfs::rebuild_tree(c, vfs::TreeLayout(second), {"taglib"});
    CHECK(again.kept == 3);
    const auto after = files(c);
    CHECK(after.at("A/X/01 One.flac") == before.at("A/X/01 One.flac"));
    CHECK(after.count("Jazz/Y/02 Two.flac"));
    CHECK_FALSE(after.count("B/Y/02 Two.flac"));
    CHECK(after.at("Jazz/Y/02 Two.flac") != before.at("B/Y/02 Two.flac"));
}

TEST_CASE("audio properties reach the templates") {
    TempCatalog t;
    auto& c = *t.catalog;
    {
        catalog::Transaction tx(c.db());
        const auto origin = c.ensure_origin("local", "local");
        catalog::AudioInfo info;
        info.format = "alac";
        info.sample_rate = 48000;
        c.put_track(origin, {"a.m4a", 1, 1}, info, catalog::pack_sources({{"taglib", {{"title", "T"}}}}));
        tx.commit();
    }
    const auto input = vfs::tree_input(c, {"taglib"});
    REQUIRE(input.size() == 1);
    CHECK(input[0].audio.format == "alac");
    vfs::rebuild_tree(c, vfs::TreeLayout("$format/$samplerate/$title"), {"taglib"});
    CHECK(files(c).count("ALAC/48kHz/T.m4a"));
}

TEST_CASE("a rebuild journals the names the kernel may have cached, not those under new dirs") {
    TempCatalog t;
    auto& c = *t.catalog;
    auto add = [&](const char* path, const char* artist, const char* title) {
        put_flac(c, path, {{"albumartist", artist}, {"album", "X"}, {"title", title}});
    };
    // The journal's entries after `seq`, as "parent/name".
    auto journaled = [&](std::int64_t seq) {
        catalog::CatalogReader r(c.path());
        std::set<std::string> out;
        for (const auto& ch : r.changes_since(seq, 1000))
            if (ch.is_entry) out.insert(std::to_string(ch.parent) + "/" + ch.name);
        return out;
    };
    const vfs::TreeLayout layout("$albumartist/$album/$title");
    add("a.flac", "A", "One");
    catalog::CatalogReader r0(c.path());
    const auto start = r0.last_change();
    vfs::rebuild_tree(c, layout, {"taglib"});
    // A, A/X and A/X/One.flac are new, but only A's name went into a directory the kernel knew.
    CHECK(journaled(start) == std::set<std::string>{"1/A"});

    catalog::CatalogReader r1(c.path());
    const auto second = r1.last_change();
    add("b.flac", "A", "Two");
    vfs::rebuild_tree(c, layout, {"taglib"});
    const auto x = c.nodes();
    std::int64_t album = 0;
    for (const auto& n : x)
        if (n.name == "X") album = n.ino;
    REQUIRE(album != 0);
    CHECK(journaled(second) == std::set<std::string>{std::to_string(album) + "/Two.flac"});
}

TEST_CASE("tracks a scan wrote are used only while the catalog holds exactly those, unedited") {
    TempCatalog t;
    auto& c = *t.catalog;
    for (const std::string title : {"One", "Two"}) put_flac(c, title + ".flac", {{"title", title}});
    const vfs::TreeLayout layout("$title");
    const std::vector<std::string> sources{"user", "taglib"};
    // What the catalog would give, with one title changed only here: seen in the tree, the
    // rebuild took it rather than reading the tracks back.
    auto marked = [&] {
        auto tracks = c.tree_tracks();
        tracks[0].sets = catalog::pack_sources({{"taglib", {{"title", "Marked"}}}});
        return tracks;
    };
    auto written = marked();
    vfs::rebuild_tree(c, layout, sources, &written);
    CHECK(written.empty());
    CHECK(files(c).count("Marked.flac"));

    SUBCASE("a track more or less: read back") {
        written = marked();
        written.pop_back();
        vfs::rebuild_tree(c, layout, sources, &written);
        CHECK(files(c).size() == 2);
        CHECK(files(c).count("One.flac"));
    }
    SUBCASE("an edit made since (a tag set more): read back") {
        const auto before_edit = marked();
        const auto id = before_edit[1].attrs.track_id;
        {
            catalog::Transaction tx(c.db());
            c.set_user_tags(id, {{"title", {"Edited"}}});
            tx.commit();
        }
        written = before_edit;
        vfs::rebuild_tree(c, layout, sources, &written);
        CHECK(files(c).count("Edited.flac"));
        CHECK(files(c).count("One.flac"));
    }
    SUBCASE("an edit that adds no tag set (a picture): read back") {
        const auto before_edit = marked();
        {
            catalog::Transaction tx(c.db());
            catalog::PictureRow front;
            front.mime = "image/png";
            front.data = "png";
            c.set_user_pictures(before_edit[1].attrs.track_id, {front});
            tx.commit();
        }
        REQUIRE(c.track_counts().tag_sets == 2);
        written = before_edit;
        vfs::rebuild_tree(c, layout, sources, &written);
        CHECK(files(c).count("One.flac"));
        CHECK(files(c).count("Two.flac"));
    }
}

TEST_CASE("a tree is current until the layout, the sources or an edit changes") {
    TempCatalog t;
    auto& c = *t.catalog;
    put_flac(c, "a.flac", {{"title", "One"}});
    const vfs::TreeLayout layout("$title");
    const std::vector<std::string> sources{"user", "taglib"};
    CHECK_FALSE(vfs::tree_current(c, layout, sources));  // never built
    CHECK(vfs::rebuild_tree(c, layout, sources).rebuilt);
    CHECK(vfs::tree_current(c, layout, sources));
    CHECK_FALSE(vfs::tree_current(c, vfs::TreeLayout("$title ($format)"), sources));
    CHECK_FALSE(vfs::tree_current(c, layout, {"user", "beets", "taglib"}));

    // An edit (no daemon applied it) dirties the tree until the next rebuild.
    {
        catalog::Transaction tx(c.db());
        c.set_user_tags(c.tree_tracks()[0].attrs.track_id, {{"title", {"Edited"}}});
        tx.commit();
    }
    CHECK_FALSE(vfs::tree_current(c, layout, sources));
    vfs::rebuild_tree(c, layout, sources);
    CHECK(vfs::tree_current(c, layout, sources));
    CHECK(files(c).count("Edited.flac"));
}

TEST_CASE("an edit of tags no path reads leaves the tree current") {
    TempCatalog t;
    auto& c = *t.catalog;
    put_flac(c, "a.flac", {{"title", "One"}, {"artist", "A"}, {"album", "X"}, {"genre", "Rock"}});
    const std::vector<std::string> sources{"user", "taglib"};
    const vfs::TreeLayout layout;  // beets' default paths
    vfs::rebuild_tree(c, layout, sources);
    const auto before = files(c);
    REQUIRE(before.count("A/X/00 One.flac"));
    const auto track = c.tree_tracks()[0].attrs.track_id;
    auto edit = [&](std::vector<std::pair<std::string, std::vector<std::string>>> edits) {
        catalog::Transaction tx(c.db());
        c.set_user_tags(track, edits);
        tx.commit();
    };

    edit({{"genre", {"Jazz"}}, {"comment", {"remastered"}}, {"lyrics", {"la la"}}});
    CHECK(c.tree_dirty());
    CHECK(vfs::tree_current(c, layout, sources));
    CHECK_FALSE(c.tree_dirty());  // taken in: the next check reads nothing
    CHECK(files(c) == before);    // same inodes too
    // The node shows the edit without a rebuild: served through a writer from now on.
    REQUIRE(c.nodes().size() == 3);
    catalog::CatalogReader reader(c.path());
    CHECK(reader.getattr(before.at("A/X/00 One.flac"))->edit_seq > 0);

    // A key the default paths read, directly or through %aunique's disambiguators.
    for (const std::string key : {"title", "tracknumber", "date", "label", "albumartist",
                                  "musicbrainz_albumid", "compilation"}) {
        CAPTURE(key);
        edit({{key, {"1"}}});
        CHECK_FALSE(vfs::tree_current(c, layout, sources));
        vfs::rebuild_tree(c, layout, sources);
    }
    // The same edit of genre under paths that read it.
    const vfs::TreeLayout by_genre("$genre/$title");
    vfs::rebuild_tree(c, by_genre, sources);
    edit({{"genre", {"Soul"}}});
    CHECK_FALSE(vfs::tree_current(c, by_genre, sources));
    vfs::rebuild_tree(c, by_genre, sources);
    CHECK(files(c).count("Soul/1.flac"));
}
