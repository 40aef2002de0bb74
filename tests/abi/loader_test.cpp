// The host's loader against plugins built for other ABI versions or built wrong: a plugin from
// the frozen 1.0 SDK keeps loading and working, and every defective plugin is refused with a
// reason a user can act on (registry.refused()), never loaded half-way and never crashing the
// host. The plugins are in tests/abi/plugins/ (see test_plugin.c for the variants).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "origins/origin.hpp"
#include "plugin/registry.hpp"
#include "util/error.hpp"

#include <musicfs/abi.h>
#include <musicfs/origin.h>

#include <fmt/format.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;
using musicfs::origins::Origin;
using musicfs::plugin::Registry;

fs::path plugin_path(const std::string& name) {
    return fs::path(MUSICFS_ABI_PLUGIN_DIR) / (name + ".so");
}

// The reason `registry` gave for refusing `path`, or "" when it did not refuse it.
std::string refusal(const Registry& registry, const fs::path& path) {
    std::string reason;
    for (const auto& r : registry.refused())
        if (r.path == path) reason = r.reason;
    return reason;
}

struct Entry {
    std::uint32_t type;
    std::uint64_t size;
};

std::map<std::string, Entry> list(const Origin& origin, const std::string& dir, int& rc) {
    std::map<std::string, Entry> out;
    rc = origin.list(dir, [&](std::string_view name, const mfs_origin_stat_t& st) {
        out.emplace(std::string(name), Entry{st.type, st.size});
        return true;
    });
    return out;
}

std::string read_all(const Origin& origin, const std::string& path) {
    int err = 0;
    auto file = origin.open(path, err);
    REQUIRE_MESSAGE(file, "open ", path, ": ", musicfs::errno_text(err));
    std::string out;
    char buf[4096];
    for (;;) {
        const auto n = file->read(out.size(), buf, sizeof buf);
        REQUIRE(n >= 0);
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    return out;
}

std::shared_ptr<Origin> make_origin(const musicfs::plugin::PluginPtr& plugin,
                                    std::map<std::string, std::string> config = {}) {
    return std::make_shared<Origin>("test", plugin, std::move(config));
}

}  // namespace

TEST_CASE("a plugin built against the frozen 1.0 headers still loads and serves its files") {
    Registry registry({});
    const auto path = plugin_path("abi_frozen_origin");
    const auto plugin = registry.load_file(path);
    REQUIRE_MESSAGE(plugin, "refused: ", refusal(registry, path));
    CHECK(plugin->id() == "org.musicfs.test.frozen-1.0-origin");
    CHECK(plugin->abi_major() == 1);
    CHECK(plugin->abi_minor() == 0);
    CHECK(plugin->kinds() == "origin");
    // The host hands its own, full-size copy of the table, whatever size the plugin's was.
    REQUIRE(plugin->origin_kind());
    CHECK(plugin->origin_kind()->struct_size == sizeof(mfs_origin_kind_t));

    const auto origin = make_origin(plugin, {{"track_size", "70001"}});
    int rc = -1;
    const auto root = list(*origin, "", rc);
    CHECK(rc == 0);
    REQUIRE(root.size() == 2);
    CHECK(root.at("hello.txt").type == MFS_ENTRY_FILE);
    CHECK(root.at("hello.txt").size == 32);
    CHECK(root.at("album").type == MFS_ENTRY_DIRECTORY);
    const auto album = list(*origin, "album", rc);
    CHECK(rc == 0);
    REQUIRE(album.size() == 2);
    CHECK(album.at("01 track.bin").size == 70001);
    CHECK(album.at("empty.bin").size == 0);
    CHECK(list(*origin, "nope", rc).empty());
    CHECK(rc == -ENOENT);

    mfs_origin_stat_t st{};
    CHECK(origin->stat("album/01 track.bin", st) == 0);
    CHECK(st.type == MFS_ENTRY_FILE);
    CHECK(st.size == 70001);
    CHECK(st.mtime_ns == 1'700'000'000'000'000'000);
    CHECK(origin->stat("album/missing", st) == -ENOENT);

    CHECK(read_all(*origin, "hello.txt") == "Hello from a MusicFS 1.0 plugin\n");
    const std::string track = read_all(*origin, "album/01 track.bin");
    REQUIRE(track.size() == 70001);
    for (std::uint64_t i : {0ull, 1ull, 4095ull, 65537ull, 70000ull})
        CHECK(static_cast<unsigned char>(track[i]) == (i * 31 + 7) % 251);
    int err = 0;
    auto file = origin->open("album/01 track.bin", err);
    REQUIRE(file);
    char buf[16];
    CHECK(file->read(69995, buf, sizeof buf) == 6);  // crosses the end
    CHECK(file->read(70001, buf, sizeof buf) == 0);  // at the end
    CHECK_FALSE(origin->open("album", err));
    CHECK(err == -EISDIR);
    CHECK_FALSE(origin->open("missing", err));
    CHECK(err == -ENOENT);

    // Configuration still flows in through the 1.0 mfs_config_t.
    CHECK_THROWS_AS(make_origin(plugin, {{"no_such_key", "1"}}), musicfs::UserError);
    const auto small = make_origin(plugin, {{"track_size", "3"}});
    CHECK(read_all(*small, "album/01 track.bin").size() == 3);
}

TEST_CASE("a plugin of another major version is refused with a message naming both versions") {
    Registry registry({});
    const auto path = plugin_path("abi_major2");
    CHECK_FALSE(registry.load_file(path));
    const std::string reason = refusal(registry, path);
    INFO("reason: ", reason);
    CHECK(reason.find("2.3") != std::string::npos);  // the plugin's version
    CHECK(reason.find(fmt::format("{}.{}", MFS_ABI_VERSION_MAJOR, MFS_ABI_VERSION_MINOR)) !=
          std::string::npos);  // the host's
    CHECK(registry.plugins().empty());
}

// Only struct_size, abi_major and abi_minor (the first 8 bytes) can be relied on across majors:
// a plugin of another major whose descriptor has another shape (here 8 bytes, nothing past the
// version) must get the version message, not "impossible size", and its id must not be read.
TEST_CASE("a plugin of another major is refused by its version, whatever its descriptor size") {
    Registry registry({});
    const auto path = plugin_path("abi_major2_short_descriptor");
    CHECK_FALSE(registry.load_file(path));
    const std::string reason = refusal(registry, path);
    INFO("reason: ", reason);
    CHECK(reason.find("2.0") != std::string::npos);
    CHECK(reason.find(fmt::format("{}.{}", MFS_ABI_VERSION_MAJOR, MFS_ABI_VERSION_MINOR)) !=
          std::string::npos);
}

TEST_CASE("a kind table from before get_extension existed loads, and the missing field reads NULL") {
    // Simulates a plugin of an older minor: its origin table's struct_size ends before
    // get_extension, and the bytes past it hold a poisoned callback that aborts when called.
    Registry registry({});
    const auto path = plugin_path("abi_old_minor");
    const auto plugin = registry.load_file(path);
    REQUIRE_MESSAGE(plugin, "refused: ", refusal(registry, path));
    REQUIRE(plugin->origin_kind());
    CHECK(plugin->origin_kind()->struct_size == sizeof(mfs_origin_kind_t));
    CHECK((plugin->origin_kind()->get_extension == nullptr));
    const auto origin = make_origin(plugin);
    CHECK(read_all(*origin, "only.txt") == "abi_old_minor\n");
}

TEST_CASE("a template function's flags (1.1) are read, and absent past an older struct_size") {
    Registry registry({});
    for (const auto& [name, args_only] :
         {std::pair{"abi_template_flags", true}, std::pair{"abi_template_before_flags", false}}) {
        CAPTURE(name);
        const auto path = plugin_path(name);
        const auto plugin = registry.load_file(path);
        REQUIRE_MESSAGE(plugin, "refused: ", refusal(registry, path));
        REQUIRE(plugin->template_functions().size() == 1);
        const auto* f = plugin->template_functions()[0];
        CHECK(f->struct_size == sizeof(mfs_template_function_t));
        CHECK(std::string(f->name) == "tp_echo");
        CHECK(((f->flags & MFS_TEMPLATE_ARGS_ONLY) != 0) == args_only);
    }
}

TEST_CASE("a plugin of a newer minor loads, and the host ignores the table fields it does not know") {
    Registry registry({});
    const auto path = plugin_path("abi_new_minor");
    const auto plugin = registry.load_file(path);
    REQUIRE_MESSAGE(plugin, "refused: ", refusal(registry, path));
    CHECK(plugin->abi_minor() == MFS_ABI_VERSION_MINOR + 1u);
    REQUIRE(plugin->origin_kind());
    CHECK(plugin->origin_kind()->struct_size == sizeof(mfs_origin_kind_t));
    const auto origin = make_origin(plugin);
    int rc = -1;
    CHECK(list(*origin, "", rc).size() == 1);
    CHECK(rc == 0);
    CHECK(read_all(*origin, "only.txt") == "abi_new_minor\n");
}

TEST_CASE("impossible struct sizes are refused with a reason") {
    Registry registry({});
    for (const char* name :
         {"abi_descriptor_too_small", "abi_kind_too_small", "abi_kind_too_large"}) {
        const auto path = plugin_path(name);
        CAPTURE(name);
        CHECK_FALSE(registry.load_file(path));
        const std::string reason = refusal(registry, path);
        INFO("reason: ", reason);
        CHECK(reason.find("impossible size") != std::string::npos);
    }
    CHECK(registry.plugins().empty());
}

TEST_CASE("a plugin whose init fails is refused, and its deinit is never called") {
    // The plugin's deinit aborts: reaching it would end this test program.
    Registry registry({});
    const auto path = plugin_path("abi_init_fails");
    CHECK_FALSE(registry.load_file(path));
    const std::string reason = refusal(registry, path);
    INFO("reason: ", reason);
    CHECK(reason.find("init failed") != std::string::npos);
    CHECK(reason.find(musicfs::errno_text(EPERM)) != std::string::npos);
}

TEST_CASE("a library without the entry symbol is refused with a reason") {
    Registry registry({});
    const auto path = plugin_path("abi_no_entry");
    CHECK_FALSE(registry.load_file(path));
    const std::string reason = refusal(registry, path);
    INFO("reason: ", reason);
    CHECK(reason.find(MFS_PLUGIN_ENTRY_SYMBOL) != std::string::npos);
}

TEST_CASE("the first directory providing an id wins, and a second copy in one directory is refused") {
    const fs::path top = fs::temp_directory_path() / fmt::format("musicfs-abi-ids-{}", getpid());
    const fs::path mine = top / "mine", standard = top / "standard";
    fs::create_directories(mine);
    fs::create_directories(standard);
    const auto source = plugin_path("abi_frozen_origin");
    fs::copy_file(source, mine / "origin.so");
    fs::copy_file(source, standard / "origin.so");
    {
        Registry registry({mine, standard});
        REQUIRE(registry.plugins().size() == 1);
        CHECK(registry.plugins()[0]->path() == mine / "origin.so");
        const std::string reason = refusal(registry, standard / "origin.so");
        INFO("reason: ", reason);
        CHECK(reason.find("overridden by " + (mine / "origin.so").string()) != std::string::npos);
    }
    fs::copy_file(source, mine / "origin-copy.so");
    {
        Registry registry({mine});
        REQUIRE(registry.plugins().size() == 1);
        const auto loaded = registry.plugins()[0]->path();
        const auto other = loaded == mine / "origin.so" ? mine / "origin-copy.so" : mine / "origin.so";
        const std::string reason = refusal(registry, other);
        INFO("reason: ", reason);
        CHECK(reason.find("is already provided by " + loaded.string()) != std::string::npos);
    }
    fs::remove_all(top);
}

TEST_CASE("other defective plugins are refused with a reason") {
    Registry registry({});
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"abi_null_entry", "no descriptor"},
        {"abi_no_read", "lacks a required callback"},
        {"abi_no_kind", "no plugin kind"},
    };
    for (const auto& [name, expected] : cases) {
        const auto path = plugin_path(name);
        CAPTURE(name);
        CHECK_FALSE(registry.load_file(path));
        const std::string reason = refusal(registry, path);
        INFO("reason: ", reason);
        CHECK(reason.find(expected) != std::string::npos);
    }

    // Not a shared object at all, and no file at all.
    const fs::path dir = fs::temp_directory_path() / fmt::format("musicfs-abi-{}", getpid());
    fs::create_directories(dir);
    const fs::path text = dir / "not-a-library.so";
    std::ofstream(text) << "this is not an ELF file\n";
    CHECK_FALSE(registry.load_file(text));
    CHECK(refusal(registry, text).find("cannot be loaded") != std::string::npos);
    const fs::path missing = dir / "missing.so";
    CHECK_FALSE(registry.load_file(missing));
    CHECK(refusal(registry, missing).find(musicfs::errno_text(ENOENT)) != std::string::npos);
    fs::remove_all(dir);
    CHECK(registry.plugins().empty());
}
