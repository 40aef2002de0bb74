#pragma once
// Mounting: a FUSE session over a Filesystem, its multithreaded loop, and a clean unmount on
// SIGINT/SIGTERM or `fusermount3 -u`. SIGHUP asks for a reload (of plugins).

#include "fuse/filesystem.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace musicfs::fuse {

struct MountOptions {
    std::string mountpoint;
    std::string fsname = "musicfs";
    bool allow_other = false;
    unsigned max_threads = 16;
    // Per-mount readahead in KiB, and so the size of the kernel's read requests (root only;
    // 0 keeps the kernel's default of 128).
    unsigned readahead_kb = 1024;
    // Detach from the terminal once the mount is ready (the parent exits 0 then).
    bool daemonize = false;
    // Called once the mount is ready, before detaching (e.g. to move logging to a file).
    std::function<void()> on_ready;
    // Called on SIGHUP, on the signal thread, while requests are being served.
    std::function<void()> on_reload;
    // Called a few times a second while mounted, before catalog changes are followed (see
    // Invalidator), e.g. to rebuild a tree an edit made dirty.
    std::function<void()> on_poll;
    // Called on the same thread once the kernel was told about every catalog change up to
    // `seq` (and on_poll ran after them), e.g. to let `musicfs tag set` know.
    std::function<void(std::int64_t seq)> on_applied;
    // Called once, in the process that serves (after detaching), before requests are served.
    std::function<void()> on_serving;
};

// Throws UserError unless `path` is an existing, empty directory that is not a mount point.
void check_mountpoint(const std::string& path);

// Mounts `fs` and serves it until unmounted or signalled. Throws UserError if the mount fails;
// nothing stays mounted when it returns or throws.
void serve(Filesystem& fs, const MountOptions& options);

}  // namespace musicfs::fuse
