#pragma once
// Keeps the kernel honest while mounted. Another process (`musicfs scan`, `musicfs tag set`)
// or this daemon changes the catalog; the catalog journals what changed (names in directories,
// tracks' bytes or tags). This thread follows the journal and tells the kernel to forget those
// names and inodes (fuse_lowlevel_notify_inval_*), and the overlay to drop stale layouts, so the
// next lookup, stat or open sees the change despite entry/attr timeouts and keep_cache.

#include "fuse/filesystem.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

namespace musicfs::fuse {

class Invalidator {
public:
    // `before_poll` runs on the thread before each look at the journal (e.g. to rebuild a tree
    // that an edit made dirty, which journals its own changes). `applied(seq)` runs on the
    // thread once every change up to `seq` has reached the kernel, including what before_poll
    // did about them (e.g. to tell `musicfs tag set`, which waits for it).
    Invalidator(fuse_session* se, Filesystem& fs, std::function<void()> before_poll,
                std::function<void(std::int64_t)> applied = {},
                std::chrono::milliseconds period = std::chrono::milliseconds(200));
    Invalidator(const Invalidator&) = delete;
    ~Invalidator();

private:
    void run();
    void poll();
    void apply(const catalog::Change& change);

    fuse_session* se_;
    Filesystem& fs_;
    std::function<void()> before_poll_;
    std::function<void(std::int64_t)> applied_;
    std::chrono::milliseconds period_;
    std::int64_t seen_ = 0;      // the journal is applied up to here
    std::int64_t reported_ = -1; // the last value given to applied_
    std::int64_t data_version_ = 0;  // the catalog's data_version at the last look
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace musicfs::fuse
