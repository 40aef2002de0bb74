#include "fuse/invalidator.hpp"

#include "util/utf8.hpp"

#include <spdlog/spdlog.h>

namespace musicfs::fuse {

Invalidator::Invalidator(fuse_session* se, Filesystem& fs, std::function<void()> before_poll,
                         std::function<void(std::int64_t)> applied,
                         std::chrono::milliseconds period)
    : se_(se),
      fs_(fs),
      before_poll_(std::move(before_poll)),
      applied_(std::move(applied)),
      period_(period) {
    // What changed before the mount is not in the kernel's caches.
    seen_ = fs_.reader().last_change();
    thread_ = std::thread([this] { run(); });
}

Invalidator::~Invalidator() {
    stop_ = true;
    thread_.join();
}

void Invalidator::run() {
    // The first look is at once: the daemon reports itself up to date as soon as it serves.
    for (bool first = true; !stop_.load(); first = false) {
        if (!first) std::this_thread::sleep_for(period_);
        try {
            poll();
        } catch (const std::exception& e) {
            spdlog::warn("following catalog changes: {}", e.what());
        }
    }
}

void Invalidator::poll() {
    auto& reader = fs_.reader();
    // Read before before_poll: every change up to here is in what before_poll sees (an edit
    // marks the tree dirty in the transaction that journals it), so once the journal is applied
    // past it, these changes are complete. A change that comes in meanwhile waits for the next
    // round.
    const std::int64_t head = reader.last_change();
    bool complete = true;
    try {
        if (before_poll_) before_poll_();
    } catch (const std::exception& e) {
        // The journal is still applied; the changes are not reported as applied.
        spdlog::warn("{}", e.what());
        complete = false;
    }
    // Any commit (a scan's rows, an edit) ends the FUSE threads' catalog snapshots, so that
    // they do not hold back the WAL; and before the kernel forgets anything, so that its next
    // questions meet the new catalog.
    const auto version = reader.data_version();
    const bool journaled = reader.last_change() > seen_;
    if (version != data_version_ || journaled) fs_.catalog_changed();
    data_version_ = version;
    if (journaled) {
        while (!stop_.load()) {
            const auto changes = reader.changes_since(seen_, 1024);
            for (const auto& c : changes) apply(c);
            if (changes.empty()) break;
            seen_ = changes.back().seq;
        }
    }
    if (applied_ && complete && seen_ >= head && head > reported_) {
        applied_(head);
        reported_ = head;
    }
}

void Invalidator::apply(const catalog::Change& c) {
    // Errors (mostly ENOENT: the kernel never saw that name or inode) mean nothing to forget.
    if (c.is_entry) {
        const auto parent = static_cast<fuse_ino_t>(c.parent);
        const int rc = fuse_lowlevel_notify_inval_entry(se_, parent, c.name.data(), c.name.size());
        // The parent's cached listing (cache_readdir) and attributes.
        const int rc2 = fuse_lowlevel_notify_inval_inode(se_, parent, 0, 0);
        spdlog::debug("change {}: forget name {} in {} ({}), listing of {} ({})", c.seq,
                      utf8::repair(c.name), c.parent, rc, c.parent, rc2);
        return;
    }
    if (auto* overlay = fs_.overlay()) overlay->forget(c.track_id);
    for (const auto ino : fs_.reader().nodes_of_track(c.track_id)) {
        // An open file keeps its version; the kernel is told when it is closed.
        if (!fs_.version_changed(ino)) continue;
        const int rc = fuse_lowlevel_notify_inval_inode(se_, static_cast<fuse_ino_t>(ino), 0, 0);
        spdlog::debug("change {}: forget track {} at inode {} ({})", c.seq, c.track_id, ino, rc);
    }
}

}  // namespace musicfs::fuse
