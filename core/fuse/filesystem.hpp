#pragma once
// The FUSE low-level operations over the catalog's tree. This folder is the only place that
// calls fuse_reply_*: every handler ends in exactly one reply, is noexcept, and maps anything
// thrown to EIO after logging it.

#include "catalog/catalog.hpp"
#include "fuse/node_cache.hpp"
#include "origins/origin.hpp"
#include "overlay/overlay.hpp"

#include <fuse_lowlevel.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace musicfs::fuse {

struct FsOptions {
    double entry_timeout = 60.0;  // seconds the kernel may cache names (and missing names)
    double attr_timeout = 60.0;   // seconds the kernel may cache attributes
    std::vector<std::string> sources;  // metadata sources, highest precedence first (user first)
};

class Filesystem {
public:
    // `overlay` serves edited tracks; null serves every track as its original.
    Filesystem(std::string catalog_path, origins::OriginSet& origins, FsOptions options,
               overlay::Overlay* overlay = nullptr);

    // The operation table to hand to fuse_session_new (userdata: this Filesystem).
    static const fuse_lowlevel_ops& operations();

    // This thread's catalog view (opened on first use; FUSE worker threads come and go).
    // Inside a request (see `guarded`) it reads one snapshot of the catalog, kept from
    // request to request until the catalog changes: starting a read transaction per query
    // cost three system calls, a third of an uncached stat.
    catalog::CatalogReader& reader();
    // The reader's answers through the node cache (inside a request; see node_cache.hpp).
    std::optional<catalog::NodeAttr> lookup(std::int64_t parent, std::string_view name);
    std::optional<catalog::NodeAttr> getattr(std::int64_t ino);
    std::optional<catalog::FileLocation> location(std::int64_t ino);
    // The children of `dir` after `after_ino` (CatalogReader::for_each_child). Every listing
    // ends with a request past the last entry (the protocol has no end-of-listing flag); the
    // node cache answers it without a query.
    void for_each_child(std::int64_t dir, std::int64_t after_ino, bool with_attrs,
                        const std::function<bool(std::string_view, const catalog::NodeAttr&)>& fn);

    // The catalog changed (the Invalidator saw another connection commit): every thread's
    // next request reads a fresh snapshot, and idle threads' snapshots end now so that they
    // do not hold back the WAL's checkpoints. [thread-safe]
    void catalog_changed();
    origins::OriginSet& origins() { return origins_; }
    overlay::Overlay* overlay() { return overlay_; }
    const std::string& catalog_path() const { return catalog_path_; }

    // How an edited track is served (null layout: as its original). [thread-safe]
    overlay::Served served(const catalog::NodeAttr& a);
    const FsOptions& options() const { return options_; }

    // stat(2) attributes for a node; an edited track's size is its served size (or, while
    // the file is open, the size of the version it was opened as).
    struct stat to_stat(const catalog::NodeAttr& a);

    // Open files. The kernel keeps one size and one page cache per inode, so every open of a
    // file serves the version (original or layout) its first still-open handle opened: an
    // edit that lands while a player holds the file open never changes the bytes or the size
    // under it, nor mixes two versions in the page cache. The edit shows from the next open
    // after the last close. [thread-safe]
    overlay::Served open_version(const catalog::NodeAttr& a);
    void close_version(std::int64_t ino);
    // The track behind `ino` changed; returns false when the kernel must not forget the
    // inode yet (it is open: it is told after the last close).
    bool version_changed(std::int64_t ino);
    // The session to notify when the last handle of an outdated version closes.
    void set_session(fuse_session* se) { session_ = se; }
    // Whether the kernel opens directories without asking (FUSE_CAP_NO_OPENDIR_SUPPORT); set
    // while INIT is answered, before any other request.
    void set_kernel_opens_dirs(bool yes) { kernel_opens_dirs_ = yes; }
    bool kernel_opens_dirs() const { return kernel_opens_dirs_; }

private:
    struct ReaderSlot;

    std::string catalog_path_;
    origins::OriginSet& origins_;
    FsOptions options_;
    overlay::Overlay* overlay_;
    uid_t uid_;
    gid_t gid_;
    std::atomic<std::uint64_t> generation_{0};
    std::mutex slots_mutex_;
    std::vector<std::weak_ptr<ReaderSlot>> slots_;
    NodeCache cache_;

    struct OpenVersion {
        int handles = 0;
        overlay::Served served;
        std::int64_t size = 0;  // what stat says while it is open
        bool outdated = false;  // an edit or a rescan changed the track since
    };
    std::mutex open_mutex_;  // guards open_
    std::unordered_map<std::int64_t, OpenVersion> open_;
    fuse_session* session_ = nullptr;
    bool kernel_opens_dirs_ = false;
};

// Marks the calling thread as serving a request until it goes out of scope; the catalog
// snapshot the request read (if any) is released then.
class RequestScope {
public:
    RequestScope() noexcept;
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;
};

// The Filesystem a request belongs to.
inline Filesystem& fs_of(fuse_req_t req) {
    return *static_cast<Filesystem*>(fuse_req_userdata(req));
}

// Runs `body` (which must reply), replying EIO if it throws. Handlers are thin wrappers over
// this so that no exception ever reaches libfuse.
template <typename Body>
void guarded(fuse_req_t req, const char* op, Body&& body) noexcept;

void log_op_failure(const char* op, const char* what) noexcept;

template <typename Body>
void guarded(fuse_req_t req, const char* op, Body&& body) noexcept {
    RequestScope scope;
    try {
        body();
    } catch (const std::exception& e) {
        log_op_failure(op, e.what());
        fuse_reply_err(req, EIO);
    } catch (...) {
        log_op_failure(op, "unknown exception");
        fuse_reply_err(req, EIO);
    }
}

// Operation groups, each in its own file; they fill their part of the table.
void add_tree_ops(fuse_lowlevel_ops& ops);      // init, lookup, getattr, readdir(plus), statfs
void add_file_ops(fuse_lowlevel_ops& ops);      // open, read, release
void add_xattr_ops(fuse_lowlevel_ops& ops);     // getxattr, listxattr
void add_readonly_ops(fuse_lowlevel_ops& ops);  // every modifying op: EROFS

}  // namespace musicfs::fuse
