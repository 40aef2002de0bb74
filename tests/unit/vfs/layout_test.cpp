#include "vfs/layout.hpp"
#include "vfs/tree_builder.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

#include <map>
#include <set>

using namespace musicfs;
using namespace musicfs::vfs;

namespace {

TrackData track(std::int64_t id, std::string path, catalog::TagList tags) {
    TrackData t;
    t.track_id = id;
    t.path = std::move(path);
    t.tags = std::move(tags);
    t.audio.format = "flac";
    return t;
}

std::string joined(const Placement& p) {
    std::string s;
    for (const auto& c : p.components) {
        s += '/';
        s += c;
    }
    return s;
}

// track id -> paths, for one layout.
std::multimap<std::int64_t, std::string> place(const TreeLayout& layout,
                                               const std::vector<TrackData>& tracks) {
    std::multimap<std::int64_t, std::string> out;
    for (const auto& p : layout.place(tracks)) out.emplace(p.track_id, joined(p));
    return out;
}

std::string path_of(const TreeLayout& layout, const std::vector<TrackData>& tracks, std::int64_t id) {
    const auto all = place(layout, tracks);
    const auto it = all.find(id);
    return it == all.end() ? "<none>" : it->second;
}

TemplateFunction upper_function() {
    TemplateFunction f;
    f.name = "upper";
    f.provider = "test 1";
    f.min_args = f.max_args = 1;
    f.call = [](std::span<const std::string> args, const TrackFields&) -> std::optional<std::string> {
        std::string s = args[0];
        for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return s;
    };
    return f;
}

const catalog::TagList kSigur = {{"albumartist", "Sigur R\xC3\xB3s"}, {"album", "Takk..."},
                                 {"artist", "Someone"}, {"title", "Gl\xC3\xB3s\xC3\xB3li"},
                                 {"tracknumber", "3"}, {"date", "2005"}};

}  // namespace

TEST_CASE("beets' default paths: albums, singletons, compilations") {
    const TreeLayout layout;  // default, singleton, comp
    CHECK(path_of(layout, {track(1, "x.flac", kSigur)}, 1) ==
          "/Sigur R\xC3\xB3s/Takk.._/03 Gl\xC3\xB3s\xC3\xB3li.flac");
    CHECK(path_of(layout, {track(1, "x.MP3", {{"artist", "A"}, {"title", "T"}})}, 1) ==
          "/Non-Album/A/T.mp3");
    CHECK(path_of(layout, {track(1, "x.ogg", {{"artist", "A"}, {"title", "T"}, {"album", "Mix"},
                                              {"compilation", "1"}, {"tracknumber", "2"}})},
                  1) == "/Compilations/Mix/02 T.ogg");
    // No tags at all: the title is the file's name, the empty artist component vanishes.
    CHECK(path_of(layout, {track(1, "dir/untitled.flac", {})}, 1) == "/Non-Album/untitled.flac");
    CHECK(path_of(layout, {track(1, "d/x.flac", {{"album", "A"}, {"title", ".hidden"}})}, 1) ==
          "/A/00 .hidden.flac");
}

TEST_CASE("placing on several threads gives what one thread gives") {
    // Enough tracks for many blocks of work, with what makes placement depend on other tracks:
    // albums that %aunique tells apart, singletons for %sunique, and names taken twice.
    std::vector<TrackData> tracks;
    for (int i = 0; i < 6000; ++i) {
        const std::string artist = "Artist " + std::to_string(i % 37);
        const std::string album = "Album " + std::to_string(i % 11);  // shared across artists
        catalog::TagList tags = {{"title", "Song " + std::to_string(i % 3)},
                                 {"artist", artist},
                                 {"date", std::to_string(1990 + i % 5)}};
        if (i % 9 != 0) {  // every 9th track is a singleton
            tags.push_back({"album", album});
            tags.push_back({"albumartist", artist});
            tags.push_back({"tracknumber", std::to_string(i % 2 + 1)});
            // Albums of one artist and name told apart by their id, as MusicBrainz does.
            tags.push_back({"musicbrainz_albumid", "mb-" + std::to_string(i % 1000)});
        }
        tracks.push_back(track(1000 + i, "src/" + std::to_string(i) + ".flac", std::move(tags)));
    }
    LayoutConfig config;
    config.views = {{"", {{"default", "$albumartist/$album%aunique{}/$track $title"},
                          {"singleton:true", "Singles/$artist%sunique{}/$title"}}}};
    const TreeLayout layout(config);
    const auto one = layout.place(tracks, 1);
    const auto four = layout.place(tracks, 4);
    REQUIRE(one.size() == tracks.size());
    REQUIRE(four.size() == one.size());
    std::size_t differ = 0, numbered = 0, disambiguated = 0;
    std::set<std::string> paths;
    for (std::size_t i = 0; i < one.size(); ++i) {
        CHECK(four[i].track_id == one[i].track_id);
        if (joined(four[i]) != joined(one[i]) && ++differ <= 3) CHECK(joined(four[i]) == joined(one[i]));
        if (joined(one[i]).find(" (2)") != std::string::npos) ++numbered;
        if (joined(one[i]).find(" [") != std::string::npos) ++disambiguated;
        paths.insert(joined(one[i]));
    }
    CHECK(differ == 0);
    CHECK(paths.size() == one.size());  // every path once
    // The input did take names twice, and had albums and singletons to tell apart.
    CHECK(numbered > 0);
    CHECK(disambiguated > 0);
}

TEST_CASE("%aunique: beets' DisambiguationTest cases") {
    // Two albums with the same artist and name, in 2001 and 2002.
    const auto i1 = track(1, "a/1.flac", {{"albumartist", "the album artist"}, {"album", "the album"},
                                          {"title", "the title"}, {"date", "2001"}});
    const auto i2 = track(2, "b/1.flac", {{"albumartist", "the album artist"}, {"album", "the album"},
                                          {"title", "the title"}, {"date", "2002"}});
    auto check = [&](std::string_view tmpl, std::vector<TrackData> tracks, std::int64_t id,
                     std::string_view expected) {
        CAPTURE(tmpl);
        CHECK(path_of(TreeLayout(tmpl), tracks, id) == expected);
    };
    check("foo%aunique{albumartist album,year}/$title", {i1, i2}, 1, "/foo [2001]/the title.flac");
    check("foo%aunique{albumartist album,year}/$title", {i1, i2}, 2, "/foo [2002]/the title.flac");
    auto typed = i1;
    typed.tags.emplace_back("releasetype", "bar");
    check("foo%aunique{}/$title", {typed, i2}, 1, "/foo [bar]/the title.flac");
    auto other = i2;
    other.tags[1].second = "different album";
    check("foo%aunique{albumartist album,year}/$title", {i1, other}, 1, "/foo/the title.flac");
    // Same year: nothing tells them apart but the album id. (Same tags would make one album
    // in MusicFS, so an album id tells them apart here.)
    auto same1 = i1, same2 = i2;
    same1.tags.emplace_back("musicbrainz_albumid", "id-1");
    same2.tags.emplace_back("musicbrainz_albumid", "id-2");
    same2.tags[3].second = "2001";
    check("foo%aunique{albumartist album,year}/$title", {same1, same2}, 1, "/foo [1]/the title.flac");
    check("foo%aunique{albumartist album,year}/$title", {same1, same2}, 2, "/foo [2]/the title.flac");
    check("foo%aunique{albumartist album,month year}/$title", {i1, i2}, 1, "/foo [2001]/the title.flac");
    auto slashed = same1;
    slashed.tags.emplace_back("releasetype", "foo/bar");
    check("foo%aunique{albumartist album,albumtype}/$title", {slashed, same2}, 1,
          "/foo [foo_bar]/the title.flac");
    auto disambig = same2;
    disambig.tags.emplace_back("releasetype", "foo");
    check("foo%aunique{albumartist album,albumtype}/$title", {same1, disambig}, 1, "/foo/the title.flac");
    check("foo%aunique{albumartist album,year,()}/$title", {i1, i2}, 1, "/foo (2001)/the title.flac");
    check("foo%aunique{albumartist album,year,}/$title", {i1, i2}, 1, "/foo 2001/the title.flac");
    auto flex1 = i1, flex2 = i2;
    flex1.tags.emplace_back("flex", "flex1");
    flex2.tags.emplace_back("flex", "flex2");
    check("foo%aunique{albumartist album flex,year}/$title", {flex1, flex2}, 1, "/foo/the title.flac");
    // A singleton has no album: nothing to disambiguate.
    check("foo%aunique{}/$title", {track(1, "s.flac", {{"title", "the title"}})}, 1,
          "/foo/the title.flac");
    // The default keys and disambiguators: the issue's case, one artist, one title, two years.
    check("$albumartist/$album%aunique{}", {i1, i2}, 2, "/the album artist/the album [2002].flac");
}

TEST_CASE("%sunique: beets' SingletonDisambiguationTest cases") {
    const auto i1 = track(1, "1.flac", {{"artist", "the artist"}, {"title", "the title"}, {"date", "2001"}});
    const auto i2 = track(2, "2.flac", {{"artist", "the artist"}, {"title", "the title"}, {"date", "2002"}});
    auto check = [&](std::string_view tmpl, std::vector<TrackData> tracks, std::int64_t id,
                     std::string_view expected) {
        CAPTURE(tmpl);
        CHECK(path_of(TreeLayout(tmpl), tracks, id) == expected);
    };
    check("foo/$title%sunique{artist title,year}", {i1, i2}, 1, "/foo/the title [2001].flac");
    auto live = i1;
    live.tags[2].second = "2002";
    live.tags.emplace_back("trackdisambig", "live version");  // no Picard source: stays empty
    auto other = i2;
    other.tags[1].second = "different track";
    check("foo/$title%sunique{artist title,year}", {i1, other}, 1, "/foo/the title.flac");
    auto in_album = i2;
    in_album.tags.emplace_back("album", "an album");
    check("foo/$title%sunique{artist title,year}", {i1, in_album}, 1, "/foo/the title.flac");
    auto same = i2;
    same.tags[2].second = "2001";
    check("foo/$title%sunique{artist title,year}", {i1, same}, 1, "/foo/the title [1].flac");
    check("foo/$title%sunique{artist title,year}", {i1, same}, 2, "/foo/the title [2].flac");
    check("foo/$title%sunique{albumartist album,month year}", {i1, i2}, 1, "/foo/the title [2001].flac");
    check("foo/$title%sunique{artist title,year,()}", {i1, i2}, 1, "/foo/the title (2001).flac");
    check("foo/$title%sunique{artist title,year,}", {i1, i2}, 1, "/foo/the title 2001.flac");
    auto flex1 = i1, flex2 = i2;
    flex1.tags.emplace_back("flex", "flex1");
    flex2.tags.emplace_back("flex", "flex2");
    check("foo/$title%sunique{artist title flex,year}", {flex1, flex2}, 1, "/foo/the title.flac");
    check("foo/$title%sunique{}", {i1, i2}, 1, "/foo/the title [2001].flac");
}

TEST_CASE("albums are grouped by album id, else by album, artist and year") {
    const TreeLayout layout("$album%aunique{}/$title");
    // Two same-named albums of one artist in different years: two albums, told apart by year.
    const auto a = track(1, "x/1.flac", {{"albumartist", "A"}, {"album", "Live"}, {"date", "1990"}, {"title", "t1"}});
    const auto b = track(2, "y/1.flac", {{"albumartist", "A"}, {"album", "Live"}, {"date", "1995"}, {"title", "t2"}});
    // A second track of the first album, in another folder (a multi-disc rip): same album.
    const auto c = track(3, "x/cd2/1.flac", {{"albumartist", "A"}, {"album", "Live"}, {"date", "1990-05-01"}, {"title", "t3"}});
    const auto placed = place(layout, {a, b, c});
    CHECK(placed.find(1)->second == "/Live [1990]/t1.flac");
    CHECK(placed.find(2)->second == "/Live [1995]/t2.flac");
    CHECK(placed.find(3)->second == "/Live [1990]/t3.flac");
}

TEST_CASE("paths: the first matching query chooses the template, else the default") {
    LayoutConfig config;
    config.views = {{"", {{"default", "$artist/$title"},
                          {"genre:jazz", "Jazz/$artist/$title"},
                          {"year:1960..1969", "Sixties/$title"},
                          {"format:MP3", "MP3/$title"}}}};
    const TreeLayout layout(config);
    std::vector<TrackData> tracks = {
        track(1, "1.flac", {{"artist", "A"}, {"title", "t"}, {"genre", "Jazz"}, {"date", "1965"}}),
        track(2, "2.flac", {{"artist", "A"}, {"title", "u"}, {"date", "1965"}}),
        track(3, "3.mp3", {{"artist", "A"}, {"title", "v"}}),
        track(4, "4.flac", {{"artist", "A"}, {"title", "w"}}),
    };
    tracks[2].audio.format = "mp3";
    const auto placed = place(layout, tracks);
    CHECK(placed.find(1)->second == "/Jazz/A/t.flac");
    CHECK(placed.find(2)->second == "/Sixties/u.flac");
    CHECK(placed.find(3)->second == "/MP3/v.mp3");
    CHECK(placed.find(4)->second == "/A/w.flac");
}

TEST_CASE("views: several top-level directories, each with its own paths") {
    LayoutConfig config;
    config.views = {{"Artists", {{"default", "$albumartist/$album/$track $title"}}},
                    {"Albums by year", {{"default", "$year/$album/$track $title"}}},
                    {"Jazz", {{"genre:jazz", "$albumartist - $album/$track $title"}}}};
    const TreeLayout layout(config);
    const auto placed = place(layout, {track(1, "1.flac", kSigur),
                                       track(2, "2.flac", {{"albumartist", "M"}, {"album", "K"},
                                                           {"title", "So What"}, {"tracknumber", "1"},
                                                           {"genre", "Jazz"}, {"date", "1959"}})});
    CHECK(placed.count(1) == 2);  // not jazz: in two views
    CHECK(placed.count(2) == 3);
    std::set<std::string> paths;
    for (const auto& [id, p] : placed) paths.insert(p);
    CHECK(paths.count("/Artists/Sigur R\xC3\xB3s/Takk.._/03 Gl\xC3\xB3s\xC3\xB3li.flac"));
    CHECK(paths.count("/Albums by year/2005/Takk.._/03 Gl\xC3\xB3s\xC3\xB3li.flac"));
    CHECK(paths.count("/Jazz/M - K/01 So What.flac"));
    CHECK(paths.count("/Albums by year/1959/K/01 So What.flac"));
}

TEST_CASE("bad layouts are refused") {
    LayoutConfig no_paths;
    no_paths.views = {{"", {}}};
    CHECK_THROWS_AS(TreeLayout{no_paths}, UserError);
    LayoutConfig bad_query;
    bad_query.views = {{"", {{"year:x..y", "$title"}}}};
    CHECK_THROWS_AS(TreeLayout{bad_query}, UserError);
    LayoutConfig twice;
    twice.views = {{"A", {{"default", "$title"}}}, {"A", {{"default", "$title"}}}};
    CHECK_THROWS_AS(TreeLayout{twice}, UserError);
    LayoutConfig bad_regex;
    bad_regex.replacements = {{"[", "x"}};
    CHECK_THROWS_AS(TreeLayout{bad_regex}, UserError);
}

TEST_CASE("template functions from plugins, and unknown ones left as written") {
    const TreeLayout with("%upper{$title}/%lower{$title}", {upper_function()});
    CHECK(path_of(with, {track(1, "x.flac", {{"title", "Mixed"}})}, 1) == "/MIXED/%lower{$title}.flac");
    CHECK(with.unknown_functions() == std::vector<std::string>{"lower"});
    // Wrong number of arguments: kept as written, unexpanded.
    const TreeLayout wrong("%upper{a,b}", {upper_function()});
    CHECK(path_of(wrong, {track(1, "x.flac", {})}, 1) == "/%upper{a,b}.flac");
}

TEST_CASE("options: asciify_paths, path_sep_replace, replacements, max_filename_length") {
    LayoutConfig c;
    c.views = {{"", {{"default", "$albumartist/$title"}}}};
    c.asciify_paths = true;
    CHECK(path_of(TreeLayout(c), {track(1, "x.flac", kSigur)}, 1) == "/Sigur Ros/Glosoli.flac");
    c.asciify_paths = false;
    c.path_sep_replace = "+";
    CHECK(path_of(TreeLayout(c), {track(1, "x.flac", {{"albumartist", "AC/DC"}, {"title", "T"}})}, 1) ==
          "/AC+DC/T.flac");
    c.replacements = {{"^The (.*)", "\\1, The"}};
    CHECK(path_of(TreeLayout(c), {track(1, "x.flac", {{"albumartist", "The Band"}, {"title", "T"}})}, 1) ==
          "/Band, The/T.flac");
    c.max_filename_length = 8;
    CHECK(path_of(TreeLayout(c), {track(1, "x.flac", {{"albumartist", "Longer name"}, {"title", "Title"}})}, 1) ==
          "/Longer n/Tit.flac");
}

TEST_CASE("tracks that land on the same name are numbered in order") {
    const TreeLayout layout("$albumartist/$album/$track $title");
    const catalog::TagList same = {{"albumartist", "A"}, {"album", "B"}, {"title", "T"},
                                   {"tracknumber", "1"}};
    const auto placed = place_tracks(
        {track(1, "a.flac", same), track(2, "b.flac", same), track(3, "c.mp3", same),
         track(4, "d.flac", same)},
        layout);
    REQUIRE(placed.size() == 4);
    CHECK(joined(placed[0]) == "/A/B/01 T.flac");
    CHECK(joined(placed[1]) == "/A/B/01 T (2).flac");
    CHECK(joined(placed[2]) == "/A/B/01 T.mp3");
    CHECK(joined(placed[3]) == "/A/B/01 T (3).flac");
}

TEST_CASE("numbering skips names other tracks hold, and stays linear in the duplicates") {
    const TreeLayout layout("$title");
    std::vector<TrackData> tracks = {track(1, "x.flac", {{"title", "T (3)"}}),
                                     track(2, "y.flac", {{"title", "T (2) (2)"}})};
    for (std::int64_t id = 3; id < 3 + 3000; ++id)
        tracks.push_back(track(id, "t.flac", {{"title", "T"}}));
    tracks.push_back(track(9999, "u.flac", {{"title", "T (2)"}}));
    const auto placed = place_tracks(tracks, layout);
    REQUIRE(placed.size() == tracks.size());
    CHECK(joined(placed[2]) == "/T.flac");
    CHECK(joined(placed[3]) == "/T (2).flac");
    CHECK(joined(placed[4]) == "/T (4).flac");  // "T (3).flac" is the first track's
    CHECK(joined(placed[5]) == "/T (5).flac");
    CHECK(joined(placed[3001]) == "/T (3001).flac");
    CHECK(joined(placed[3002]) == "/T (2) (3).flac");  // its own name and (2) are taken
    std::set<std::string> names;
    for (const auto& p : placed) names.insert(joined(p));
    CHECK(names.size() == placed.size());
}

TEST_CASE("a directory never takes a name a file holds") {
    LayoutConfig c;
    c.views = {{"", {{"default", "$artist/$title"}, {"genre:deep", "$artist/$album/$title"}}}};
    const auto placed = place_tracks(
        {track(1, "x", {{"artist", "X"}, {"title", "Y"}}),  // file "X/Y" (no extension)
         track(2, "y.flac", {{"artist", "X"}, {"album", "Y"}, {"title", "Z"}, {"genre", "deep"}}),
         track(3, "z", {{"artist", "Q"}, {"title", "R"}})},
        TreeLayout(c));
    CHECK(joined(placed[0]) == "/X/Y");
    CHECK(joined(placed[1]) == "/X/Y (2)/Z.flac");
    CHECK(joined(placed[2]) == "/Q/R");
}

TEST_CASE("the signature covers everything the tree depends on") {
    auto sig = [](const LayoutConfig& c, std::vector<TemplateFunction> f = {}) {
        return tree_signature(TreeLayout(c, std::move(f)), {"taglib"});
    };
    const LayoutConfig base;
    CHECK(sig(base) == sig(base));
    LayoutConfig changed = base;
    changed.views[0].paths[0].tmpl = "$artist/$title";
    CHECK(sig(changed) != sig(base));
    changed = base;
    changed.views[0].paths.push_back({"genre:jazz", "Jazz/$title"});
    CHECK(sig(changed) != sig(base));
    changed = base;
    changed.views = {{"Artists", base.views[0].paths}};
    CHECK(sig(changed) != sig(base));
    changed = base;
    changed.replacements.pop_back();
    CHECK(sig(changed) != sig(base));
    changed = base;
    changed.aunique.bracket = "()";
    CHECK(sig(changed) != sig(base));
    changed = base;
    changed.asciify_paths = true;
    CHECK(sig(changed) != sig(base));
    LayoutConfig upper = base;
    upper.views[0].paths[0].tmpl = "%upper{$artist}";
    auto v2 = upper_function();
    v2.provider = "test 2";
    CHECK(sig(upper, {upper_function()}) != sig(upper, {v2}));
    CHECK(sig(upper, {upper_function()}) != sig(upper));
    CHECK(tree_signature(TreeLayout(base), {"taglib"}) != tree_signature(TreeLayout(base), {"taglib", "beets"}));
}

TEST_CASE("which tags can move a track: what the paths, queries and %aunique read") {
    const TreeLayout beets;  // $albumartist/$album%aunique{}/$track $title, singletons, comps
    for (const std::string key : {"title", "artist", "albumartist", "album", "tracknumber",
                                  "date", "compilation", "musicbrainz_albumid", "releasetype",
                                  "label", "catalognumber"})
        CHECK_MESSAGE(beets.places_by(key), key);
    for (const std::string key : {"genre", "comment", "lyrics", "composer", "bpm", "mood",
                                  "replaygain_track_gain", "discnumber", "originaldate"})
        CHECK_FALSE_MESSAGE(beets.places_by(key), key);

    // Fields name their tags: $year reads date, $comp compilation, $disc discnumber, a name
    // that is no beets field the tag itself; what comes from the audio or the file, nothing.
    const TreeLayout fields("$disc/$original_year/$mood/$format $bitrate $path $id");
    CHECK(fields.places_by("discnumber"));
    CHECK(fields.places_by("originalyear"));
    CHECK(fields.places_by("originaldate"));
    CHECK(fields.places_by("mood"));
    CHECK_FALSE(fields.places_by("genre"));

    // A query's fields, and a term without a field reads every search field.
    LayoutConfig queries;
    queries.views = {{"", {{"bpm:100..200", "Fast/$title"}, {"Jazz", "Jazz/$title"},
                           {"default", "$title"}}}};
    const TreeLayout by_query(queries);
    CHECK(by_query.places_by("bpm"));
    CHECK(by_query.places_by("genre"));
    CHECK(by_query.places_by("comment"));
    CHECK_FALSE(by_query.places_by("mood"));

    // %aunique's arguments name the fields it reads; empty, the configured ones.
    const TreeLayout own_keys("$album%aunique{album,mood}");
    CHECK(own_keys.places_by("mood"));
    CHECK_FALSE(own_keys.places_by("label"));
    CHECK(TreeLayout("$album%aunique{}").places_by("label"));
    CHECK(TreeLayout("$album%aunique{$genre}").places_by("label"));  // fields named by a field

    // A plugin function sees every tag unless it declares that it reads only its arguments;
    // an unknown one is kept as written, its arguments unread.
    CHECK(TreeLayout("%upper{$title}", {upper_function()}).places_by("mood"));
    auto pure = upper_function();
    pure.args_only = true;
    const TreeLayout args_only("%upper{$title}", {pure});
    CHECK(args_only.places_by("title"));
    CHECK_FALSE(args_only.places_by("mood"));
    CHECK_FALSE(TreeLayout("$title%nosuch{$mood}").places_by("mood"));
}
