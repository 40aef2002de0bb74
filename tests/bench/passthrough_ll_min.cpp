// passthrough_ll_min: the "FUSE floor" of the benchmark suite. A minimal read-only low-level
// passthrough of SOURCE at MOUNTPOINT with the SAME FUSE settings as MusicFS, so that the ratio
// MusicFS / this program is what MusicFS itself costs on top of FUSE:
//
//   - entry and attribute timeouts (default 60 s, like MusicFS), negative entries cached too;
//   - adaptive readdirplus, no auto_inval_data;
//   - keep_cache + cache_readdir on directories, keep_cache + noflush on files, no flush op;
//   - a multithreaded loop with clone_fd, at most 16 threads, 4 idle (as core/fuse/session.cpp);
//   - a read-only mount (`-o ro`);
//   - reads: --reply buf (default): pread into a thread-local buffer + fuse_reply_buf, as
//     MusicFS does; --reply data: libfuse's passthrough_ll pattern, fuse_reply_data over an fd
//     buffer without splice (the capability is not requested); --reply splice: the same with
//     splice write and move requested (file -> pipe -> /dev/fuse, no copy in user space);
//   - the readahead is the kernel's unless the suite raises it (as MusicFS does on its own).
//
//   passthrough_ll_min [--entry-timeout S] [--attr-timeout S] [--reply buf|data|splice]
//                      SOURCE MOUNTPOINT
//
// Runs in the foreground until unmounted (`fusermount3 -u MOUNTPOINT`). Inodes are kept by path
// in a table keyed by the underlying (device, inode), counted by lookups and dropped on forget,
// as libfuse's passthrough_ll does with O_PATH descriptors.

#define FUSE_USE_VERSION 314

#include <fuse_lowlevel.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

struct Inode {
    std::string path;
    std::pair<dev_t, ino_t> key;
    std::uint64_t nlookup = 0;  // guarded by Fs::mu
};

struct Fs {
    double entry_timeout = 60.0;
    double attr_timeout = 60.0;
    bool reply_data = false;  // --reply data or splice
    bool splice = false;      // --reply splice
    Inode root;
    std::mutex mu;
    std::map<std::pair<dev_t, ino_t>, std::unique_ptr<Inode>> inodes;  // guarded by mu
};

Fs& fs_of(fuse_req_t req) { return *static_cast<Fs*>(fuse_req_userdata(req)); }

Inode& inode_of(fuse_req_t req, fuse_ino_t ino) {
    if (ino == FUSE_ROOT_ID) return fs_of(req).root;
    return *reinterpret_cast<Inode*>(ino);
}

std::string child_path(const Inode& parent, const char* name) {
    return parent.path + "/" + name;
}

// Finds or creates the inode of `path` (whose attributes are `st`), taking one lookup on it.
fuse_ino_t take_inode(Fs& fs, const std::string& path, const struct stat& st) {
    const auto key = std::make_pair(st.st_dev, st.st_ino);
    if (key == fs.root.key) return FUSE_ROOT_ID;
    std::lock_guard lock(fs.mu);
    auto& slot = fs.inodes[key];
    if (!slot) slot = std::make_unique<Inode>(Inode{path, key, 0});
    ++slot->nlookup;
    return reinterpret_cast<fuse_ino_t>(slot.get());
}

void forget_one(Fs& fs, fuse_ino_t ino, std::uint64_t n) {
    if (ino == FUSE_ROOT_ID) return;
    auto* inode = reinterpret_cast<Inode*>(ino);
    std::lock_guard lock(fs.mu);
    if (inode->nlookup > n) {
        inode->nlookup -= n;
        return;
    }
    fs.inodes.erase(inode->key);
}

fuse_entry_param entry_for(Fs& fs, fuse_ino_t ino, const struct stat& st) {
    fuse_entry_param e{};
    e.ino = ino;
    e.generation = 1;
    e.attr = st;
    e.attr_timeout = fs.attr_timeout;
    e.entry_timeout = fs.entry_timeout;
    return e;
}

void op_init(void* userdata, fuse_conn_info* conn) {
    if (conn->capable & FUSE_CAP_READDIRPLUS) conn->want |= FUSE_CAP_READDIRPLUS;
    if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO) conn->want |= FUSE_CAP_READDIRPLUS_AUTO;
    if (static_cast<Fs*>(userdata)->splice)
        conn->want |= conn->capable & (FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
    conn->want &= ~static_cast<unsigned>(FUSE_CAP_AUTO_INVAL_DATA);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    Fs& fs = fs_of(req);
    const std::string path = child_path(inode_of(req, parent), name);
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno != ENOENT) return (void)fuse_reply_err(req, errno);
        fuse_entry_param e{};
        e.entry_timeout = fs.entry_timeout;
        return (void)fuse_reply_entry(req, &e);
    }
    const fuse_entry_param e = entry_for(fs, take_inode(fs, path, st), st);
    fuse_reply_entry(req, &e);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, std::uint64_t nlookup) {
    forget_one(fs_of(req), ino, nlookup);
    fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, std::size_t count, fuse_forget_data* forgets) {
    for (std::size_t i = 0; i < count; ++i) forget_one(fs_of(req), forgets[i].ino, forgets[i].nlookup);
    fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
    struct stat st {};
    if (lstat(inode_of(req, ino).path.c_str(), &st) != 0) return (void)fuse_reply_err(req, errno);
    fuse_reply_attr(req, &st, fs_of(req).attr_timeout);
}

void op_access(fuse_req_t req, fuse_ino_t ino, int mask) {
    struct stat st {};
    if (lstat(inode_of(req, ino).path.c_str(), &st) != 0) return (void)fuse_reply_err(req, errno);
    fuse_reply_err(req, (mask & W_OK) ? EROFS : 0);
}

struct Dir {
    DIR* dp = nullptr;
    off_t offset = 0;
    dirent* entry = nullptr;  // read but not yet returned
};

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    DIR* dp = opendir(inode_of(req, ino).path.c_str());
    if (!dp) return (void)fuse_reply_err(req, errno);
    fi->fh = reinterpret_cast<std::uint64_t>(new Dir{dp, 0, nullptr});
    fi->cache_readdir = 1;
    fi->keep_cache = 1;
    if (fuse_reply_open(req, fi) != 0) {
        closedir(dp);
        delete reinterpret_cast<Dir*>(fi->fh);
    }
}

// As libfuse's passthrough_ll: seekdir/telldir offsets, a lookup per entry for readdirplus.
void list_dir(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t offset, fuse_file_info* fi,
              bool plus) {
    Fs& fs = fs_of(req);
    Dir& d = *reinterpret_cast<Dir*>(fi->fh);
    const Inode& dir = inode_of(req, ino);
    std::vector<char> buf(size);
    std::size_t used = 0;
    if (offset != d.offset) {
        seekdir(d.dp, offset);
        d.entry = nullptr;
        d.offset = offset;
    }
    for (;;) {
        if (!d.entry) {
            errno = 0;
            d.entry = readdir(d.dp);
            if (!d.entry) {
                if (errno && used == 0) return (void)fuse_reply_err(req, errno);
                break;
            }
        }
        const off_t next = telldir(d.dp);
        const char* name = d.entry->d_name;
        const bool dots = std::strcmp(name, ".") == 0 || std::strcmp(name, "..") == 0;
        std::size_t n = 0;
        const std::size_t rem = size - used;
        if (plus) {
            fuse_entry_param e{};
            fuse_ino_t taken = 0;
            if (dots) {
                e.attr.st_ino = d.entry->d_ino;
                e.attr.st_mode = static_cast<mode_t>(d.entry->d_type) << 12;
            } else {
                const std::string path = child_path(dir, name);
                struct stat st {};
                if (fstatat(dirfd(d.dp), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                    d.entry = nullptr;  // gone since listed: skip it
                    continue;
                }
                taken = take_inode(fs, path, st);
                e = entry_for(fs, taken, st);
            }
            n = fuse_add_direntry_plus(req, buf.data() + used, rem, name, &e, next);
            if (n > rem) {
                if (taken) forget_one(fs, taken, 1);
                break;
            }
        } else {
            struct stat st {};
            st.st_ino = d.entry->d_ino;
            st.st_mode = static_cast<mode_t>(d.entry->d_type) << 12;
            n = fuse_add_direntry(req, buf.data() + used, rem, name, &st, next);
            if (n > rem) break;
        }
        used += n;
        d.entry = nullptr;
        d.offset = next;
    }
    fuse_reply_buf(req, buf.data(), used);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off, fuse_file_info* fi) {
    list_dir(req, ino, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, std::size_t size, off_t off,
                    fuse_file_info* fi) {
    list_dir(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    auto* d = reinterpret_cast<Dir*>(fi->fh);
    closedir(d->dp);
    delete d;
    fuse_reply_err(req, 0);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    if ((fi->flags & O_ACCMODE) != O_RDONLY) return (void)fuse_reply_err(req, EROFS);
    const int fd = open(inode_of(req, ino).path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return (void)fuse_reply_err(req, errno);
    fi->fh = static_cast<std::uint64_t>(fd);
    fi->keep_cache = 1;
    fi->noflush = 1;
    if (fuse_reply_open(req, fi) != 0) close(fd);
}

void op_read(fuse_req_t req, fuse_ino_t, std::size_t size, off_t off, fuse_file_info* fi) {
    const int fd = static_cast<int>(fi->fh);
    if (fs_of(req).reply_data) {
        // libfuse example/passthrough_ll.c lo_read(); splices only with --reply splice.
        fuse_bufvec buf{};
        buf.count = 1;
        buf.buf[0].size = size;
        buf.buf[0].flags = static_cast<fuse_buf_flags>(FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK);
        buf.buf[0].fd = fd;
        buf.buf[0].pos = off;
        fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
        return;
    }
    thread_local std::vector<char> buffer;
    if (buffer.size() < size) buffer.resize(size);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = pread(fd, buffer.data() + done, size - done, off + static_cast<off_t>(done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return (void)fuse_reply_err(req, errno);
        }
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    fuse_reply_buf(req, buffer.data(), done);
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
    close(static_cast<int>(fi->fh));
    fuse_reply_err(req, 0);
}

void op_statfs(fuse_req_t req, fuse_ino_t) {
    struct statvfs st {};
    if (statvfs(fs_of(req).root.path.c_str(), &st) != 0) return (void)fuse_reply_err(req, errno);
    fuse_reply_statfs(req, &st);
}

[[noreturn]] void usage() {
    std::fprintf(stderr,
                 "usage: passthrough_ll_min [--entry-timeout S] [--attr-timeout S] "
                 "[--reply buf|data|splice] SOURCE MOUNTPOINT\n");
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    Fs fs;
    std::vector<std::string> paths;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage();
            return argv[++i];
        };
        if (a == "--entry-timeout")
            fs.entry_timeout = std::stod(value());
        else if (a == "--attr-timeout")
            fs.attr_timeout = std::stod(value());
        else if (a == "--reply") {
            const std::string v = value();
            if (v != "buf" && v != "data" && v != "splice") usage();
            fs.reply_data = v != "buf";
            fs.splice = v == "splice";
        } else if (!a.empty() && a[0] == '-')
            usage();
        else
            paths.emplace_back(a);
    }
    if (paths.size() != 2) usage();
    char* real = realpath(paths[0].c_str(), nullptr);
    if (!real) {
        std::perror(paths[0].c_str());
        return 1;
    }
    fs.root.path = real;
    std::free(real);
    struct stat st {};
    if (stat(fs.root.path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        std::fprintf(stderr, "%s is not a directory\n", fs.root.path.c_str());
        return 1;
    }
    fs.root.key = {st.st_dev, st.st_ino};

    fuse_lowlevel_ops ops{};
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
    ops.open = op_open;
    ops.read = op_read;
    ops.release = op_release;
    ops.statfs = op_statfs;

    std::string opts = "ro,fsname=ptmin,subtype=ptmin";
    std::vector<std::string> argv_s = {"passthrough_ll_min", "-o", opts};
    std::vector<char*> fargv;
    for (auto& s : argv_s) fargv.push_back(s.data());
    fuse_args args{static_cast<int>(fargv.size()), fargv.data(), 0};
    fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, &fs);
    if (!se) return 1;
    if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, paths[1].c_str()) != 0) {
        fuse_session_destroy(se);
        return 1;
    }
    fuse_loop_config* cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, 1);
    fuse_loop_cfg_set_max_threads(cfg, 16);
    fuse_loop_cfg_set_idle_threads(cfg, 4);
    const int rc = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return rc == 0 || rc == -ENODEV ? 0 : 1;
}
