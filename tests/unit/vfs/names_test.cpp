#include "vfs/names.hpp"

#include "util/utf8.hpp"

#include <doctest/doctest.h>

using namespace musicfs::vfs;

TEST_CASE("sanitize_component makes tag values legal names") {
    CHECK(sanitize_component("AC/DC", "x") == "AC_DC");
    CHECK(sanitize_component(std::string("a\0b", 3), "x") == "ab");
    CHECK(sanitize_component("tab\there\nnewline", "x") == "tabherenewline");
    CHECK(sanitize_component("  padded  ", "x") == "padded");
    CHECK(sanitize_component(".hidden", "x") == "_hidden");
    CHECK(sanitize_component(".", "x") == "_");
    CHECK(sanitize_component("..", "x") == "_.");
    CHECK(sanitize_component("", "Unknown Artist") == "Unknown Artist");
    CHECK(sanitize_component("   ", "Unknown Album") == "Unknown Album");
    CHECK(sanitize_component("\x01\x02", "Unknown") == "Unknown");
    CHECK(sanitize_component("bad\xFF", "x") == "bad\xEF\xBF\xBD");
    CHECK(sanitize_component("Sigur R\xC3\xB3s", "x") == "Sigur R\xC3\xB3s");
}

TEST_CASE("fit_name keeps the extension and whole characters within the byte limit") {
    CHECK(fit_name("01 Title", ".flac") == "01 Title.flac");
    std::string long_stem;
    for (int i = 0; i < 200; ++i) long_stem += "\xE6\x9D\xB1";  // 600 bytes
    const std::string name = fit_name(long_stem, ".flac");
    CHECK(name.size() <= kMaxNameBytes);
    CHECK(name.size() > kMaxNameBytes - 3 - 5);
    CHECK(name.substr(name.size() - 5) == ".flac");
    CHECK(musicfs::utf8::valid(name));
    CHECK(fit_name("abc ", "", 3) == "abc");
    CHECK(fit_name("ab cd", ".x", 5) == "ab.x");  // cut stem loses trailing space
}

TEST_CASE("numbered_name inserts the number before the extension, within the limit") {
    CHECK(numbered_name("01 Title", ".mp3", 2) == "01 Title (2).mp3");
    CHECK(numbered_name("Album", "", 3) == "Album (3)");
    const std::string stem(300, 'a');
    const std::string n = numbered_name(stem, ".opus", 12);
    CHECK(n.size() == kMaxNameBytes);
    CHECK(n.substr(n.size() - 10) == " (12).opus");
}
