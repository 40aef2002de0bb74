#include "overlay/overlay.hpp"

#include "util/utf8.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <utility>

namespace musicfs::overlay {

Overlay::Overlay(std::vector<std::shared_ptr<const FormatWriter>> writers,
                 std::vector<std::string> sources, std::size_t cache_bytes)
    : sources_(std::move(sources)), cache_bytes_(cache_bytes), writers_(std::move(writers)) {}

bool Overlay::has_writers() const {
    std::lock_guard lock(mu_);
    return !writers_.empty();
}

bool Overlay::set_writers(std::vector<std::shared_ptr<const FormatWriter>> writers) {
    auto plugins = [](const std::vector<std::shared_ptr<const FormatWriter>>& ws) {
        std::vector<const plugin::Plugin*> out;
        for (const auto& w : ws) out.push_back(&w->plugin());
        std::sort(out.begin(), out.end());
        return out;
    };
    // The old writers and layouts go after the lock is released: the last reference to a
    // replaced plugin unloads it, which runs the plugin's deinit.
    std::vector<std::shared_ptr<const FormatWriter>> old_writers;
    std::list<Entry> old_layouts;
    std::lock_guard lock(mu_);
    const bool changed = plugins(writers) != plugins(writers_);
    old_writers = std::exchange(writers_, std::move(writers));
    old_layouts.swap(lru_);
    index_.clear();
    cached_bytes_ = 0;
    ++generation_;
    return changed;
}

std::pair<std::shared_ptr<const FormatWriter>, std::uint64_t> Overlay::writer_for(
    const std::string& format) const {
    std::lock_guard lock(mu_);
    for (const auto& w : writers_)
        for (const auto& f : w->formats())
            if (f == format) return {w, generation_};
    return {nullptr, generation_};
}

Served Overlay::served(const catalog::NodeAttr& attr, catalog::CatalogReader& reader,
                       const origins::Origin& origin, const std::string& path) {
    const auto key = std::make_pair(attr.track_id, attr.edit_seq);
    {
        std::lock_guard lock(mu_);
        if (auto it = index_.find(key); it != index_.end()) {
            lru_.splice(lru_.begin(), lru_, it->second);
            return it->second->served;
        }
    }

    Served served;
    const auto [writer, generation] = writer_for(attr.format);
    if (!writer) {
        spdlog::warn("{}: edited, but no format writer serves {} files; served unchanged",
                     utf8::repair(path), attr.format);
    } else {
        int err = 0;
        auto file = origin.open(path, err);
        if (!file) {
            spdlog::warn("{}: cannot open the original: {}", utf8::repair(path), std::strerror(-err));
            return served;  // not cached: the next open tries again
        }
        const ReadFn read = [&file](std::uint64_t off, void* buf, std::uint64_t len) {
            return file->read(off, buf, len);
        };
        const auto tags = reader.tags(attr.ino, sources_);
        // The user's pictures replace the file's; without them the writer keeps the file's.
        std::vector<Picture> pictures;
        const auto rows = reader.pictures(attr.track_id, catalog::kUserSource);
        for (const auto& r : rows)
            pictures.push_back({r.type, r.mime, r.description, r.width, r.height, r.data});
        const bool user_pictures = !rows.empty();
        auto result = writer->layout(path, static_cast<std::uint64_t>(attr.size), read, tags,
                                     user_pictures ? &pictures : nullptr);
        if (result.rc != 0) {
            spdlog::error("{}: the {} writer refused it ({}); served unchanged",
                          utf8::repair(path), attr.format, result.reason);
        } else {
            served = {std::move(result.layout), writer};
        }
    }

    std::lock_guard lock(mu_);
    if (generation != generation_) return served;  // the writers were replaced meanwhile
    if (index_.count(key)) return index_.at(key)->served;  // another thread was faster
    const std::size_t bytes = served.layout ? served.layout->literal_bytes() + 256 : 256;
    lru_.push_front({attr.track_id, attr.edit_seq, served, bytes});
    index_[key] = lru_.begin();
    cached_bytes_ += bytes;
    while (cached_bytes_ > cache_bytes_ && lru_.size() > 1) {
        cached_bytes_ -= lru_.back().bytes;
        index_.erase({lru_.back().track_id, lru_.back().edit_seq});
        lru_.pop_back();
    }
    return served;
}

void Overlay::forget(std::int64_t track_id) {
    std::lock_guard lock(mu_);
    for (auto it = lru_.begin(); it != lru_.end();) {
        if (it->track_id == track_id) {
            cached_bytes_ -= it->bytes;
            index_.erase({it->track_id, it->edit_seq});
            it = lru_.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace musicfs::overlay
