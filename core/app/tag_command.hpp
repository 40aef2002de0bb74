#pragma once
// `musicfs tag get|set|clear FILE ...`: the user's overlay of tags and pictures.

#include "app/config.hpp"
#include "catalog/catalog.hpp"

#include <chrono>
#include <cstdint>
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

// How long `tag set` waits for the daemon serving the catalog to apply an edit.
struct DaemonWait {
    // For the daemon to apply it, or to begin rebuilding the tree for it.
    std::chrono::milliseconds answer{10'000};
    // For a rebuild the daemon began, while it runs (a stuck daemon still ends the wait).
    std::chrono::milliseconds rebuild{600'000};
    std::chrono::milliseconds poll{20};
};

// Waits until the daemon serving `cat` (its pid in daemon.pid beside the catalog) has applied
// every change up to `seq`, so that the next open through the mount sees it. Returns false,
// with a warning, when no live daemon is named or it did not apply it in time.
bool wait_for_daemon(catalog::Catalog& cat, std::int64_t seq, const DaemonWait& limits = {});

}  // namespace musicfs::app
