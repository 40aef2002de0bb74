// Every operation that would modify the tree or a file answers EROFS: MusicFS never writes to
// an origin, and its tree is computed, not edited. Implementing them (rather than leaving them
// NULL, which answers ENOSYS) gives tools the error that tells the truth.

#include "fuse/filesystem.hpp"

#include <cerrno>

namespace musicfs::fuse {
namespace {

void erofs(fuse_req_t req) noexcept { fuse_reply_err(req, EROFS); }

}  // namespace

void add_readonly_ops(fuse_lowlevel_ops& ops) {
    ops.setattr = [](fuse_req_t r, fuse_ino_t, struct stat*, int, fuse_file_info*) { erofs(r); };
    ops.mknod = [](fuse_req_t r, fuse_ino_t, const char*, mode_t, dev_t) { erofs(r); };
    ops.mkdir = [](fuse_req_t r, fuse_ino_t, const char*, mode_t) { erofs(r); };
    ops.unlink = [](fuse_req_t r, fuse_ino_t, const char*) { erofs(r); };
    ops.rmdir = [](fuse_req_t r, fuse_ino_t, const char*) { erofs(r); };
    ops.symlink = [](fuse_req_t r, const char*, fuse_ino_t, const char*) { erofs(r); };
    ops.rename = [](fuse_req_t r, fuse_ino_t, const char*, fuse_ino_t, const char*,
                    unsigned int) { erofs(r); };
    ops.link = [](fuse_req_t r, fuse_ino_t, fuse_ino_t, const char*) { erofs(r); };
    ops.write = [](fuse_req_t r, fuse_ino_t, const char*, size_t, off_t, fuse_file_info*) {
        erofs(r);
    };
    ops.create = [](fuse_req_t r, fuse_ino_t, const char*, mode_t, fuse_file_info*) { erofs(r); };
    ops.setxattr = [](fuse_req_t r, fuse_ino_t, const char*, const char*, size_t, int) {
        erofs(r);
    };
    ops.removexattr = [](fuse_req_t r, fuse_ino_t, const char*) { erofs(r); };
    ops.fallocate = [](fuse_req_t r, fuse_ino_t, int, off_t, off_t, fuse_file_info*) { erofs(r); };
    ops.copy_file_range = [](fuse_req_t r, fuse_ino_t, off_t, fuse_file_info*, fuse_ino_t, off_t,
                             fuse_file_info*, size_t, int) { erofs(r); };
}

}  // namespace musicfs::fuse
