// MusicFS C++ helpers: an original file (mfs_track_source_t) and a tag list (mfs_tag_list_t).
#ifndef MUSICFS_CPP_TRACK_HPP
#define MUSICFS_CPP_TRACK_HPP

#include <musicfs/cpp/host.hpp>
#include <musicfs/track.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace musicfs {
namespace sdk MUSICFS_SDK_HIDDEN {

// An original file readable by byte range. Lives for the call it was passed to. [per-handle]:
// read it from the thread that received it.
class TrackSource {
public:
    explicit TrackSource(const mfs_track_source_t* source) noexcept
        : source_(abi_copy(source)) {}

    // The path relative to the origin's root (NUL-terminated); its extension is only a hint.
    [[nodiscard]] const char* path() const noexcept {
        return source_.path != nullptr ? source_.path : "";
    }
    [[nodiscard]] std::uint64_t size() const noexcept { return source_.size; }

    // Reads up to out.size() bytes at `offset`; returns the count (short only at end of file).
    // Throws Error with the host's errno when the read fails.
    std::size_t read(std::uint64_t offset, std::span<std::uint8_t> out) const {
        if (source_.read == nullptr) {
            throw Error(-EINVAL, "the track source has no read callback");
        }
        std::size_t done = 0;
        while (done < out.size()) {
            const std::int64_t n =
                source_.read(source_.ctx, offset + done, out.data() + done, out.size() - done);
            if (n < 0) {
                throw Error(static_cast<int>(n), concat("reading ", path(), " at offset ",
                                                        offset + done, " failed"));
            }
            if (n == 0) {
                break;
            }
            done += static_cast<std::size_t>(n);
        }
        return done;
    }

    // The bytes [offset, offset + len), fewer where the file ends first.
    [[nodiscard]] std::vector<std::uint8_t> read(std::uint64_t offset, std::size_t len) const {
        if (offset >= size()) {
            return {};
        }
        std::vector<std::uint8_t> out(
            static_cast<std::size_t>(std::min<std::uint64_t>(len, size() - offset)));
        out.resize(read(offset, out));
        return out;
    }

    [[nodiscard]] const mfs_track_source_t& raw() const noexcept { return source_; }

private:
    mfs_track_source_t source_;
};

// A read-only view of a tag list: Picard names, a multi-valued tag as consecutive entries with
// the same key. Lives as long as the list it views (the call it was passed to).
class Tags {
public:
    struct Tag {
        std::string_view key;
        std::string_view value;
    };

    explicit Tags(const mfs_tag_list_t* tags) noexcept : list_(abi_copy(tags)) {}

    [[nodiscard]] std::size_t size() const noexcept {
        return list_.tags != nullptr ? list_.count : 0;
    }
    [[nodiscard]] Tag operator[](std::size_t i) const noexcept {
        const mfs_tag_t& t = list_.tags[i];
        return {t.key != nullptr ? t.key : "", t.value != nullptr ? t.value : ""};
    }

    // The first value of `key`, or nullopt.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const noexcept {
        for (std::size_t i = 0; i < size(); ++i) {
            if ((*this)[i].key == key) {
                return (*this)[i].value;
            }
        }
        return std::nullopt;
    }

    // Every value of `key`, in order.
    [[nodiscard]] std::vector<std::string_view> all(std::string_view key) const {
        std::vector<std::string_view> out;
        for (std::size_t i = 0; i < size(); ++i) {
            if ((*this)[i].key == key) {
                out.push_back((*this)[i].value);
            }
        }
        return out;
    }

    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (std::size_t i = 0; i < size(); ++i) {
            fn((*this)[i].key, (*this)[i].value);
        }
    }

private:
    mfs_tag_list_t list_;
};

}  // namespace sdk
}  // namespace musicfs

#endif  // MUSICFS_CPP_TRACK_HPP
