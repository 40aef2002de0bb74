#include "fuse/filesystem.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <optional>
#include <utility>
#include <sys/stat.h>
#include <unistd.h>

namespace musicfs::fuse {
namespace {
// Of each kind (names, attributes, locations): a few MiB, the working set of a player or a
// media server's rescan of one folder tree.
constexpr std::size_t kNodeCacheEntries = 32 * 1024;
}  // namespace

Filesystem::Filesystem(std::string catalog_path, origins::OriginSet& origins, FsOptions options,
                       overlay::Overlay* overlay)
    : catalog_path_(std::move(catalog_path)),
      origins_(origins),
      options_(std::move(options)),
      overlay_(overlay),
      uid_(getuid()),
      gid_(getgid()),
      cache_(kNodeCacheEntries) {}

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

// One connection per thread, opened with NOMUTEX: a connection is used by one thread at a
// time — its own, or the thread ending an idle snapshot, which holds the slot's mutex.
struct Filesystem::ReaderSlot {
    std::mutex mutex;  // held by the owning thread for the length of a request
    std::unique_ptr<catalog::CatalogReader> reader;
    std::uint64_t generation = 0;  // the catalog generation its snapshot belongs to
};

namespace {
thread_local bool t_in_request = false;
thread_local std::mutex* t_leased = nullptr;  // the slot mutex this request holds
thread_local std::uint64_t t_generation = 0;   // the generation of the leased snapshot
}  // namespace

RequestScope::RequestScope() noexcept { t_in_request = true; }

RequestScope::~RequestScope() {
    t_in_request = false;
    if (t_leased) {
        t_leased->unlock();
        t_leased = nullptr;
    }
}

catalog::CatalogReader& Filesystem::reader() {
    thread_local std::shared_ptr<ReaderSlot> slot;
    thread_local const Filesystem* owner = nullptr;
    if (!slot || owner != this) {
        auto fresh = std::make_shared<ReaderSlot>();
        fresh->reader = std::make_unique<catalog::CatalogReader>(catalog_path_);
        fresh->generation = generation_.load();
        {
            std::lock_guard lock(slots_mutex_);
            std::erase_if(slots_, [](const auto& w) { return w.expired(); });
            slots_.push_back(fresh);
        }
        if (slot && t_leased == &slot->mutex) {  // leased by a request of another Filesystem
            t_leased->unlock();
            t_leased = nullptr;
        }
        slot = std::move(fresh);
        owner = this;
    }
    // Outside a request (the Invalidator's thread): every query reads the latest state.
    if (!t_in_request || t_leased == &slot->mutex) return *slot->reader;
    slot->mutex.lock();
    t_leased = &slot->mutex;
    if (const auto g = generation_.load(); slot->generation != g) {
        slot->reader->end_snapshot();
        slot->generation = g;
    }
    slot->reader->begin_snapshot();
    t_generation = slot->generation;
    return *slot->reader;
}

std::optional<catalog::NodeAttr> Filesystem::lookup(std::int64_t parent, std::string_view name) {
    auto& r = reader();
    if (!t_in_request) return r.lookup(parent, name);
    if (auto hit = cache_.lookup(t_generation, parent, name))
        return hit->ino != 0 ? hit : std::nullopt;
    auto a = r.lookup(parent, name);
    cache_.put_lookup(t_generation, parent, name, a);
    if (a) cache_.put_getattr(t_generation, *a);  // the kernel's next question about it
    return a;
}

std::optional<catalog::NodeAttr> Filesystem::getattr(std::int64_t ino) {
    auto& r = reader();
    if (!t_in_request) return r.getattr(ino);
    if (auto hit = cache_.getattr(t_generation, ino)) return hit;
    auto a = r.getattr(ino);
    if (a) cache_.put_getattr(t_generation, *a);
    return a;
}

std::optional<catalog::FileLocation> Filesystem::location(std::int64_t ino) {
    auto& r = reader();
    if (!t_in_request) return r.location(ino);
    if (auto hit = cache_.location(t_generation, ino)) return hit;
    auto where = r.location(ino);
    if (where) cache_.put_location(t_generation, ino, *where);
    return where;
}

void Filesystem::for_each_child(
    std::int64_t dir, std::int64_t after_ino, bool with_attrs,
    const std::function<bool(std::string_view, const catalog::NodeAttr&)>& fn) {
    auto& r = reader();
    if (!t_in_request) return r.for_each_child(dir, after_ino, with_attrs, fn);
    if (cache_.listing_end(t_generation, dir) == after_ino) return;
    std::int64_t last = after_ino;
    bool complete = true;
    r.for_each_child(dir, after_ino, with_attrs,
                     [&](std::string_view name, const catalog::NodeAttr& a) {
                         if (!fn(name, a)) return complete = false;
                         last = a.ino;
                         return true;
                     });
    if (complete) cache_.put_listing_end(t_generation, dir, last);
}

void Filesystem::catalog_changed() {
    generation_.fetch_add(1);
    std::vector<std::shared_ptr<ReaderSlot>> live;
    {
        std::lock_guard lock(slots_mutex_);
        for (const auto& w : slots_)
            if (auto s = w.lock()) live.push_back(std::move(s));
    }
    const auto g = generation_.load();
    for (const auto& s : live) {
        std::unique_lock lock(s->mutex, std::try_to_lock);
        if (!lock) continue;  // serving a request: it refreshes at its next one
        try {
            s->reader->end_snapshot();
            s->generation = g;
        } catch (const std::exception& e) {
            spdlog::warn("ending a catalog snapshot: {}", e.what());
        }
    }
}

overlay::Served Filesystem::served(const catalog::NodeAttr& a) {
    if (!overlay_ || a.edit_seq == 0 || a.is_dir) return {};
    const auto where = location(a.ino);
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
    std::optional<std::int64_t> open_size;
    if (!a.is_dir) {
        std::lock_guard lock(open_mutex_);
        if (const auto it = open_.find(a.ino); it != open_.end()) open_size = it->second.size;
    }
    if (open_size) {
        st.st_size = static_cast<off_t>(*open_size);
    } else if (a.edit_seq > 0 && !a.is_dir) {
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

overlay::Served Filesystem::open_version(const catalog::NodeAttr& a) {
    {
        std::lock_guard lock(open_mutex_);
        if (const auto it = open_.find(a.ino); it != open_.end()) {
            ++it->second.handles;
            return it->second.served;
        }
    }
    // Built outside the lock (a layout reads the original); two first opens racing agree on
    // the first one recorded.
    auto fresh = served(a);
    const std::int64_t size =
        fresh.layout ? static_cast<std::int64_t>(fresh.layout->size()) : a.size;
    std::lock_guard lock(open_mutex_);
    auto [it, inserted] = open_.try_emplace(a.ino, OpenVersion{0, std::move(fresh), size, false});
    ++it->second.handles;
    return it->second.served;
}

void Filesystem::close_version(std::int64_t ino) {
    {
        std::lock_guard lock(open_mutex_);
        const auto it = open_.find(ino);
        if (it == open_.end() || --it->second.handles > 0) return;
        const bool outdated = it->second.outdated;
        open_.erase(it);
        if (!outdated) return;
    }
    // Now the kernel may drop the old version's size and pages. (RELEASE is not among the
    // operations a notification must not be sent from.)
    if (session_) fuse_lowlevel_notify_inval_inode(session_, static_cast<fuse_ino_t>(ino), 0, 0);
}

bool Filesystem::version_changed(std::int64_t ino) {
    std::lock_guard lock(open_mutex_);
    const auto it = open_.find(ino);
    if (it == open_.end()) return true;
    it->second.outdated = true;
    return false;
}

void log_op_failure(const char* op, const char* what) noexcept {
    try {
        spdlog::error("{}: {}", op, what);
    } catch (...) {
    }
}

}  // namespace musicfs::fuse
