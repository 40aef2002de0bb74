#include "writer_support.hpp"

#include "text.hpp"

#include <cerrno>
#include <cstring>
#include <limits>

namespace musicfs::id3 {

std::int32_t set_reason(char* buffer, std::size_t size, std::int32_t error,
                        std::string_view text) noexcept {
    if (buffer == nullptr || size == 0) {
        return error;
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
    return error;
}

void log_line(const mfs_host_t& host, std::int32_t level, const char* plugin_id,
              std::string_view message) noexcept {
    if (host.log == nullptr) {
        return;
    }
    try {
        const std::string line(message);
        host.log(host.ctx, level, plugin_id, line.c_str());
    } catch (...) {
    }
}

// --- Source ---------------------------------------------------------------------------------

Source::Source(const mfs_track_source_t& source)
    : source_(source),
      size_(source.size),
      path_(source.path != nullptr ? source.path : "") {
    if (source_.read == nullptr) {
        throw Refusal(-EINVAL, "the track source has no read callback");
    }
}

std::vector<std::uint8_t> Source::read(std::uint64_t offset, std::uint64_t len) const {
    if (offset > size_ || len > size_ - offset) {
        throw Refusal(-EINVAL, "a structure points past the end of the file");
    }
    std::vector<std::uint8_t> buf(static_cast<std::size_t>(len));
    read_into(offset, buf.data(), len);
    return buf;
}

void Source::read_into(std::uint64_t offset, std::uint8_t* buf, std::uint64_t len) const {
    if (offset > size_ || len > size_ - offset) {
        throw Refusal(-EINVAL, "a structure points past the end of the file");
    }
    for (std::uint64_t done = 0; done < len;) {
        const std::int64_t n = source_.read(source_.ctx, offset + done, buf + done, len - done);
        if (n < 0) {
            const auto code = n < std::numeric_limits<std::int32_t>::min()
                                  ? std::int32_t{-EIO}
                                  : static_cast<std::int32_t>(n);
            throw Refusal(code, std::string("reading the original failed: ") +
                                    std::strerror(static_cast<int>(-code)));
        }
        if (n == 0 || static_cast<std::uint64_t>(n) > len - done) {
            throw Refusal(-EIO, "the original is shorter than its announced size");
        }
        done += static_cast<std::uint64_t>(n);
    }
}

// --- Window ---------------------------------------------------------------------------------

const std::uint8_t* Window::at(std::uint64_t offset, std::uint64_t len) {
    const std::uint64_t size = source_.size();
    if (offset > size || len > size - offset) {
        return nullptr;
    }
    if (offset >= base_ && len <= bytes_.size() && offset - base_ <= bytes_.size() - len) {
        return bytes_.data() + (offset - base_);
    }
    const std::uint64_t want = std::min(size - offset, std::max(len, chunk_));
    load(offset, offset + want);
    return bytes_.data();
}

void Window::load(std::uint64_t offset, std::uint64_t end) {
    bytes_ = source_.read(offset, end - offset);
    base_ = offset;
}

// --- Blob -----------------------------------------------------------------------------------

void Blob::append(std::string_view bytes) {
    if (bytes.empty()) {
        return;
    }
    if (parts_.empty() || parts_.back().kind != Part::Kind::Bytes) {
        parts_.push_back(Part{});
    }
    parts_.back().bytes.append(bytes);
    size_ += bytes.size();
}

void Blob::append_view(const std::uint8_t* data, std::uint64_t len) {
    if (len == 0) {
        return;
    }
    Part part;
    part.kind = Part::Kind::View;
    part.view = data;
    part.length = len;
    parts_.push_back(std::move(part));
    size_ += len;
}

void Blob::append_original(std::uint64_t offset, std::uint64_t len) {
    if (len == 0) {
        return;
    }
    if (!parts_.empty() && parts_.back().kind == Part::Kind::Original &&
        parts_.back().offset + parts_.back().length == offset) {
        parts_.back().length += len;
    } else {
        Part part;
        part.kind = Part::Kind::Original;
        part.offset = offset;
        part.length = len;
        parts_.push_back(std::move(part));
    }
    size_ += len;
}

void Blob::append_part(const Part& part) {
    switch (part.kind) {
        case Part::Kind::Bytes:
            append(part.bytes);
            break;
        case Part::Kind::View:
            append_view(part.view, part.length);
            break;
        case Part::Kind::Original:
            append_original(part.offset, part.length);
            break;
    }
}

void Blob::append(const Blob& other) {
    for (const Part& part : other.parts_) {
        append_part(part);
    }
}

// --- Output ---------------------------------------------------------------------------------

Output::Output(const mfs_layout_sink_t* sink) : sink_(abi_copy(sink)) {
    if (sink_.literal == nullptr || sink_.original == nullptr) {
        throw Refusal(-EINVAL, "the layout sink lacks the literal or original callback");
    }
}

void Output::literal(std::string_view bytes) {
    literal(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

void Output::literal(const std::uint8_t* data, std::uint64_t len) {
    if (len == 0) {
        return;
    }
    if (const std::int32_t rc = sink_.literal(sink_.ctx, data, len); rc != 0) {
        throw Refusal(rc < 0 ? rc : -EIO, "the host did not take the layout");
    }
    size_ += len;
}

void Output::original(std::uint64_t offset, std::uint64_t len) {
    if (len == 0) {
        return;
    }
    if (const std::int32_t rc = sink_.original(sink_.ctx, offset, len); rc != 0) {
        throw Refusal(rc < 0 ? rc : -EIO, "the host did not take the layout");
    }
    size_ += len;
}

void Output::blob(const Blob& blob) {
    for (const Part& part : blob.parts()) {
        switch (part.kind) {
            case Part::Kind::Bytes:
                literal(part.bytes);
                break;
            case Part::Kind::View:
                literal(part.view, part.length);
                break;
            case Part::Kind::Original:
                original(part.offset, part.length);
                break;
        }
    }
}

// --- Tags and pictures ----------------------------------------------------------------------

TagValues group_tags(const mfs_tag_list_t* tags) {
    TagValues grouped;
    const mfs_tag_list_t list = abi_copy(tags);
    if (list.tags == nullptr) {
        return grouped;
    }
    for (std::uint32_t i = 0; i < list.count; ++i) {
        const mfs_tag_t& tag = list.tags[i];
        if (tag.key == nullptr || tag.value == nullptr || *tag.key == '\0') {
            continue;
        }
        std::string value = clean_utf8(tag.value);
        if (value.empty()) {
            continue;
        }
        const std::string key = clean_utf8(tag.key);
        auto it = std::find_if(grouped.begin(), grouped.end(),
                               [&](const auto& entry) { return entry.first == key; });
        if (it == grouped.end()) {
            grouped.emplace_back(key, std::vector<std::string>{});
            it = std::prev(grouped.end());
        }
        it->second.push_back(std::move(value));
    }
    return grouped;
}

std::optional<std::vector<PictureData>> host_pictures(const mfs_picture_list_t* pictures) {
    if (pictures == nullptr) {
        return std::nullopt;
    }
    const mfs_picture_list_t list = abi_copy(pictures);
    std::vector<PictureData> out;
    for (std::uint32_t i = 0; list.pictures != nullptr && i < list.count; ++i) {
        if (list.pictures[i] == nullptr) {
            continue;
        }
        const mfs_picture_t p = abi_copy(list.pictures[i]);
        if (p.data == nullptr && p.size > 0) {
            throw Refusal(-EINVAL, "a picture has a size but no data");
        }
        PictureData picture;
        picture.type = p.type;
        picture.mime = p.mime != nullptr ? p.mime : "";
        picture.description = clean_utf8(p.description != nullptr ? p.description : "");
        picture.data.kind = Part::Kind::View;
        picture.data.view = p.data;
        picture.data.length = p.size;
        out.push_back(std::move(picture));
    }
    return out;
}

std::optional<int> parse_id3v2_version(std::string_view value) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
    }
    if (value == "4" || value == "2.4") {
        return 4;
    }
    if (value == "3" || value == "2.3") {
        return 3;
    }
    return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view value) {
    if (value == "true") {
        return true;
    }
    if (value == "false") {
        return false;
    }
    return std::nullopt;
}

}  // namespace musicfs::id3
