#include "vfs/names.hpp"

#include "util/utf8.hpp"

#include <doctest/doctest.h>

using namespace musicfs::vfs;

namespace {
std::string legal(std::string_view path, std::string_view ext = ".flac",
                  std::size_t max = kMaxNameBytes,
                  const std::vector<Replacement>& rules = default_replacements()) {
    const Replacements r(rules);
    std::string out;
    for (const auto& c : legalize_path(path, r, max, ext)) {
        if (!out.empty()) out += '|';
        out += c;
    }
    return out;
}
}  // namespace

TEST_CASE("beets' default replacements, component by component") {
    // beets config_default.yaml `replace:`, and what beets' own tests expect of it.
    CHECK(legal("AC/DC") == "AC|DC.flac");  // a '/' in the *template* separates directories
    CHECK(legal(".hidden/x") == "_hidden|x.flac");
    CHECK(legal("Takk.../01 Title") == "Takk.._|01 Title.flac");
    CHECK(legal("a<b>c:d\"e?f*g|h") == "a_b_c_d_e_f_g_h.flac");
    CHECK(legal("  padded  /x") == "padded|x.flac");
    CHECK(legal("-dash/x") == "_dash|x.flac");
    CHECK(legal("back\\slash") == "back_slash.flac");
    CHECK(legal(std::string("tab\there", 8)) == "tab_here.flac");
    CHECK(legal("Non-Album//Title") == "Non-Album|Title.flac");  // empty components vanish
    CHECK(legal("Non-Album/") == "Non-Album.flac");             // as in beets, oddly
    CHECK(legal("00 ") == "00.flac");
    CHECK(legal("Sigur R\xC3\xB3s/x") == "Sigur R\xC3\xB3s|x.flac");
}

TEST_CASE("beets' default rules give what their regular expressions give, fast path or not") {
    // A list equal to the defaults takes a shortcut for names they leave alone; one more rule
    // that never matches makes every name go through the regular expressions.
    const Replacements fast(default_replacements());
    auto rules = default_replacements();
    rules.push_back({"(?!)", ""});
    const Replacements slow(rules);
    const std::vector<std::string> pieces = {
        "a",  "Z",  "0", ".", "-", " ", "/", "\\", ":", "?", "|", "\t", "\n", "\x7f",
        "\xC3\xB3",          // o acute
        "\xC2\xA0",          // no-break space (white space to \s)
        "\xE2\x80\xA8",      // line separator (white space, and a line terminator to $)
        "\xC2\x85",          // next line (a line terminator)
        "\xE3\x80\x80",      // ideographic space
        "\xFF",              // not UTF-8
    };
    std::vector<std::string> names = {""};
    for (int len = 1; len <= 3; ++len) {
        std::vector<std::string> longer;
        for (const auto& n : names)
            if (n.size() >= static_cast<std::size_t>(len - 1))
                for (const auto& p : pieces) longer.push_back(n + p);
        names.insert(names.end(), longer.begin(), longer.end());
    }
    names.push_back("01 Track Title (feat. Someone) [Live]");
    names.push_back("Sigur R\xC3\xB3s - \xC3\x81g\xC3\xA6tis byrjun");
    int differ = 0;
    for (const auto& n : names) {
        const std::string a = fast.apply(n), b = slow.apply(n);
        if (a != b && ++differ <= 5) {
            CAPTURE(n);
            CHECK(a == b);
        }
    }
    CHECK(differ == 0);
}

TEST_CASE("rules no replacement list can turn off") {
    const std::vector<Replacement> none;
    CHECK(legal(".hidden", ".flac", kMaxNameBytes, none) == "_hidden.flac");
    CHECK(legal("..", "", kMaxNameBytes, none) == "_.");
    CHECK(legal(".", "", kMaxNameBytes, none) == "_");
    CHECK(legal("a\x01\x7f" "b\xC2\x85/x", ".mp3", kMaxNameBytes, none) == "ab|x.mp3");
    CHECK(legal("", ".flac", kMaxNameBytes, none) == "_flac");
    CHECK(legal("\x01", "", kMaxNameBytes, none) == "_");
}

TEST_CASE("user replacements are regular expressions with Python-style references") {
    CHECK(legal("The Beatles", ".mp3", kMaxNameBytes, {{"^The (.*)", "\\1, The"}}) ==
          "Beatles, The.mp3");
    CHECK(legal("a:b", "", kMaxNameBytes, {{":", "$"}}) == "a$b");
    CHECK(legal("x  y", "", kMaxNameBytes, {{"\\s+", " "}, {"y$", "z"}}) == "x z");
    CHECK_THROWS_AS(Replacements(std::vector<Replacement>{{"(", "x"}}), std::invalid_argument);
}

TEST_CASE("components are cut to the byte limit, keeping the extension and whole characters") {
    std::string long_stem;
    for (int i = 0; i < 200; ++i) long_stem += "\xE6\x9D\xB1";  // 600 bytes
    const std::string name = legal(long_stem);
    CHECK(name.size() <= kMaxNameBytes);
    CHECK(name.size() > kMaxNameBytes - 3 - 5);
    CHECK(name.substr(name.size() - 5) == ".flac");
    CHECK(musicfs::utf8::valid(name));
    const std::string dir = legal(long_stem + "/x");
    CHECK(dir.find('|') <= kMaxNameBytes);
    // A cut that leaves a trailing space is cleaned by the second round of replacements.
    CHECK(legal("ab cd", ".x", 5) == "ab.x");
    CHECK(legal("abcdefgh/ijklmnop", ".mp3", 6) == "abcdef|ij.mp3");
    // Replacements that still overflow after the second round give way to beets' fallback
    // rules: "a:b" -> "a::::b" -> cut "a:::" -> "a" and 12 colons, cut again -> fallback "a___".
    CHECK(legal("a:b", "", 4, {{":", "::::"}}) == "a___");
}

TEST_CASE("NFC and ASCII transliteration") {
    CHECK(nfc("e\xCC\x81") == "\xC3\xA9");          // e + combining acute -> é
    CHECK(nfc("bad\xFF") == "bad\xEF\xBF\xBD");      // ill-formed UTF-8 repaired
    CHECK(nfc("caf\xC3\xA9 \xE6\x97\xA5") == "caf\xC3\xA9 \xE6\x97\xA5");  // already NFC
    CHECK(nfc("plain ASCII") == "plain ASCII");
    CHECK(asciify("\xC3\x81g\xC3\xA6tis byrjun", "_") == "Agaetis byrjun");
    CHECK(asciify("Stra\xC3\x9F" "e/Caf\xC3\xA9", "_") == "Strasse/Cafe");
    CHECK(asciify("\xC2\xBD", "_") == " 1_2");  // '/' produced by the transliteration
    CHECK(asciify("\xE6\x9D\xB1\xE4\xBA\xAC", "_").find_first_of("\x80\xFF") == std::string::npos);
}

TEST_CASE("numbered names and extensions") {
    CHECK(numbered_name("01 Title", ".mp3", 2) == "01 Title (2).mp3");
    CHECK(numbered_name("Album", "", 3) == "Album (3)");
    const std::string stem(300, 'a');
    const std::string n = numbered_name(stem, ".opus", 12);
    CHECK(n.size() == kMaxNameBytes);
    CHECK(n.substr(n.size() - 10) == " (12).opus");
    CHECK(lowercase_extension("dir/x.FLAC") == ".flac");
    CHECK(lowercase_extension("dir.d/noext") == "");
    CHECK(lowercase_extension(".hidden") == "");
    CHECK(split_extension("a.b.mp3") == std::pair<std::string, std::string>{"a.b", ".mp3"});
}
