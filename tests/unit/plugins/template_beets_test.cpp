// template-beets: every function against beets' own expectations (beets test/test_library.py
// DestinationFunctionTest, and Python's semantics for the string methods beets calls), as data;
// then the built plugin loaded through the registry and called through the C ABI.
#include "template-beets/functions.hpp"

#include "plugin/registry.hpp"
#include "vfs/layout.hpp"
#include "vfs/plugin_functions.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <set>

namespace tb = musicfs::template_beets;
using namespace musicfs;

#ifndef MUSICFS_PLUGIN_DIR
#error "MUSICFS_PLUGIN_DIR must point at the built standard plugins"
#endif

TEST_CASE("case functions: lower, upper, capitalize, title") {
    CHECK(tb::upper("foo") == "FOO");
    CHECK(tb::upper("the title") == "THE TITLE");
    CHECK(tb::upper("stra\xC3\x9F" "e") == "STRASSE");  // full mapping, as Python
    CHECK(tb::lower("\xC3\x81G\xC3\x86TIS") == "\xC3\xA1g\xC3\xA6tis");
    CHECK(tb::lower("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3") == "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82");  // final sigma
    CHECK(tb::capitalize("the title") == "The title");
    CHECK(tb::capitalize("tHE TITLE") == "The title");
    CHECK(tb::capitalize("1st PLACE") == "1st place");
    CHECK(tb::capitalize("") == "");
    CHECK(tb::capitalize("\xC3\x9F" "x") == "Ssx");
    CHECK(tb::title("the title") == "The Title");
    CHECK(tb::title("I can't") == "I Can't");
    CHECK(tb::title("  many   SPACES here ") == "Many Spaces Here");  // string.capwords
    CHECK(tb::title("\xC3\xA1gust ") == "\xC3\x81gust");
}

TEST_CASE("left and right count characters, with Python's slice rules") {
    CHECK(tb::left("the title", " 3") == "the");
    CHECK(tb::right("the title", "3") == "tle");
    CHECK(tb::left("\xC3\x81g\xC3\xA6tis", "2") == "\xC3\x81g");
    CHECK(tb::right("\xC3\x81g\xC3\xA6tis", "4") == "\xC3\xA6tis");
    CHECK(tb::left("abc", "-1") == "ab");
    CHECK(tb::right("abc", "-1") == "bc");
    CHECK(tb::right("abc", "0") == "abc");  // s[-0:]
    CHECK(tb::left("abc", "0") == "");
    CHECK(tb::left("abc", "10") == "abc");
    CHECK(tb::left("abc", "1_0") == "abc");
    CHECK_THROWS_AS(tb::left("abc", "x"), tb::Error);
    CHECK_THROWS_AS(tb::left("abc", ""), tb::Error);
    CHECK_THROWS_AS(tb::left("abc", "1.5"), tb::Error);
}

TEST_CASE("if and ifdef") {
    CHECK(tb::if_("", "foo", "") == "");
    CHECK(tb::if_("false", "foo", "") == "");
    CHECK(tb::if_("bar", "foo", "") == "foo");
    CHECK(tb::if_("", "foo", "baz") == "baz");
    CHECK(tb::if_("false", "foo", "baz") == "baz");
    CHECK(tb::if_("FALSE", "foo", "baz") == "baz");
    CHECK(tb::if_("0", "foo", "baz") == "baz");
    CHECK(tb::if_(" 00 ", "foo", "baz") == "baz");
    CHECK(tb::if_("1", "foo", "baz") == "foo");
    CHECK(tb::if_(" ", "foo", "baz") == "foo");
    CHECK(tb::if_("0.0", "foo", "baz") == "foo");
    const std::map<std::string, std::string> fields = {{"bar", "3"}, {"artist", "the artist"},
                                                       {"series", "Now"}};
    const tb::FieldLookup lookup = [&](std::string_view n) -> std::optional<std::string> {
        const auto it = fields.find(std::string(n));
        if (it == fields.end()) return std::nullopt;
        return it->second;
    };
    CHECK(tb::ifdef("bar", "", "", lookup) == "3");
    CHECK(tb::ifdef("nope", "", "", lookup) == "");
    CHECK(tb::ifdef("artist", "cool", "", lookup) == "cool");
    CHECK(tb::ifdef("series", "Now Series", "Albums", lookup) == "Now Series");
    CHECK(tb::ifdef("plays", "x", "not_played", lookup) == "not_played");
}

TEST_CASE("asciify, time and first") {
    CHECK(tb::asciify("\xC3\x81g\xC3\xA6tis byrjun") == "Agaetis byrjun");
    CHECK(tb::asciify("Sigur R\xC3\xB3s") == "Sigur Ros");
    CHECK(tb::asciify("Bj\xC3\xB6rk / Stra\xC3\x9F" "e") == "Bjork / Strasse");
    CHECK(tb::asciify("ab\xC2\xBD" "d") == "ab 1_2d");     // beets: "ab 1_2d" (unidecode)
    CHECK(tb::asciify("\xD0\x9C\xD0\xBE\xD1\x81\xD0\xBA\xD0\xB2\xD0\xB0") == "Moskva");
    CHECK(tb::asciify("\xF0\x9F\x8E\xB5x") == "x");    // nothing ASCII for an emoji: dropped
    CHECK(tb::time("2023-05-17 14:03:09", "%Y") == "2023");
    CHECK(tb::time("2023-05-17 14:03:09", "%d.%m.%Y %H:%M") == "17.05.2023 14:03");
    CHECK(tb::time("1999", "%Y-%m", "%Y") == "1999-01");
    CHECK_THROWS_AS(tb::time("yesterday", "%Y"), tb::Error);
    CHECK(tb::first("Pop; Rock; Classical Crossover") == "Pop");
    CHECK(tb::first("Pop; Rock; Classical Crossover", "1", "2") == "Classical Crossover");
    CHECK(tb::first("Pop; Rock; Classical Crossover", "2") == "Pop; Rock");
    CHECK(tb::first("Alice / Bob / Eve", "2", "0", " / ", " & ") == "Alice & Bob");
    CHECK(tb::first("") == "");
    CHECK(tb::first("a; b", "5", "1") == "b");
    CHECK_THROWS_AS(tb::first("a", "x"), tb::Error);
    CHECK_THROWS_AS(tb::first("a", "1", "0", ""), tb::Error);
}

TEST_CASE("python_int reads what Python's int() reads") {
    CHECK(tb::python_int("42") == 42);
    CHECK(tb::python_int(" -7 ") == -7);
    CHECK(tb::python_int("+3") == 3);
    CHECK(tb::python_int("1_000") == 1000);
    for (const char* bad : {"", " ", "1__0", "_1", "1_", "0x10", "1.0", "--1", "٣"}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(tb::python_int(bad), tb::Error);
    }
}

TEST_CASE("the built plugin, loaded and called through the C ABI") {
    const auto path = std::filesystem::path(MUSICFS_PLUGIN_DIR) / "template-beets.so";
    REQUIRE(std::filesystem::exists(path));
    plugin::Registry registry({});
    const auto p = registry.load_file(path);
    REQUIRE(p);
    CHECK(p->kinds() == "template");
    std::vector<vfs::TemplateFunction> functions;
    std::set<std::string> names;
    for (const auto* f : p->template_functions()) {
        functions.push_back(vfs::adopt_template_function(f, p->id() + " " + p->version(), p));
        names.insert(f->name);
    }
    CHECK(names == std::set<std::string>{"lower", "upper", "capitalize", "title", "left", "right",
                                         "if", "ifdef", "asciify", "time", "first"});
    // Every function but %ifdef, which looks a field up by name, computes from its arguments
    // alone: templates calling them leave an edit of a tag they do not name without a rebuild.
    for (const auto& f : functions) CHECK_MESSAGE(f.args_only == (f.name != "ifdef"), f.name);
    CHECK_FALSE(vfs::TreeLayout("%if{$album,$album,x}/%upper{$title}", functions).places_by("genre"));
    CHECK(vfs::TreeLayout("%ifdef{album}/$title", functions).places_by("genre"));
    const vfs::TreeLayout layout(
        "%upper{$artist}/%lower{$title} %capitalize{$album} %title{x y}/%left{$title,2}%right{$title,2}"
        "/%if{$comp,C,N}%if{,a,b} %ifdef{genre}+%ifdef{nosuch,y,n}+%ifdef{artist,yes}/"
        "%asciify{$artist} %first{$artists,1,1} %time{2001-02-03 04:05:06,%Y}/%left{$title,x}",
        functions);
    vfs::TrackData t;
    t.track_id = 1;
    t.path = "x.flac";
    t.tags = {{"artist", "Bj\xC3\xB6rk"}, {"title", "JOGA"},  {"album", "hOMOGENIC"},
              {"artists", "A"},           {"artists", "B"},   {"genre", "Pop"}};
    const auto comps = layout.place({t}).at(0).components;
    REQUIRE(comps.size() == 6);
    CHECK(comps[0] == "BJ\xC3\x96RK");
    CHECK(comps[1] == "joga Homogenic X Y");
    CHECK(comps[2] == "JOGA");
    CHECK(comps[3] == "Nb Pop+n+yes");
    CHECK(comps[4] == "Bjork B 2001");
    // A call the function refuses (not a number) stays as written, arguments unexpanded.
    CHECK(comps[5] == "%left{$title,x}.flac");
}
