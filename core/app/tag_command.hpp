#pragma once
// `musicfs tag get|set|clear FILE ...`: the user's overlay of tags and pictures.

#include "app/config.hpp"

#include <string>
#include <vector>

namespace musicfs::app {

struct TagArgs {
    std::string action;                    // "get", "set" or "clear"
    std::string file;                      // in a mounted tree, or an original
    std::vector<std::string> assignments;  // set: KEY=VALUE (a key repeated: several values)
    std::vector<std::string> pictures;     // set: TYPE=FILE (front=cover.jpg)
    std::vector<std::string> keys;         // clear: the keys to revert (none: everything)
};

// Runs the command; throws UserError for what the user can fix. Returns the exit code.
int run_tag(const Config& config, const TagArgs& args);

}  // namespace musicfs::app
