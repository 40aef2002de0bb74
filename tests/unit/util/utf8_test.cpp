#include "util/utf8.hpp"

#include <doctest/doctest.h>

using namespace musicfs;

TEST_CASE("utf8::valid accepts well-formed text and rejects the classic traps") {
    CHECK(utf8::valid(""));
    CHECK(utf8::valid("Sigur R\xC3\xB3s \xE6\x9D\xB1\xE4\xBA\xAC \xF0\x9F\x8E\xB5"));
    CHECK_FALSE(utf8::valid("bad\xFFname"));
    CHECK_FALSE(utf8::valid("\xC0\xAF"));          // overlong '/'
    CHECK_FALSE(utf8::valid("\xED\xA0\x80"));      // UTF-16 surrogate
    CHECK_FALSE(utf8::valid("\xF4\x90\x80\x80"));  // past U+10FFFF
    CHECK_FALSE(utf8::valid("\xE6\x9D"));          // truncated sequence
}

TEST_CASE("utf8::repair replaces each bad byte with U+FFFD and keeps the rest") {
    CHECK(utf8::repair("bad\xFFname") == "bad\xEF\xBF\xBDname");
    CHECK(utf8::repair("ok \xC3\xB3") == "ok \xC3\xB3");
    CHECK(utf8::repair("\xE6\x9D") == "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST_CASE("utf8::prefix_len never splits a character") {
    const std::string s = "a\xE6\x9D\xB1";  // 'a' + one 3-byte character
    CHECK(utf8::prefix_len(s, 10) == 4);
    CHECK(utf8::prefix_len(s, 4) == 4);
    CHECK(utf8::prefix_len(s, 3) == 1);
    CHECK(utf8::prefix_len(s, 2) == 1);
    CHECK(utf8::prefix_len(s, 1) == 1);
    CHECK(utf8::prefix_len(s, 0) == 0);
}
