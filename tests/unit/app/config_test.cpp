#include "app/config.hpp"

#include "util/error.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace musicfs;
using musicfs::app::Config;

namespace {
struct TempFile {
    std::string path;
    explicit TempFile(const std::string& text)
        : path((std::filesystem::temp_directory_path() /
                ("musicfs-config-" + std::to_string(std::rand()) + ".toml"))
                   .string()) {
        std::ofstream(path) << text;
    }
    ~TempFile() { std::filesystem::remove(path); }
};

std::string error_of(const std::optional<std::string>& file,
                     const std::map<std::string, std::string>& cli = {}) {
    try {
        Config::load(file, cli);
    } catch (const UserError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("config: defaults, file, environment and command line, in that order") {
    const TempFile f(R"(
log_level = "debug"
[fuse]
attr_timeout = 5
entry_timeout = 2.5
[library]
name = "main"
[metadata]
sources = ["taglib"]
[metadata.taglib]
some_option = 3
[[origin]]
name = "nas"
type = "local"
root = "/srv/music"
)");
    ::unsetenv("MUSICFS_FUSE_ATTR_TIMEOUT");
    auto c = Config::load(f.path, {});
    CHECK(c.string("log_level") == "debug");
    CHECK(c.number("fuse.attr_timeout") == 5);
    CHECK(c.number("fuse.entry_timeout") == 2.5);
    CHECK(c.string("library.name") == "main");
    CHECK(c.string("scan.on_mount") == "auto");  // default
    CHECK_FALSE(c.is_set("state_dir"));
    REQUIRE(c.origins().size() == 1);
    CHECK(c.origins()[0].name == "nas");
    CHECK(c.origins()[0].options.at("root") == "/srv/music");
    CHECK(c.source_options("taglib").at("some_option") == "3");

    ::setenv("MUSICFS_FUSE_ATTR_TIMEOUT", "7", 1);
    ::setenv("MUSICFS_PLUGIN_PATH", "/a:/b", 1);
    c = Config::load(f.path, {});
    CHECK(c.number("fuse.attr_timeout") == 7);
    CHECK(c.list("plugins.path") == std::vector<std::string>{"/a", "/b"});
    c = Config::load(f.path, {{"fuse.attr_timeout", "9"}});
    CHECK(c.number("fuse.attr_timeout") == 9);
    ::unsetenv("MUSICFS_FUSE_ATTR_TIMEOUT");
    ::unsetenv("MUSICFS_PLUGIN_PATH");
}

TEST_CASE("config: mistakes are reported with where they are") {
    const TempFile unknown("[fuse]\nattr_timeot = 5\n");
    CHECK(error_of(unknown.path) == unknown.path + ":2:1: unknown option 'fuse.attr_timeot'");
    const TempFile broken("log_level = \n");
    CHECK(error_of(broken.path).rfind("config " + broken.path + ":1:", 0) == 0);
    const TempFile wrong_type("[fuse]\nallow_other = \"maybe\"\n");
    CHECK(error_of(wrong_type.path).find("'fuse.allow_other' must be true or false") !=
          std::string::npos);
    const TempFile no_type("[[origin]]\nroot = \"/x\"\n");
    CHECK(error_of(no_type.path).find("origin needs a type") != std::string::npos);
    CHECK(error_of(std::nullopt, {{"fuse.max_threads", "many"}}) ==
          "option --max-threads: 'fuse.max_threads' must be a whole number, not 'many'");
}

TEST_CASE("config: a paths block keeps the file's order and beets' defaults") {
    const TempFile f(R"([paths]
"year:1960..1969" = "Sixties/$title"
comp = "VA/$album/$title"
"genre:jazz" = "Jazz/$title"
)");
    const auto c = Config::load(f.path, {});
    REQUIRE(c.layout().views.size() == 1);
    const auto& paths = c.layout().views[0].paths;
    REQUIRE(paths.size() == 5);
    CHECK(paths[0].query == "year:1960..1969");
    CHECK(paths[1].query == "comp");
    CHECK(paths[1].tmpl == "VA/$album/$title");
    CHECK(paths[2].query == "genre:jazz");
    CHECK(paths[3].query == "default");
    CHECK(paths[3].tmpl == "$albumartist/$album%aunique{}/$track $title");
    CHECK(paths[4].query == "singleton");
    // The command line overrides the file's template, in the file's place.
    const auto cli = Config::load(f.path, {{"paths.comp", "C/$title"}});
    CHECK(cli.layout().views[0].paths[1].tmpl == "C/$title");
    // The older top-level name of the default template.
    const TempFile old("template = \"$artist/$title\"\n");
    const auto o = Config::load(old.path, {});
    CHECK(o.layout().views[0].paths[0].query == "default");
    CHECK(o.layout().views[0].paths[0].tmpl == "$artist/$title");
}

TEST_CASE("config: views, replacements and path options") {
    const TempFile f(R"toml(asciify_paths = true
max_filename_length = 100
[aunique]
bracket = "()"
[views."Albums by year".paths]
default = "$year/$album"
[views.Artists.paths]
default = "$albumartist/$album"
"genre:jazz" = "Jazz/$title"
[replace]
"z" = "Z"
"a" = "A"
)toml");
    const auto c = Config::load(f.path, {});
    const auto& l = c.layout();
    REQUIRE(l.views.size() == 2);
    CHECK(l.views[0].name == "Albums by year");  // file order, not key order
    CHECK(l.views[1].name == "Artists");
    CHECK(l.views[1].paths.size() == 2);
    REQUIRE(l.replacements.size() == 2);
    CHECK(l.replacements[0].pattern == "z");
    CHECK(l.asciify_paths);
    CHECK(l.max_filename_length == 100);
    CHECK(l.aunique.bracket == "()");
    CHECK(l.aunique.keys == "albumartist album");
}

TEST_CASE("config: layout mistakes are reported with where they are") {
    const TempFile query("[paths]\ndefault = \"$title\"\n\"year:19x0..1969\" = \"x\"\n");
    CHECK(error_of(query.path).rfind(query.path + ":3:1: paths query 'year:19x0..1969': '19x0' is "
                                                 "not a number",
                                     0) == 0);
    const TempFile regex("[views.A.paths]\n\"title::(\" = \"x\"\n");
    CHECK(error_of(regex.path).find(regex.path + ":2:1:") == 0);
    const TempFile view("[views.A]\npathz = \"x\"\n");
    CHECK(error_of(view.path).find(view.path + ":2:1: unknown view key 'pathz'") == 0);
    const TempFile empty("[views.A.paths]\n");
    CHECK(error_of(empty.path).find("view 'A' has no paths") != std::string::npos);
    const TempFile both("[paths]\ndefault = \"x\"\n[views.A.paths]\ndefault = \"y\"\n");
    CHECK(error_of(both.path).find("cannot both be given") != std::string::npos);
    const TempFile replace("[replace]\n\"(\" = \"x\"\n");
    CHECK(error_of(replace.path).find(replace.path + ":2:1: replace:") == 0);
    const TempFile not_string("[paths]\ndefault = 3\n");
    CHECK(error_of(not_string.path).find("must be a string") != std::string::npos);
}
