#include "writer_support.hpp"

#include <cerrno>
#include <string>

namespace musicfs::format_support {

void refuse_unsupported(std::string reason) {
    throw Refusal(-ENOTSUP, std::move(reason));
}

void refuse_invalid(std::string reason) {
    throw Refusal(-EINVAL, std::move(reason));
}

void write_reason(char* buffer, std::size_t size, std::string_view text) noexcept {
    if (buffer == nullptr || size == 0) {
        return;
    }
    std::size_t n = std::min(text.size(), size - 1);
    if (n < text.size()) {
        // Back up over UTF-8 continuation bytes (10xxxxxx) and the lead byte they follow.
        while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) {
            --n;
        }
    }
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
}

void log_message(const mfs_host_t& host, const char* plugin_id, int32_t level,
                 std::initializer_list<std::string_view> parts) noexcept {
    if (host.log == nullptr) {
        return;
    }
    try {
        std::string message;
        for (const std::string_view part : parts) {
            message += part;
        }
        host.log(host.ctx, level, plugin_id, message.c_str());
    } catch (...) {
    }
}

std::string bytes_text(uint64_t n) {
    return std::to_string(n) + (n == 1 ? " byte" : " bytes");
}

SourceReader::SourceReader(const mfs_track_source_t& source)
    : source_(source), size_(source.size) {
    if (source_.read == nullptr) {
        throw Refusal(-EINVAL, "the track source has no read callback");
    }
}

std::span<const uint8_t> SourceReader::view(uint64_t offset, std::size_t len) {
    if (offset > size_ || len > size_ - offset) {
        // Callers check sizes first; reaching this is a parser bug, reported as a broken file
        // rather than read out of bounds.
        refuse_invalid("internal error: read past the end of the file");
    }
    if (offset < window_offset_ || offset + len > window_offset_ + window_.size()) {
        fill(offset, len);
    }
    return {window_.data() + (offset - window_offset_), len};
}

void SourceReader::fill(uint64_t offset, std::size_t len) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<uint64_t>(std::max(len, chunk_), size_ - offset));
    window_.resize(want);
    window_offset_ = offset;
    std::size_t got = 0;
    while (got < want) {
        const int64_t n = source_.read(source_.ctx, offset + got, window_.data() + got, want - got);
        if (n < 0) {
            window_.clear();
            const int32_t error = n >= -4095 ? static_cast<int32_t>(n) : -EIO;
            throw Refusal(error, "reading the original at offset " + std::to_string(offset + got) +
                                     " failed: " + std::strerror(-error));
        }
        if (n == 0 || static_cast<uint64_t>(n) > want - got) {
            window_.clear();
            throw Refusal(-EIO, "the original is shorter than its size (" +
                                    std::to_string(size_) + "): it changed while being read");
        }
        got += static_cast<std::size_t>(n);
    }
}

void SinkWriter::literal(std::span<const uint8_t> data) const {
    if (data.empty()) {
        return;
    }
    if (sink_.literal == nullptr) {
        throw Refusal(-EINVAL, "the layout sink has no literal callback");
    }
    if (const int32_t rc = sink_.literal(sink_.ctx, data.data(), data.size()); rc != 0) {
        throw Refusal(rc < 0 ? rc : -EIO, "the host refused a literal segment");
    }
}

void SinkWriter::original(uint64_t offset, uint64_t len) const {
    if (len == 0) {
        return;
    }
    if (sink_.original == nullptr) {
        throw Refusal(-EINVAL, "the layout sink has no original callback");
    }
    if (const int32_t rc = sink_.original(sink_.ctx, offset, len); rc != 0) {
        throw Refusal(rc < 0 ? rc : -EIO, "the host refused an original segment");
    }
}

void SinkWriter::transformed(uint64_t offset, uint64_t len, uint64_t arg) const {
    if (sink_.transformed == nullptr) {
        throw Refusal(-ENOTSUP, "the host cannot serve transformed segments");
    }
    if (const int32_t rc = sink_.transformed(sink_.ctx, offset, len, arg); rc != 0) {
        throw Refusal(rc < 0 ? rc : -EIO, "the host refused a transformed segment");
    }
}

}  // namespace musicfs::format_support
