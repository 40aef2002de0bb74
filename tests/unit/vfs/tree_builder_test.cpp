#include "vfs/tree_builder.hpp"

#include <doctest/doctest.h>

using namespace musicfs;

namespace {
catalog::TreeTrack track(std::int64_t id, std::string path, catalog::TagList tags) {
    return {id, std::move(path), std::move(tags)};
}
std::string joined(const vfs::Placement& p) {
    std::string s;
    for (const auto& c : p.components) s += "/" + c;
    return s;
}
}  // namespace

TEST_CASE("tracks that land on the same name are numbered in order") {
    const vfs::PathTemplate tmpl(vfs::kDefaultTemplate);
    const catalog::TagList same = {{"albumartist", "A"}, {"album", "B"}, {"title", "T"},
                                   {"tracknumber", "1"}};
    const auto placed = vfs::place_tracks(
        {track(1, "a.flac", same), track(2, "b.flac", same), track(3, "c.mp3", same),
         track(4, "d.flac", same)},
        tmpl);
    REQUIRE(placed.size() == 4);
    CHECK(joined(placed[0]) == "/A/B/01 T.flac");
    CHECK(joined(placed[1]) == "/A/B/01 T (2).flac");
    CHECK(joined(placed[2]) == "/A/B/01 T.mp3");
    CHECK(joined(placed[3]) == "/A/B/01 T (3).flac");
}

TEST_CASE("a directory never takes a name a file holds") {
    const vfs::PathTemplate tmpl("$artist/$title");
    const auto placed = vfs::place_tracks(
        {track(1, "x", {{"artist", "X"}, {"title", "Y"}}),  // file "X/Y" (no extension)
         track(2, "y.flac", {{"artist", "Y"}, {"title", "Z"}}),
         track(3, "z", {{"artist", "Q"}, {"title", "R"}})},
        tmpl);
    CHECK(joined(placed[0]) == "/X/Y");
    CHECK(joined(placed[1]) == "/Y/Z.flac");
    CHECK(joined(placed[2]) == "/Q/R");
}

TEST_CASE("tree_signature changes with the template and the sources") {
    const vfs::PathTemplate a("$album/$title"), b("$artist/$title");
    CHECK(vfs::tree_signature(a, {"taglib"}) != vfs::tree_signature(b, {"taglib"}));
    CHECK(vfs::tree_signature(a, {"taglib"}) != vfs::tree_signature(a, {"taglib", "beets"}));
    CHECK(vfs::tree_signature(a, {"taglib"}) == vfs::tree_signature(a, {"taglib"}));
}
