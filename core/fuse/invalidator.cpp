#include "fuse/invalidator.hpp"

#include <spdlog/spdlog.h>

namespace musicfs::fuse {

Invalidator::Invalidator(fuse_session* se, Filesystem& fs, std::function<void()> before_poll,
                         std::chrono::milliseconds period)
    : se_(se), fs_(fs), before_poll_(std::move(before_poll)), period_(period) {
    // What changed before the mount is not in the kernel's caches.
    seen_ = fs_.reader().last_change();
    thread_ = std::thread([this] { run(); });
}

Invalidator::~Invalidator() {
    stop_ = true;
    thread_.join();
}

void Invalidator::run() {
    while (!stop_.load()) {
        std::this_thread::sleep_for(period_);
        try {
            if (before_poll_) before_poll_();
            auto& reader = fs_.reader();
            // Any commit (a scan's rows, an edit) ends the FUSE threads' catalog snapshots,
            // so that they do not hold back the WAL; and before the kernel forgets anything,
            // so that its next questions meet the new catalog.
            const auto version = reader.data_version();
            const bool journaled = reader.last_change() > seen_;
            if (version != data_version_ || journaled) fs_.catalog_changed();
            data_version_ = version;
            if (!journaled) continue;
            while (!stop_.load()) {
                const auto changes = reader.changes_since(seen_, 1024);
                for (const auto& c : changes) apply(c);
                if (changes.empty()) break;
                seen_ = changes.back().seq;
            }
        } catch (const std::exception& e) {
            spdlog::warn("following catalog changes: {}", e.what());
        }
    }
}

void Invalidator::apply(const catalog::Change& c) {
    // Errors (mostly ENOENT: the kernel never saw that name or inode) mean nothing to forget.
    if (c.is_entry) {
        fuse_lowlevel_notify_inval_entry(se_, static_cast<fuse_ino_t>(c.parent), c.name.data(),
                                         c.name.size());
        // The parent's cached listing (cache_readdir) and attributes.
        fuse_lowlevel_notify_inval_inode(se_, static_cast<fuse_ino_t>(c.parent), 0, 0);
        return;
    }
    if (auto* overlay = fs_.overlay()) overlay->forget(c.track_id);
    for (const auto ino : fs_.reader().nodes_of_track(c.track_id))
        fuse_lowlevel_notify_inval_inode(se_, static_cast<fuse_ino_t>(ino), 0, 0);
}

}  // namespace musicfs::fuse
