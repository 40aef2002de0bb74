// format-flac: serves native FLAC files with the catalog's tags.
//
// The served file is "fLaC", the original's STREAMINFO, SEEKTABLE, CUESHEET, APPLICATION (and
// unknown) blocks verbatim and in their order, a VORBIS_COMMENT block built from the tags (where
// the original had one, else right after STREAMINFO), PICTURE blocks (the original's when no
// picture list is given, else the list's, where the first original picture was or at the end),
// one PADDING block, then the audio frames as one range of the original. ID3v2 tags before the
// FLAC stream and an ID3v1 tag after it are dropped: players that find them would show stale
// tags. Details and limits: docs/formats.md, "FLAC".

#include "vorbis_comment.hpp"
#include "writer_support.hpp"

#include <musicfs/abi.h>
#include <musicfs/format.h>
#include <musicfs/host.h>
#include <musicfs/plugin.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The instance handle, opaque to the host.
struct mfs_format_writer {
    mfs_host_t host;  // as passed to create(), normalised by abi_copy()
};

namespace musicfs::format_flac {
namespace {

using format_support::abi_copy;
using format_support::bytes_text;
using format_support::log_message;
using format_support::refuse_invalid;
using format_support::refuse_unsupported;
using format_support::Refusal;
using format_support::SinkWriter;
using format_support::SourceReader;

constexpr const char* kPluginId = "org.musicfs.format.flac";
constexpr const char* kDefaultVendor = "MusicFS";

constexpr uint8_t kStreamInfo = 0;
constexpr uint8_t kPadding = 1;
constexpr uint8_t kVorbisComment = 4;
constexpr uint8_t kPicture = 6;
constexpr uint8_t kInvalidType = 127;
constexpr uint32_t kLastBlockFlag = 0x80;

// A metadata block's length is 24 bits.
constexpr uint64_t kMaxBlockLength = (uint64_t{1} << 24) - 1;
// Padding when the audio cannot stay where it was in the original (libFLAC's tools use 8 KiB;
// tags rarely grow by more than a few hundred bytes between edits).
constexpr uint64_t kDefaultPadding = 4096;
// Synthesised padding is literal bytes held in the cached layout, so more than this is not kept
// to preserve the audio offset (padding served from the original's own PADDING block costs
// nothing and is kept up to that block's length).
constexpr uint64_t kMaxLiteralPadding = 64 * 1024;

struct Block {
    uint8_t type;
    uint64_t body_offset;  // in the original
    uint64_t length;
};

struct Original {
    std::vector<Block> blocks;       // in file order, STREAMINFO first
    uint64_t audio_offset = 0;       // first frame
    uint64_t audio_end = 0;          // end of the last frame (before an ID3v1 tag)
    std::optional<vorbis_comment::Parsed> comment;  // the first VORBIS_COMMENT, when readable
};

uint64_t syncsafe32(const uint8_t* p) noexcept {
    return (uint64_t{p[0]} << 21) | (uint64_t{p[1]} << 14) | (uint64_t{p[2]} << 7) | p[3];
}

// Skips the ID3v2 tags some tools put before the FLAC stream; returns where "fLaC" should be.
uint64_t skip_id3v2(SourceReader& reader) {
    const uint64_t size = reader.size();
    uint64_t pos = 0;
    while (size - pos >= 10) {
        const auto h = reader.view(pos, 10);
        if (std::memcmp(h.data(), "ID3", 3) != 0) {
            break;
        }
        if (h[3] == 0xFF || h[4] == 0xFF || ((h[6] | h[7] | h[8] | h[9]) & 0x80) != 0) {
            refuse_invalid("broken ID3v2 tag header at offset " + std::to_string(pos));
        }
        const uint64_t len = 10 + syncsafe32(h.data() + 6) + ((h[5] & 0x10) != 0 ? 10 : 0);
        if (len > size - pos) {
            refuse_invalid("the ID3v2 tag at offset " + std::to_string(pos) +
                           " runs past the end of the file");
        }
        pos += len;
    }
    return pos;
}

Original parse(SourceReader& reader) {
    const uint64_t size = reader.size();
    uint64_t pos = skip_id3v2(reader);
    if (size - pos < 4 || std::memcmp(reader.view(pos, 4).data(), "fLaC", 4) != 0) {
        refuse_unsupported(pos == 0 ? "not a FLAC file (no fLaC marker)"
                                    : "no FLAC stream after the ID3v2 tag");
    }
    pos += 4;

    Original original;
    for (bool last = false; !last;) {
        const std::string where = "metadata block " + std::to_string(original.blocks.size() + 1);
        if (size - pos < 4) {
            refuse_invalid("truncated: " + where + " is missing (the file ends at " +
                           std::to_string(size) + ")");
        }
        const auto h = reader.view(pos, 4);
        last = (h[0] & kLastBlockFlag) != 0;
        const auto type = static_cast<uint8_t>(h[0] & 0x7F);
        const uint64_t len = format_support::get_be24(h.data() + 1);
        if (type == kInvalidType) {
            refuse_invalid(where + " has the invalid type 127");
        }
        if (len > size - pos - 4) {
            refuse_invalid("truncated: " + where + " (" + bytes_text(len) +
                           ") runs past the end of the file");
        }
        if (original.blocks.empty() && (type != kStreamInfo || len != 34)) {
            refuse_invalid("the first metadata block is not a STREAMINFO block");
        }
        if (!original.blocks.empty() && type == kStreamInfo) {
            refuse_invalid(where + " is a second STREAMINFO block");
        }
        original.blocks.push_back({type, pos + 4, len});
        pos += 4 + len;
    }
    original.audio_offset = pos;
    original.audio_end = size;

    // The audio starts with a frame header's sync code (14 bits 11111111111110, then a reserved
    // 0 bit). A file that ends right after its metadata has no frames; it is served as is.
    if (size - pos == 1) {
        refuse_invalid("truncated: one stray byte after the metadata blocks");
    }
    if (size - pos >= 2) {
        const auto f = reader.view(pos, 2);
        if (f[0] != 0xFF || (f[1] & 0xFE) != 0xF8) {
            refuse_invalid("no FLAC frame where the metadata blocks end (offset " +
                           std::to_string(pos) + "): a block length is wrong");
        }
    }
    // An ID3v1 tag after the frames (some taggers add one); TagLib shows it when the Vorbis
    // comment is empty, so it goes.
    if (size - pos >= 2 + 128 && std::memcmp(reader.view(size - 128, 3).data(), "TAG", 3) == 0) {
        original.audio_end = size - 128;
    }

    for (const Block& b : original.blocks) {
        if (b.type == kVorbisComment) {
            const auto body = reader.view(b.body_offset, static_cast<std::size_t>(b.length));
            original.comment = vorbis_comment::parse(body);
            break;
        }
    }
    return original;
}

// A block of the served file: synthesised, or the body of an original block.
struct OutBlock {
    uint8_t type;
    std::vector<uint8_t> body;  // when synthesised
    uint64_t source = 0;        // original offset of the body, when kept
    uint64_t length = 0;
    bool literal = true;
};

OutBlock synthesised(uint8_t type, std::vector<uint8_t> body) {
    const uint64_t len = body.size();
    return {type, std::move(body), 0, len, true};
}

int32_t layout(const mfs_format_writer& writer, const mfs_track_source_t& source,
               const mfs_tag_list_t* tags, const mfs_picture_list_t* picture_list,
               const mfs_layout_sink_t& sink) {
    SourceReader reader(source);
    const Original original = parse(reader);

    std::optional<mfs_picture_list_t> pictures;
    if (picture_list != nullptr) {
        pictures = abi_copy(picture_list);
    }

    // The new VORBIS_COMMENT.
    const auto skipped = [&](std::string_view key) {
        log_message(writer.host, kPluginId, MFS_LOG_DEBUG,
                    {source.path != nullptr ? source.path : "", ": tag '", key,
                     "' cannot be a Vorbis comment field name; left out"});
    };
    const std::vector<vorbis_comment::Field> fields = vorbis_comment::merge(
        vorbis_comment::fields_from_tags(tags, skipped),
        original.comment ? &*original.comment : nullptr, pictures ? &*pictures : nullptr, false);
    std::vector<uint8_t> comment = vorbis_comment::build(
        original.comment ? std::string_view(original.comment->vendor) : kDefaultVendor, fields);
    if (comment.size() > kMaxBlockLength) {
        refuse_invalid("the tags take " + bytes_text(comment.size()) +
                       "; a FLAC metadata block holds at most " + bytes_text(kMaxBlockLength));
    }

    // The new PICTURE blocks, when the pictures are replaced.
    std::vector<OutBlock> new_pictures;
    if (pictures) {
        int index = 0;
        for (const mfs_picture_t& p : vorbis_comment::pictures_of(*pictures)) {
            ++index;
            std::vector<uint8_t> body = vorbis_comment::picture_block(p);
            if (body.size() > kMaxBlockLength) {
                refuse_invalid("picture " + std::to_string(index) + " takes " +
                               bytes_text(body.size()) + "; a FLAC metadata block holds at most " +
                               bytes_text(kMaxBlockLength));
            }
            new_pictures.push_back(synthesised(kPicture, std::move(body)));
        }
    }

    std::vector<OutBlock> out;
    bool comment_placed = false;
    bool pictures_placed = false;
    uint64_t largest_padding = 0;
    uint64_t largest_padding_source = 0;
    for (const Block& b : original.blocks) {
        if (b.type == kPadding) {
            if (b.length > largest_padding) {
                largest_padding = b.length;
                largest_padding_source = b.body_offset;
            }
            continue;
        }
        if (b.type == kVorbisComment) {
            if (!comment_placed) {
                out.push_back(synthesised(kVorbisComment, std::move(comment)));
                comment_placed = true;
            }
            continue;
        }
        if (b.type == kPicture && pictures) {
            if (!pictures_placed) {
                for (OutBlock& p : new_pictures) {
                    out.push_back(std::move(p));
                }
                pictures_placed = true;
            }
            continue;
        }
        out.push_back({b.type, {}, b.body_offset, b.length, false});
    }
    if (!comment_placed) {
        out.insert(out.begin() + 1, synthesised(kVorbisComment, std::move(comment)));
    }
    if (pictures && !pictures_placed) {
        for (OutBlock& p : new_pictures) {
            out.push_back(std::move(p));
        }
    }

    // Padding: keep the audio where it was in the original when the new blocks leave room for
    // a PADDING block there (or fill the space exactly); otherwise a fresh default padding.
    uint64_t metadata_size = 4;
    for (const OutBlock& b : out) {
        metadata_size += 4 + b.length;
    }
    const uint64_t area = original.audio_offset;  // ID3v2 tags and "fLaC" included
    bool padded = true;
    uint64_t padding = kDefaultPadding;
    if (area == metadata_size) {
        padded = false;
    } else if (area >= metadata_size + 4) {
        const uint64_t fill = area - metadata_size - 4;
        if (fill <= std::max(largest_padding, kMaxLiteralPadding) && fill <= kMaxBlockLength) {
            padding = fill;
        }
    }

    const SinkWriter emit(sink);
    static constexpr uint8_t kMarker[] = {'f', 'L', 'a', 'C'};
    emit.literal(kMarker);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const OutBlock& b = out[i];
        const bool last = i + 1 == out.size() && !padded;
        const uint8_t header[4] = {static_cast<uint8_t>(b.type | (last ? kLastBlockFlag : 0)),
                                   static_cast<uint8_t>(b.length >> 16),
                                   static_cast<uint8_t>(b.length >> 8),
                                   static_cast<uint8_t>(b.length)};
        emit.literal(header);
        if (b.literal) {
            emit.literal(b.body);
        } else {
            emit.original(b.source, b.length);
        }
    }
    if (padded) {
        const uint64_t len = padding;
        const uint8_t header[4] = {static_cast<uint8_t>(kPadding | kLastBlockFlag),
                                   static_cast<uint8_t>(len >> 16), static_cast<uint8_t>(len >> 8),
                                   static_cast<uint8_t>(len)};
        emit.literal(header);
        if (len <= largest_padding) {
            // The original's padding bytes (zeros, or whatever it held: readers skip them).
            emit.original(largest_padding_source, len);
        } else {
            const std::vector<uint8_t> zeros(static_cast<std::size_t>(len), 0);
            emit.literal(zeros);
        }
    }
    emit.original(original.audio_offset, original.audio_end - original.audio_offset);
    return 0;
}

// --- C ABI trampolines: noexcept, nothing escapes. ------------------------------------------

mfs_host_t g_host{};  // set by init(), cleared by deinit() (main thread, nothing in flight)

int32_t writer_create(const mfs_host_t* host, const mfs_config_t* config,
                      mfs_format_writer_t** out) noexcept {
    if (out == nullptr) {
        return -EINVAL;
    }
    *out = nullptr;
    const mfs_host_t host_copy = abi_copy(host != nullptr ? host : &g_host);
    try {
        const mfs_config_t cfg = abi_copy(config);
        for (uint32_t i = 0; cfg.entries != nullptr && i < cfg.count; ++i) {
            const char* key = cfg.entries[i].key;
            log_message(host_copy, kPluginId, MFS_LOG_WARN,
                        {"unknown configuration key '", key != nullptr ? key : "", "' ignored"});
        }
        *out = new mfs_format_writer{host_copy};
        return 0;
    } catch (...) {
        log_message(host_copy, kPluginId, MFS_LOG_ERROR, {"create failed: out of memory"});
    }
    return -EIO;
}

void writer_destroy(mfs_format_writer_t* writer) noexcept {
    delete writer;
}

int32_t writer_layout(mfs_format_writer_t* writer, const mfs_track_source_t* original,
                      const mfs_tag_list_t* tags, const mfs_picture_list_t* pictures,
                      const mfs_layout_sink_t* sink, char* reason, size_t reason_size) noexcept {
    if (writer == nullptr || original == nullptr || sink == nullptr) {
        format_support::write_reason(reason, reason_size, "no instance, original or sink");
        return -EINVAL;
    }
    const mfs_track_source_t source = abi_copy(original);
    const mfs_layout_sink_t sink_copy = abi_copy(sink);
    const std::string_view path = source.path != nullptr ? source.path : "";
    std::string why;
    int32_t rc = -EIO;
    try {
        return layout(*writer, source, tags, pictures, sink_copy);
    } catch (const Refusal& r) {
        rc = r.error();
        why = r.reason();
    } catch (const std::bad_alloc&) {
        rc = -ENOMEM;
        why = "out of memory";
    } catch (const std::exception& e) {
        why = std::string("internal error: ") + e.what();
    } catch (...) {
        why = "internal error: unknown exception";
    }
    format_support::write_reason(reason, reason_size, why);
    log_message(writer->host, kPluginId, rc == -EIO ? MFS_LOG_ERROR : MFS_LOG_DEBUG,
                {path, ": ", why});
    return rc;
}

constexpr const char* kFormats[] = {"flac", nullptr};

const mfs_format_kind_t kFormatKind{
    .struct_size = sizeof(mfs_format_kind_t),
    .formats = kFormats,
    .create = &writer_create,
    .destroy = &writer_destroy,
    .layout = &writer_layout,
    .transform = nullptr,
    .get_extension = nullptr,
};

int32_t plugin_init(const mfs_host_t* host) noexcept {
    g_host = abi_copy(host);
    return 0;
}

void plugin_deinit() noexcept {
    g_host = mfs_host_t{};
}

const void* plugin_get_kind(const char* kind_id) noexcept {
    if (kind_id != nullptr && std::strcmp(kind_id, MFS_FORMAT_KIND_ID) == 0) {
        return &kFormatKind;
    }
    return nullptr;
}

const mfs_plugin_t kPlugin{
    .struct_size = sizeof(mfs_plugin_t),
    .abi_major = MFS_ABI_VERSION_MAJOR,
    .abi_minor = MFS_ABI_VERSION_MINOR,
    .id = kPluginId,
    .name = "flac",
    .version = "0.1.0",
    .description = "Serves FLAC files with the catalog's tags; audio frames untouched",
    .init = &plugin_init,
    .deinit = &plugin_deinit,
    .get_kind = &plugin_get_kind,
};

}  // namespace
}  // namespace musicfs::format_flac

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) noexcept {
    return &musicfs::format_flac::kPlugin;
}
