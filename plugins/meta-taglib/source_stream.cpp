#include "source_stream.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <limits>
#include <system_error>
#include <utility>

namespace musicfs::meta_taglib {
namespace {

// Read-ahead window, aligned to its own size so that TagLib's backwards scans in 1 KiB steps
// (trailing ID3v1/APE tags, Ogg's last page) stay inside one window.
constexpr uint64_t kWindowSize = 16 * 1024;

// TagLib sizes its buffers with unsigned int.
constexpr uint64_t kMaxBlock = std::numeric_limits<unsigned int>::max();

// TagLib measures the stream with `long`; no real file comes near this.
constexpr uint64_t kMaxSize = std::numeric_limits<long>::max();

}  // namespace

SourceStream::SourceStream(const mfs_track_source_t& source)
    : source_(source),
      path_(source.path != nullptr ? source.path : ""),
      size_(std::min(source.size, kMaxSize)) {}

TagLib::FileName SourceStream::name() const {
    return path_.c_str();
}

TagLib::ByteVector SourceStream::readBlock(unsigned long length) {
    if (failed() || length == 0 || position_ >= size_) {
        return {};
    }
    // Clamping to what is left also keeps a fuzzed length field ("this block is 2 GiB") from
    // allocating more than the file holds.
    const uint64_t wanted = std::min({static_cast<uint64_t>(length), size_ - position_, kMaxBlock});
    TagLib::ByteVector out(static_cast<unsigned int>(wanted), '\0');
    auto* const dst = reinterpret_cast<uint8_t*>(out.data());

    uint64_t done = 0;
    while (done < wanted) {
        const uint64_t at = position_ + done;
        const uint64_t window_end = window_offset_ + window_.size();
        if (at >= window_offset_ && at < window_end) {
            const uint64_t n = std::min(wanted - done, window_end - at);
            std::memcpy(dst + done, window_.data() + (at - window_offset_), n);
            done += n;
            continue;
        }
        if (wanted - done >= kWindowSize) {
            // A large block (picture, whole metadata block): no point staging it.
            const int64_t got = read_fully(at, dst + done, wanted - done);
            if (got < 0) {
                return {};
            }
            done += static_cast<uint64_t>(got);
            break;
        }
        const uint64_t start = at - at % kWindowSize;
        window_.resize(std::min(kWindowSize, size_ - start));
        const int64_t got = read_fully(start, window_.data(), window_.size());
        if (got < 0) {
            window_.clear();
            return {};
        }
        window_.resize(static_cast<std::size_t>(got));
        window_offset_ = start;
        if (at >= start + window_.size()) {
            break;  // the file is shorter than its announced size
        }
    }
    out.resize(static_cast<unsigned int>(done));
    position_ += done;
    return out;
}

void SourceStream::writeBlock(const TagLib::ByteVector& /*data*/) {}

void SourceStream::insert(const TagLib::ByteVector& /*data*/, unsigned long /*start*/,
                          unsigned long /*replace*/) {}

void SourceStream::removeBlock(unsigned long /*start*/, unsigned long /*length*/) {}

bool SourceStream::readOnly() const {
    return true;
}

bool SourceStream::isOpen() const {
    // Several TagLib parsers check this before (and between) reads: reporting a failed source as
    // closed stops them early.
    return !failed();
}

void SourceStream::seek(long offset, Position p) {
    long base = 0;
    switch (p) {
        case Beginning:
            break;
        case Current:
            base = static_cast<long>(position_);
            break;
        case End:
            base = static_cast<long>(size_);
            break;
    }
    long target = 0;
    if (__builtin_add_overflow(base, offset, &target) || target < 0) {
        return;  // like fseek(): an impossible position leaves the stream where it was
    }
    position_ = static_cast<uint64_t>(target);
}

long SourceStream::tell() const {
    // position_ stays within long: seek() computes it as a non-negative long and readBlock()
    // never moves it past size_.
    return static_cast<long>(position_);
}

long SourceStream::length() {
    return static_cast<long>(size_);
}

void SourceStream::truncate(long /*length*/) {}

int64_t SourceStream::read_fully(uint64_t offset, uint8_t* out, uint64_t len) {
    uint64_t done = 0;
    while (done < len) {
        const int64_t got = source_.read(source_.ctx, offset + done, out + done, len - done);
        if (got < 0) {
            const auto error = got >= INT32_MIN ? static_cast<int32_t>(got) : -EIO;
            fail(error, offset + done, std::generic_category().message(-error));
            return -1;
        }
        if (static_cast<uint64_t>(got) > len - done) {
            fail(-EIO, offset + done, "the read callback returned more bytes than asked for");
            return -1;
        }
        if (got == 0) {
            break;  // end of file
        }
        done += static_cast<uint64_t>(got);
    }
    return static_cast<int64_t>(done);
}

void SourceStream::fail(int32_t error, uint64_t offset, std::string what) {
    if (failed()) {
        return;
    }
    error_ = error;
    error_message_ = "read error at offset " + std::to_string(offset) + ": " + std::move(what);
}

}  // namespace musicfs::meta_taglib
