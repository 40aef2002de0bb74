#include "fuse/node_cache.hpp"

#include <doctest/doctest.h>

#include <string>

using musicfs::catalog::FileLocation;
using musicfs::catalog::NodeAttr;
using musicfs::fuse::NodeCache;

namespace {
NodeAttr attr(std::int64_t ino, std::int64_t size = 10) {
    NodeAttr a;
    a.ino = ino;
    a.size = size;
    a.format = "flac";
    return a;
}
}  // namespace

TEST_CASE("node cache: answers only for the generation they were read in") {
    NodeCache cache(1024);
    CHECK_FALSE(cache.lookup(1, 1, "a"));
    cache.put_lookup(1, 1, "a", attr(5));
    cache.put_lookup(1, 1, "missing", std::nullopt);
    REQUIRE(cache.lookup(1, 1, "a"));
    CHECK(cache.lookup(1, 1, "a")->ino == 5);
    CHECK(cache.lookup(1, 1, "missing")->ino == 0);  // cached as missing
    CHECK_FALSE(cache.lookup(1, 2, "a"));              // another parent
    CHECK_FALSE(cache.lookup(1, 1, "A"));
    CHECK_FALSE(cache.lookup(2, 1, "a"));  // the catalog changed since

    cache.put_getattr(3, attr(7, 99));
    CHECK(cache.getattr(3, 7)->size == 99);
    CHECK_FALSE(cache.getattr(4, 7));
    cache.put_getattr(4, attr(7, 100));  // a newer answer replaces the old one
    CHECK(cache.getattr(4, 7)->size == 100);
    CHECK_FALSE(cache.getattr(3, 7));

    cache.put_location(1, 7, FileLocation{"music", "x/a.flac", 3});
    CHECK(cache.location(1, 7)->path == "x/a.flac");
    CHECK_FALSE(cache.location(1, 8));

    CHECK_FALSE(cache.listing_end(1, 7));
    cache.put_listing_end(1, 7, 42);
    cache.put_listing_end(1, 8, 0);  // a directory with no entries
    CHECK(cache.listing_end(1, 7) == 42);
    CHECK(cache.listing_end(1, 8) == 0);
    CHECK_FALSE(cache.listing_end(2, 7));  // entries may have been added since
}

TEST_CASE("node cache: stays bounded") {
    NodeCache cache(64);
    for (std::int64_t i = 1; i <= 10'000; ++i) {
        cache.put_getattr(1, attr(i));
        cache.put_lookup(1, 1, std::to_string(i), attr(i));
    }
    int attrs = 0, names = 0;
    for (std::int64_t i = 1; i <= 10'000; ++i) {
        attrs += cache.getattr(1, i).has_value();
        names += cache.lookup(1, 1, std::to_string(i)).has_value();
    }
    CHECK(attrs > 0);
    CHECK(attrs <= 64);
    CHECK(names > 0);
    CHECK(names <= 64);
    CHECK(cache.getattr(1, 10'000));  // the latest stays
}
