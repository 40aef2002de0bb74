// The examples/template-the plugin, built out of tree against the installed SDK, loaded with
// dlopen and driven only through the C ABI, the way a host would (the daemon's template engine
// does not call template functions yet). Run by test_examples_out_of_tree.py with
// MUSICFS_TEMPLATE_THE_SO=<the built .so>; exits 77 (skipped) when it is not set.
#define DOCTEST_CONFIG_IMPLEMENT
#include <musicfs/musicfs.h>

#include <doctest/doctest.h>

#include <dlfcn.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Loaded {
    void* handle = nullptr;
    const mfs_plugin_t* plugin = nullptr;
    const mfs_template_kind_t* kind = nullptr;
    std::vector<std::string> log;
};

mfs_host_t make_host(Loaded& loaded) {
    mfs_host_t host{};
    host.struct_size = sizeof host;
    host.abi_major = MFS_ABI_VERSION_MAJOR;
    host.abi_minor = MFS_ABI_VERSION_MINOR;
    host.host_version = "test";
    host.ctx = &loaded;
    host.log = [](void* ctx, std::int32_t, const char*, const char* message) {
        static_cast<Loaded*>(ctx)->log.emplace_back(message);
    };
    return host;
}

Loaded g_loaded;
mfs_host_t g_host;

const mfs_template_function_t& function(const char* name) {
    for (std::uint32_t i = 0; i < g_loaded.kind->function_count; ++i) {
        const mfs_template_function_t* f = g_loaded.kind->functions[i];
        if (f != nullptr && std::string_view(f->name) == name) {
            return *f;
        }
    }
    FAIL("the plugin has no function ", name);
    std::abort();
}

struct Result {
    std::int64_t rc;
    std::string text;
};

// Calls %name{args...} as the host does: a small buffer first, then one of the size asked for.
Result call(const char* name, std::vector<const char*> args) {
    const mfs_tag_t tag_array[] = {{"artist", "The Beatles"}, {"date", "1965"}};
    const mfs_tag_list_t tags{sizeof(mfs_tag_list_t), 2, tag_array};
    const mfs_template_call_t c{sizeof(mfs_template_call_t),
                                static_cast<std::uint32_t>(args.size()),
                                args.data(),
                                &tags,
                                nullptr,
                                nullptr};
    const mfs_template_function_t& f = function(name);
    REQUIRE(args.size() >= f.min_args);
    REQUIRE(args.size() <= f.max_args);
    std::vector<char> buf(4, '#');
    std::int64_t rc = f.call(&c, buf.data(), buf.size());
    if (rc >= 0 && static_cast<std::size_t>(rc) >= buf.size()) {
        CHECK(buf.back() == '\0');  // truncated, NUL-terminated
        buf.assign(static_cast<std::size_t>(rc) + 1, '#');
        const std::int64_t again = f.call(&c, buf.data(), buf.size());
        CHECK(again == rc);  // a pure function
        rc = again;
    }
    return {rc, rc >= 0 ? std::string(buf.data()) : std::string()};
}

std::string the(const char* text) {
    const Result r = call("the", {text});
    REQUIRE(r.rc >= 0);
    CHECK(static_cast<std::size_t>(r.rc) == r.text.size());
    return r.text;
}

std::string bucket(std::vector<const char*> args) {
    const Result r = call("bucket", std::move(args));
    REQUIRE(r.rc >= 0);
    return r.text;
}

}  // namespace

TEST_CASE("the descriptor: ABI 1.x, a name, a template table and no other kind") {
    const mfs_plugin_t* p = g_loaded.plugin;
    CHECK(p->struct_size >= offsetof(mfs_plugin_t, get_kind) + sizeof(void*));
    CHECK(p->abi_major == MFS_ABI_VERSION_MAJOR);
    CHECK(std::string_view(p->name) == "the");
    CHECK(std::string_view(p->id) == "org.musicfs.example.template.the");
    CHECK(p->get_kind(MFS_ORIGIN_KIND_ID) == nullptr);
    CHECK(p->get_kind(MFS_METADATA_KIND_ID) == nullptr);
    CHECK(p->get_kind(MFS_FORMAT_KIND_ID) == nullptr);
    CHECK(p->get_kind("musicfs.template/2") == nullptr);
    const mfs_template_kind_t* k = g_loaded.kind;
    CHECK(k->struct_size >= offsetof(mfs_template_kind_t, functions) + sizeof(void*));
    CHECK(k->function_count == 2);
    for (const char* name : {"the", "bucket"}) {
        const mfs_template_function_t& f = function(name);
        CHECK(f.struct_size >= offsetof(mfs_template_function_t, call) + sizeof(void*));
        CHECK((f.call != nullptr));
        CHECK(std::strlen(f.description) > 0);
    }
    CHECK(function("the").min_args == 1);
    CHECK(function("the").max_args == 1);
    CHECK(function("bucket").min_args == 1);
    CHECK(function("bucket").max_args == 2);
}

TEST_CASE("%the{text} moves a leading 'The ' to the end") {
    CHECK(the("The Beatles") == "Beatles, The");
    CHECK(the("the pillows") == "pillows, the");
    CHECK(the("THE WHO") == "WHO, THE");
    CHECK(the("The  Clash") == "Clash, The");
    CHECK(the("The Ångström Ensemble") == "Ångström Ensemble, The");
    CHECK(the("Theatre of Tragedy") == "Theatre of Tragedy");
    CHECK(the("The") == "The");
    CHECK(the("The ") == "The ");
    CHECK(the("Them Crooked Vultures") == "Them Crooked Vultures");
    CHECK(the("A Tribe Called Quest") == "A Tribe Called Quest");
    CHECK(the("Beatles, The") == "Beatles, The");
    CHECK(the("") == "");
}

TEST_CASE("%bucket{value,size} gives the range holding the value") {
    CHECK(bucket({"1965", "10"}) == "1960-1969");
    CHECK(bucket({"1960", "10"}) == "1960-1969");
    CHECK(bucket({"1969", "10"}) == "1960-1969");
    CHECK(bucket({"1965"}) == "1960-1969");  // size 10 by default
    CHECK(bucket({"1999-06-12", "10"}) == "1990-1999");  // a date: its year
    CHECK(bucket({"2003", "5"}) == "2000-2004");
    CHECK(bucket({"1987", "100"}) == "1900-1999");
    CHECK(bucket({"7", "1"}) == "7-7");
    CHECK(bucket({"", "10"}) == "");        // no year: left as it is
    CHECK(bucket({"unknown", "10"}) == "unknown");
}

TEST_CASE("%bucket with a size that is not a positive integer is an error, not a crash") {
    for (const char* size : {"0", "-10", "ten", "10x", ""}) {
        CAPTURE(size);
        const Result r = call("bucket", {"1965", size});
        CHECK(r.rc == -EINVAL);
    }
    bool logged = false;
    for (const auto& line : g_loaded.log) {
        logged = logged || line.find("bucket size 'ten' is not a positive integer") !=
                               std::string::npos;
    }
    CHECK(logged);
}

TEST_CASE("calls from many threads at once agree") {
    std::vector<std::thread> threads;
    std::vector<std::string> results(8);
    for (std::size_t t = 0; t < results.size(); ++t) {
        threads.emplace_back([&results, t] {
            std::string all;
            for (int i = 0; i < 200; ++i) {
                const mfs_tag_list_t tags{sizeof(mfs_tag_list_t), 0, nullptr};
                const char* args[] = {"The Kinks"};
                const mfs_template_call_t c{sizeof c, 1, args, &tags, nullptr, nullptr};
                char buf[64];
                if (function("the").call(&c, buf, sizeof buf) < 0) {
                    all = "error";
                    break;
                }
                all = buf;
            }
            results[t] = all;
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (const auto& r : results) {
        CHECK(r == "Kinks, The");
    }
}

int main(int argc, char** argv) {
    const char* path = std::getenv("MUSICFS_TEMPLATE_THE_SO");
    if (path == nullptr || *path == '\0') {
        std::puts("SKIPPED: MUSICFS_TEMPLATE_THE_SO (the built template-the .so) is not set");
        return 77;
    }
    g_loaded.handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (g_loaded.handle == nullptr) {
        std::fprintf(stderr, "cannot load %s: %s\n", path, dlerror());
        return 1;
    }
    auto entry = reinterpret_cast<mfs_plugin_entry_fn>(dlsym(g_loaded.handle,
                                                             MFS_PLUGIN_ENTRY_SYMBOL));
    if (entry == nullptr) {
        std::fprintf(stderr, "%s does not export %s\n", path, MFS_PLUGIN_ENTRY_SYMBOL);
        return 1;
    }
    g_loaded.plugin = entry();
    g_host = make_host(g_loaded);
    if (g_loaded.plugin == nullptr || g_loaded.plugin->abi_major != MFS_ABI_VERSION_MAJOR ||
        (g_loaded.plugin->init != nullptr && g_loaded.plugin->init(&g_host) != 0)) {
        std::fprintf(stderr, "%s: no descriptor, another ABI major, or init failed\n", path);
        return 1;
    }
    g_loaded.kind = static_cast<const mfs_template_kind_t*>(
        g_loaded.plugin->get_kind(MFS_TEMPLATE_KIND_ID));
    if (g_loaded.kind == nullptr) {
        std::fprintf(stderr, "%s has no %s table\n", path, MFS_TEMPLATE_KIND_ID);
        return 1;
    }

    doctest::Context context(argc, argv);
    const int rc = context.run();
    if (g_loaded.plugin->deinit != nullptr) {
        g_loaded.plugin->deinit();
    }
    dlclose(g_loaded.handle);
    return rc;
}
