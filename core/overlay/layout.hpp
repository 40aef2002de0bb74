#pragma once
// The layout of a served file: the segments a format writer made of (original, tags,
// pictures). Reading walks the segments: literal bytes from memory, original ranges from the
// origin, transformed ranges from the origin through the writer's transform.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace musicfs::overlay {

// Reads up to `len` bytes of the original at `offset`; returns bytes read or a negative errno.
using ReadFn = std::function<std::int64_t(std::uint64_t offset, void* buf, std::uint64_t len)>;
// Transforms one whole transformed segment (same length); 0 or a negative errno.
using TransformFn = std::function<int(std::uint64_t arg, const std::uint8_t* in,
                                      std::uint8_t* out, std::uint64_t len)>;

struct Segment {
    enum class Kind { Literal, Original, Transformed };
    Kind kind;
    std::uint64_t start;   // offset in the served file
    std::uint64_t length;
    std::uint64_t source;  // Literal: offset into Layout's literal bytes; else offset in the original
    std::uint64_t arg;     // Transformed: the writer's argument
};

class Layout {
public:
    void add_literal(const std::uint8_t* data, std::uint64_t len);
    void add_original(std::uint64_t offset, std::uint64_t len);
    void add_transformed(std::uint64_t offset, std::uint64_t len, std::uint64_t arg);

    // The exact size of the served file.
    std::uint64_t size() const { return size_; }
    const std::vector<Segment>& segments() const { return segments_; }

    // Fills `buf` with the served bytes [offset, offset + len). Returns the bytes produced
    // (short only at the end of the file) or a negative errno. [thread-safe]
    std::int64_t read(std::uint64_t offset, void* buf, std::uint64_t len, const ReadFn& original,
                      const TransformFn& transform) const;

    // Memory held by synthesised bytes (for cache accounting).
    std::size_t literal_bytes() const { return literals_.size(); }

    // Checks the segments against the original's size: every original range inside it.
    bool fits(std::uint64_t original_size) const;

private:
    std::vector<Segment> segments_;
    std::string literals_;
    std::uint64_t size_ = 0;
};

}  // namespace musicfs::overlay
