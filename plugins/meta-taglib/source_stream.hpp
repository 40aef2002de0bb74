// A read-only TagLib::IOStream over the host's mfs_track_source_t.
#pragma once

#include <musicfs/metadata.h>

#include <tiostream.h>

#include <cstdint>
#include <string>
#include <vector>

namespace musicfs::meta_taglib {

// Serves TagLib's many small reads (frame headers, Ogg page headers, backwards scans for
// trailing tags) from an aligned read-ahead window, so that a file on a slow remote origin
// costs a handful of read callbacks rather than hundreds.
//
// TagLib's I/O interface has no error channel, so the first failing read callback makes the
// stream sticky-failed: every later read returns nothing and isOpen() turns false, which ends
// TagLib's parsing quickly; the caller checks failed() afterwards. [per-handle]
class SourceStream final : public TagLib::IOStream {
public:
    // `source` must outlive the stream and have at least the fields up to `ctx`.
    explicit SourceStream(const mfs_track_source_t& source);

    SourceStream(const SourceStream&) = delete;
    SourceStream& operator=(const SourceStream&) = delete;

    // The source path: TagLib picks the parser from its extension first.
    TagLib::FileName name() const override;
    TagLib::ByteVector readBlock(unsigned long length) override;
    void writeBlock(const TagLib::ByteVector& data) override;
    void insert(const TagLib::ByteVector& data, unsigned long start,
                unsigned long replace) override;
    void removeBlock(unsigned long start, unsigned long length) override;
    bool readOnly() const override;
    bool isOpen() const override;
    void seek(long offset, Position p) override;
    long tell() const override;
    long length() override;
    void truncate(long length) override;

    [[nodiscard]] bool failed() const noexcept { return error_ != 0; }
    // The negative errno of the first failed read (or -EIO for a misbehaving callback).
    [[nodiscard]] int32_t error() const noexcept { return error_; }
    // What went wrong, for the reason buffer; empty unless failed().
    [[nodiscard]] const std::string& error_message() const noexcept { return error_message_; }

private:
    // Reads exactly `len` bytes at `offset` unless the file ends first; returns the count, or -1
    // after recording the failure.
    int64_t read_fully(uint64_t offset, uint8_t* out, uint64_t len);
    void fail(int32_t error, uint64_t offset, std::string what);

    const mfs_track_source_t& source_;
    const std::string path_;
    const uint64_t size_;
    uint64_t position_ = 0;

    std::vector<uint8_t> window_;  // file bytes [window_offset_, window_offset_ + window_.size())
    uint64_t window_offset_ = 0;

    int32_t error_ = 0;
    std::string error_message_;
};

}  // namespace musicfs::meta_taglib
