#include "app/config.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#ifndef MUSICFS_SOURCE_DIR
#error "MUSICFS_SOURCE_DIR must point at the source tree"
#endif

TEST_CASE("docs/configuration.md documents every option, flag and variable") {
    std::ifstream in(std::string(MUSICFS_SOURCE_DIR) + "/docs/configuration.md");
    REQUIRE(in);
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    for (const auto& o : musicfs::app::options()) {
        CAPTURE(o.key);
        CHECK(doc.find(std::string("`") + o.key + "`") != std::string::npos);
        CHECK(doc.find(std::string("`") + o.flag) != std::string::npos);
        CHECK(doc.find(std::string("`") + o.env) != std::string::npos);
    }
}
