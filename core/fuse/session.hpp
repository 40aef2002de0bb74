#pragma once
// Mounting: a FUSE session over a Filesystem, its multithreaded loop, and a clean unmount on
// SIGINT/SIGTERM or `fusermount3 -u`. SIGHUP asks for a reload (of plugins).

#include "fuse/filesystem.hpp"

#include <functional>
#include <string>

namespace musicfs::fuse {

struct MountOptions {
    std::string mountpoint;
    std::string fsname = "musicfs";
    bool allow_other = false;
    unsigned max_threads = 16;
    // Detach from the terminal once the mount is ready (the parent exits 0 then).
    bool daemonize = false;
    // Called once the mount is ready, before detaching (e.g. to move logging to a file).
    std::function<void()> on_ready;
    // Called on SIGHUP, on the signal thread, while requests are being served.
    std::function<void()> on_reload;
    // Called a few times a second while mounted, before catalog changes are followed (see
    // Invalidator), e.g. to rebuild a tree an edit made dirty.
    std::function<void()> on_poll;
};

// Throws UserError unless `path` is an existing, empty directory that is not a mount point.
void check_mountpoint(const std::string& path);

// Mounts `fs` and serves it until unmounted or signalled. Throws UserError if the mount fails;
// nothing stays mounted when it returns or throws.
void serve(Filesystem& fs, const MountOptions& options);

}  // namespace musicfs::fuse
