// Names and attributes: the operations media servers and file managers hammer. All answers
// come from the catalog; the kernel is told to cache them for the configured timeouts.

#include "fuse/filesystem.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

namespace musicfs::fuse {
namespace {

constexpr std::uint64_t kGeneration = 1;  // inode numbers are never reused (AUTOINCREMENT)

fuse_entry_param entry_for(Filesystem& fs, const catalog::NodeAttr& a) {
    fuse_entry_param e{};
    e.ino = static_cast<fuse_ino_t>(a.ino);
    e.generation = kGeneration;
    e.attr = fs.to_stat(a);
    e.attr_timeout = fs.options().attr_timeout;
    e.entry_timeout = fs.options().entry_timeout;
    return e;
}

void op_init(void* userdata, fuse_conn_info* conn) noexcept {
    // Directory listings with attributes save a LOOKUP per entry for `ls -l`, `find` and
    // media-server scans.
    if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
    // Adaptive: the first page of a listing comes with attributes, the rest only when
    // something looked entries up (ls -l, find, a file manager). A plain `ls` of a
    // directory of thousands then costs names only, on both sides.
    if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO) conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
    // Nothing here changes behind the kernel's back while mounted except through
    // notifications, so page-cache contents stay valid across opens.
    conn->want &= ~static_cast<unsigned>(FUSE_CAP_AUTO_INVAL_DATA);
    // Opening a directory needs nothing from us. Kernels that can do without OPENDIR and
    // RELEASEDIR then keep listings cached as op_opendir asks (keep_cache, cache_readdir),
    // and a walk saves two of its four round trips per directory.
    static_cast<Filesystem*>(userdata)->set_kernel_opens_dirs(
        (conn->capable & FUSE_CAP_NO_OPENDIR_SUPPORT) != 0);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) noexcept {
    guarded(req, "lookup", [&] {
        auto& fs = fs_of(req);
        if (auto a = fs.lookup(static_cast<std::int64_t>(parent), name)) {
            const auto e = entry_for(fs, *a);
            fuse_reply_entry(req, &e);
        } else {
            // A negative entry (ino 0) lets the kernel cache the miss: players and media
            // servers probe for files that do not exist (folder.jpg, .nomedia, ...).
            fuse_entry_param e{};
            e.entry_timeout = fs.options().entry_timeout;
            fuse_reply_entry(req, &e);
        }
    });
}

void op_forget(fuse_req_t req, fuse_ino_t, uint64_t) noexcept {
    // Inodes live in the catalog, not in memory: nothing to release.
    fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t, fuse_forget_data*) noexcept { fuse_reply_none(req); }

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) noexcept {
    guarded(req, "getattr", [&] {
        auto& fs = fs_of(req);
        if (auto a = fs.getattr(static_cast<std::int64_t>(ino))) {
            const auto st = fs.to_stat(*a);
            fuse_reply_attr(req, &st, fs.options().attr_timeout);
        } else {
            fuse_reply_err(req, ENOENT);
        }
    });
}

void op_access(fuse_req_t req, fuse_ino_t ino, int mask) noexcept {
    guarded(req, "access", [&] {
        if (!fs_of(req).getattr(static_cast<std::int64_t>(ino)))
            fuse_reply_err(req, ENOENT);
        else
            fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
    });
}

void op_opendir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) noexcept {
    guarded(req, "opendir", [&] {
        // ENOSYS tells a kernel with FUSE_CAP_NO_OPENDIR_SUPPORT to open directories itself
        // from now on, with the same caching as below.
        if (fs_of(req).kernel_opens_dirs()) return (void)fuse_reply_err(req, ENOSYS);
        // The kernel sends OPENDIR only for inodes it knows are directories: no lookup needed.
        // It may keep listings in its page cache across opens.
        fi->cache_readdir = 1;
        fi->keep_cache = 1;
        fuse_reply_open(req, fi);
    });
}

// Offsets: 1 after ".", 2 after "..", then ino + 2 after each entry (entries come in ino order,
// so an offset names the place to resume from even when entries are added or removed).
void list_dir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, bool plus) {
    auto& fs = fs_of(req);
    // Reused and never zero-filled: clearing 128 KiB per call dominated cold directory walks.
    thread_local std::unique_ptr<char[]> storage;
    thread_local size_t capacity = 0;
    if (capacity < size) {
        storage.reset(new char[size]);
        capacity = size;
    }
    struct {
        char* p;
        char* data() { return p; }
    } buf{storage.get()};
    size_t used = 0;
    auto add = [&](const char* name, const struct stat& st, const fuse_entry_param* e,
                   off_t next) {
        const size_t rem = size - used;
        const size_t n = plus ? fuse_add_direntry_plus(req, buf.data() + used, rem, name, e, next)
                              : fuse_add_direntry(req, buf.data() + used, rem, name, &st, next);
        if (n > rem) return false;
        used += n;
        return true;
    };
    const bool from_start = off < 2;
    if (from_start) {
        fuse_entry_param dot{};  // ino 0: the kernel takes no reference on "." and ".."
        dot.attr.st_ino = ino;
        dot.attr.st_mode = S_IFDIR;
        if (off < 1 && !add(".", dot.attr, &dot, 1)) return (void)fuse_reply_buf(req, buf.data(), used);
        if (!add("..", dot.attr, &dot, 2)) return (void)fuse_reply_buf(req, buf.data(), used);
        off = 2;
    }
    bool any = false;
    thread_local std::string name;  // NUL-terminated for fuse_add_direntry
    // A plain READDIR (adaptive readdirplus after the first page, when nobody looks at the
    // entries' attributes) needs only names, inode numbers and types.
    fs.for_each_child(
        static_cast<std::int64_t>(ino), off - 2, plus,
        [&](std::string_view n, const catalog::NodeAttr& a) {
            any = true;
            fuse_entry_param e{};
            if (plus) {
                e = entry_for(fs, a);
            } else {
                e.attr.st_ino = static_cast<ino_t>(a.ino);
                e.attr.st_mode = a.is_dir ? S_IFDIR : S_IFREG;
            }
            name.assign(n);
            return add(name.c_str(), e.attr, &e, static_cast<off_t>(a.ino + 2));
        });
    // Only an empty listing asks whether the directory still exists.
    if (from_start && !any && !fs.getattr(static_cast<std::int64_t>(ino)))
        return (void)fuse_reply_err(req, ENOENT);
    fuse_reply_buf(req, buf.data(), used);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                fuse_file_info*) noexcept {
    guarded(req, "readdir", [&] { list_dir(req, ino, size, off, false); });
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                    fuse_file_info*) noexcept {
    guarded(req, "readdirplus", [&] { list_dir(req, ino, size, off, true); });
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info*) noexcept { fuse_reply_err(req, 0); }

void op_statfs(fuse_req_t req, fuse_ino_t) noexcept {
    guarded(req, "statfs", [&] {
        const auto [tracks, bytes] = fs_of(req).reader().totals();
        struct statvfs st {};
        st.f_bsize = 4096;
        st.f_frsize = 4096;
        st.f_blocks = static_cast<fsblkcnt_t>((bytes + 4095) / 4096);
        st.f_files = static_cast<fsfilcnt_t>(tracks);
        st.f_namemax = 255;
        st.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
        fuse_reply_statfs(req, &st);
    });
}

}  // namespace

void add_tree_ops(fuse_lowlevel_ops& ops) {
    ops.init = op_init;
    ops.lookup = op_lookup;
    ops.forget = op_forget;
    ops.forget_multi = op_forget_multi;
    ops.getattr = op_getattr;
    ops.access = op_access;
    ops.opendir = op_opendir;
    ops.readdir = op_readdir;
    ops.readdirplus = op_readdirplus;
    ops.releasedir = op_releasedir;
    ops.statfs = op_statfs;
}

}  // namespace musicfs::fuse
