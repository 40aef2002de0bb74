#include "vfs/path_template.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

using namespace musicfs;
using musicfs::vfs::PathTemplate;

namespace {
std::string render(std::string_view tmpl, const catalog::TagList& tags,
                   std::string_view path = "dir/file.FLAC") {
    std::string out;
    for (const auto& c : PathTemplate(tmpl).render(tags, path)) out += (out.empty() ? "" : "|") + c;
    return out;
}
}  // namespace

TEST_CASE("the default template builds AlbumArtist/Album/NN Title.ext") {
    const catalog::TagList tags = {{"albumartist", "Sigur R\xC3\xB3s"}, {"album", "Takk..."},
                                   {"artist", "Someone"}, {"title", "Gl\xC3\xB3s\xC3\xB3li"},
                                   {"tracknumber", "3"}};
    CHECK(render(vfs::kDefaultTemplate, tags) ==
          "Sigur R\xC3\xB3s|Takk...|03 Gl\xC3\xB3s\xC3\xB3li.flac");
}

TEST_CASE("missing fields fall back like beets") {
    CHECK(render(vfs::kDefaultTemplate, {{"artist", "A"}, {"title", "T"}}) ==
          "A|Unknown Album|T.flac");
    CHECK(render(vfs::kDefaultTemplate, {}, "x/My Song.Mp3") ==
          "Unknown Artist|Unknown Album|My Song.mp3");
    CHECK(render("$artist", {{"albumartist", "AA"}}) == "AA.flac");
}

TEST_CASE("values are formatted and made legal") {
    CHECK(render("$track-$disc-$year", {{"tracknumber", "7/12"}, {"discnumber", "1"},
                                        {"date", "1999-03-01"}}) == "07-01-1999.flac");
    CHECK(render("$title", {{"title", "Either/Or"}}) == "Either_Or.flac");
    CHECK(render("$artists", {{"artists", "A"}, {"artists", "B"}}) == "A; B.flac");
    CHECK(render("$title", {{"title", ".hidden"}}) == "_hidden.flac");
    CHECK(render("$genre/$title", {{"title", "T"}}) == "Unknown|T.flac");
}

TEST_CASE("template syntax: braces, escapes and literal leftovers") {
    CHECK(render("${album}x", {{"album", "Al"}}) == "Alx.flac");
    CHECK(render("$$5", {}) == "$5.flac");
    CHECK(render("cost $", {}) == "cost $.flac");
    CHECK(render("${unclosed", {}) == "${unclosed.flac");
    CHECK(render("file", {}, "noext") == "file");
}

TEST_CASE("an unusable template is refused") {
    CHECK_THROWS_AS(PathTemplate(""), UserError);
    CHECK_THROWS_AS(PathTemplate("$album//$title"), UserError);
}
