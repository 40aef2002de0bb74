#include "overlay/layout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace musicfs::overlay {

void Layout::add_literal(const std::uint8_t* data, std::uint64_t len) {
    if (len == 0) return;
    // Adjacent literals merge: writers often emit a tag block in pieces.
    if (!segments_.empty() && segments_.back().kind == Segment::Kind::Literal) {
        segments_.back().length += len;
    } else {
        segments_.push_back({Segment::Kind::Literal, size_, len, literals_.size(), 0});
    }
    literals_.append(reinterpret_cast<const char*>(data), len);
    size_ += len;
}

void Layout::add_original(std::uint64_t offset, std::uint64_t len) {
    if (len == 0) return;
    auto& last = segments_;
    if (!last.empty() && last.back().kind == Segment::Kind::Original &&
        last.back().source + last.back().length == offset) {
        last.back().length += len;
    } else {
        segments_.push_back({Segment::Kind::Original, size_, len, offset, 0});
    }
    size_ += len;
}

void Layout::add_transformed(std::uint64_t offset, std::uint64_t len, std::uint64_t arg) {
    if (len == 0) return;
    segments_.push_back({Segment::Kind::Transformed, size_, len, offset, arg});
    size_ += len;
}

bool Layout::fits(std::uint64_t original_size) const {
    return std::all_of(segments_.begin(), segments_.end(), [&](const Segment& s) {
        return s.kind == Segment::Kind::Literal ||
               (s.source <= original_size && s.length <= original_size - s.source);
    });
}

std::int64_t Layout::read(std::uint64_t offset, void* buf, std::uint64_t len,
                          const ReadFn& original, const TransformFn& transform) const {
    if (offset >= size_) return 0;
    len = std::min(len, size_ - offset);
    auto* out = static_cast<std::uint8_t*>(buf);
    // The first segment that ends after `offset`.
    auto it = std::upper_bound(segments_.begin(), segments_.end(), offset,
                               [](std::uint64_t off, const Segment& s) { return off < s.start + s.length; });
    std::uint64_t done = 0;
    for (; it != segments_.end() && done < len; ++it) {
        const std::uint64_t within = offset + done - it->start;
        const std::uint64_t n = std::min(it->length - within, len - done);
        switch (it->kind) {
            case Segment::Kind::Literal:
                std::memcpy(out + done, literals_.data() + it->source + within, n);
                break;
            case Segment::Kind::Original: {
                for (std::uint64_t got = 0; got < n;) {
                    const std::int64_t r = original(it->source + within + got, out + done + got, n - got);
                    if (r < 0) return done + got > 0 ? static_cast<std::int64_t>(done + got) : r;
                    if (r == 0) return -EIO;  // the original is shorter than it was: changed
                    got += static_cast<std::uint64_t>(r);
                }
                break;
            }
            case Segment::Kind::Transformed: {
                // Transformed segments are small (an Ogg page): read and transform it whole.
                std::vector<std::uint8_t> in(it->length), res(it->length);
                for (std::uint64_t got = 0; got < it->length;) {
                    const std::int64_t r = original(it->source + got, in.data() + got, it->length - got);
                    if (r < 0) return r;
                    if (r == 0) return -EIO;
                    got += static_cast<std::uint64_t>(r);
                }
                if (const int rc = transform(it->arg, in.data(), res.data(), it->length); rc != 0)
                    return rc < 0 ? rc : -EIO;
                std::memcpy(out + done, res.data() + within, n);
                break;
            }
        }
        done += n;
    }
    return static_cast<std::int64_t>(done);
}

}  // namespace musicfs::overlay
