#include "fuse/filesystem.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace musicfs::fuse {

Filesystem::Filesystem(std::string catalog_path, origins::OriginSet& origins, FsOptions options,
                       overlay::Overlay* overlay)
    : catalog_path_(std::move(catalog_path)),
      origins_(origins),
      options_(std::move(options)),
      overlay_(overlay),
      uid_(getuid()),
      gid_(getgid()) {}

const fuse_lowlevel_ops& Filesystem::operations() {
    static const fuse_lowlevel_ops ops = [] {
        fuse_lowlevel_ops o{};
        add_tree_ops(o);
        add_file_ops(o);
        add_xattr_ops(o);
        add_readonly_ops(o);
        return o;
    }();
    return ops;
}

catalog::CatalogReader& Filesystem::reader() {
    // One connection per thread: SQLite connections are not shared across threads here
    // (opened with NOMUTEX), and WAL lets every reader proceed while the scanner writes.
    thread_local std::unique_ptr<catalog::CatalogReader> reader;
    thread_local const Filesystem* owner = nullptr;
    if (!reader || owner != this) {
        reader = std::make_unique<catalog::CatalogReader>(catalog_path_);
        owner = this;
    }
    return *reader;
}

overlay::Served Filesystem::served(const catalog::NodeAttr& a) {
    if (!overlay_ || a.edit_seq == 0 || a.is_dir) return {};
    const auto where = reader().location(a.ino);
    if (!where) return {};
    const auto origin = origins_.find(where->origin);
    if (!origin) return {};
    return overlay_->served(a, reader(), *origin, where->path);
}

struct stat Filesystem::to_stat(const catalog::NodeAttr& a) {
    struct stat st {};
    st.st_ino = static_cast<ino_t>(a.ino);
    st.st_mode = a.is_dir ? (S_IFDIR | 0555) : (S_IFREG | 0444);
    // 1 for directories means "unknown" to tools that count subdirectories from st_nlink.
    st.st_nlink = 1;
    st.st_uid = uid_;
    st.st_gid = gid_;
    st.st_size = a.is_dir ? 0 : a.size;
    if (a.edit_seq > 0 && !a.is_dir) {
        if (const auto s = served(a); s.layout) st.st_size = static_cast<off_t>(s.layout->size());
    }
    st.st_blksize = 128 * 1024;
    st.st_blocks = (st.st_size + 511) / 512;
    st.st_mtim.tv_sec = a.mtime_ns / 1'000'000'000;
    st.st_mtim.tv_nsec = a.mtime_ns % 1'000'000'000;
    st.st_atim = st.st_mtim;
    st.st_ctim = st.st_mtim;
    return st;
}

void log_op_failure(const char* op, const char* what) noexcept {
    try {
        spdlog::error("{}: {}", op, what);
    } catch (...) {
    }
}

}  // namespace musicfs::fuse
