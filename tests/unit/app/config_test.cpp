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
