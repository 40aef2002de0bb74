// format-riff: serves WAV (RIFF/WAVE) and AIFF/AIFF-C (IFF/FORM) files with the catalog's tags
// while every chunk that is not a tag comes untouched from the original.
//
// The served file is the original's container rebuilt:
//   RIFF/FORM header with the new size
//   every chunk of the original in order (fmt/COMM, fact, cue, smpl, bext, LIST adtl, ...),
//     each one a range of the original, except the tag chunks, which are dropped:
//       WAV:  LIST/INFO, 'id3 ' and 'ID3 '
//       AIFF: 'ID3 ', 'id3 ', NAME, AUTH, ANNO and '(c) '
//   the new tag chunks right before the audio chunk ('data' or 'SSND'):
//       WAV:  LIST/INFO (INAM, IART, IPRD, ICMT, ICRD, IGNR, ITRK, IMUS, ICOP) and 'id3 '
//       AIFF: NAME, AUTH, '(c) ', ANNO and 'ID3 '
//     The ID3v2 chunk carries every tag and the pictures; the text chunks are for readers that
//     only know those (ffmpeg, Windows), in UTF-8.
//   the audio chunk, one range of the original
// Odd-sized chunks get their pad byte (the original's, or a zero when it lacked one). Junk
// after the last chunk and after the container's size (often an ID3v1 or ID3v2 tag a tagger
// appended) is left out. RF64/BW64 and RIFX files are refused.
//
// Options ([format.riff] in the configuration):
//   id3v2_version = 4 | 3   the ID3v2 version of the 'id3 '/'ID3 ' chunk; default 4

#include "chunks.hpp"
#include "id3v2.hpp"
#include "text.hpp"
#include "writer_support.hpp"

#include <musicfs/abi.h>
#include <musicfs/format.h>
#include <musicfs/host.h>
#include <musicfs/plugin.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

namespace musicfs::format_riff {
namespace {

constexpr const char* kPluginId = "org.musicfs.format.riff";

struct Options {
    int id3v2_version = 4;
};

}  // namespace
}  // namespace musicfs::format_riff

// The instance handle, opaque to the host. Immutable after create().
struct mfs_format_writer {
    mfs_host_t host;
    musicfs::format_riff::Options options;
};

namespace musicfs::format_riff {
namespace {

mfs_host_t g_host{};

using NamePair = std::pair<std::string_view, std::string_view>;

// RIFF INFO fields, as TagLib 2 and ffmpeg read them.
constexpr auto kInfoFields = std::to_array<NamePair>({
    {"INAM", "title"},
    {"IART", "artist"},
    {"IPRD", "album"},
    {"ICMT", "comment"},
    {"ICRD", "date"},
    {"IGNR", "genre"},
    {"ITRK", "tracknumber"},
    {"IMUS", "composer"},
    {"ICOP", "copyright"},
});

bool is_tag_chunk(const Chunk& chunk, Container container) {
    if (chunk.id == "id3 " || chunk.id == "ID3 ") {
        return true;
    }
    if (container == Container::Wave) {
        return chunk.id == "LIST" && chunk.list_type == "INFO";
    }
    return chunk.id == "NAME" || chunk.id == "AUTH" || chunk.id == "ANNO" || chunk.id == "(c) ";
}

const std::vector<std::string>* values_of(const id3::TagValues& tags, std::string_view name) {
    const auto it = std::ranges::find(tags, name, &id3::TagValues::value_type::first);
    return it != tags.end() ? &it->second : nullptr;
}

std::string joined(const std::vector<std::string>& values) {
    std::string out;
    for (std::size_t i = 0; i < values.size(); ++i) {
        out += (i > 0 ? "; " : "") + values[i];
    }
    return out;
}

// A chunk header in the container's byte order.
std::string chunk_header(Container container, std::string_view id, std::uint64_t size) {
    std::string h(id);
    if (container == Container::Wave) {
        id3::put_le32(h, static_cast<std::uint32_t>(size));
    } else {
        id3::put_be32(h, static_cast<std::uint32_t>(size));
    }
    return h;
}

// A whole small chunk (header, payload, pad byte).
std::string small_chunk(Container container, std::string_view id, std::string_view payload) {
    std::string c = chunk_header(container, id, payload.size());
    c += payload;
    if (payload.size() % 2 != 0) {
        c += '\0';
    }
    return c;
}

// The new tag chunks, in the order they are inserted before the audio.
id3::Blob tag_chunks(Container container, const id3::TagValues& tags, const id3::Blob& id3_tag) {
    id3::Blob out;
    if (container == Container::Wave) {
        std::string info;
        for (const auto& [field, name] : kInfoFields) {
            const auto* values = values_of(tags, name);
            if (values == nullptr) {
                continue;
            }
            // INFO strings are NUL-terminated; several values are joined with "; ".
            std::string text = name == "tracknumber" ? values->front() : joined(*values);
            text += '\0';
            info += small_chunk(container, field, text);
        }
        if (!info.empty()) {
            out.append(small_chunk(container, "LIST", "INFO" + info));
        }
    } else {
        const std::array<NamePair, 3> texts = {{{"NAME", "title"}, {"AUTH", "artist"}, {"(c) ", "copyright"}}};
        for (const auto& [id, name] : texts) {
            if (const auto* values = values_of(tags, name)) {
                out.append(small_chunk(container, id, joined(*values)));
            }
        }
        if (const auto* comments = values_of(tags, "comment")) {
            for (const std::string& comment : *comments) {
                out.append(small_chunk(container, "ANNO", comment));
            }
        }
    }
    if (!id3_tag.empty()) {
        const std::uint64_t size = id3_tag.size();
        if (size > 0xFFFFFFF0U) {
            throw id3::Refusal(-EFBIG, "the ID3v2 tag is too large for a chunk");
        }
        out.append(chunk_header(container, container == Container::Wave ? "id3 " : "ID3 ", size));
        out.append(id3_tag);
        if (size % 2 != 0) {
            out.append(std::string(1, '\0'));
        }
    }
    return out;
}

void append_chunk(id3::Blob& body, Container container, const Chunk& chunk) {
    if (chunk.size_fixed) {
        body.append(chunk_header(container, chunk.id, chunk.size));
        body.append_original(chunk.offset + 8, chunk.size);
    } else {
        body.append_original(chunk.offset, 8 + chunk.size + (chunk.pad_in_file ? 1 : 0));
    }
    if (chunk.size % 2 != 0 && !chunk.pad_in_file) {
        body.append(std::string(1, '\0'));
    }
}

void lay_out(const mfs_format_writer& writer, const mfs_track_source_t& original,
             const mfs_tag_list_t* tags, const mfs_picture_list_t* pictures,
             const mfs_layout_sink_t* sink) {
    const id3::Source source(original);
    id3::Output out(sink);
    const ChunkList list = walk_chunks(source);
    const Container container = list.container;

    auto new_pictures = id3::host_pictures(pictures);
    std::vector<id3::PictureData> kept;
    if (!new_pictures) {
        const auto it = std::ranges::find_if(list.chunks, [](const Chunk& c) {
            return c.id == "id3 " || c.id == "ID3 ";
        });
        if (it != list.chunks.end()) {
            const std::vector<std::uint8_t> tag = source.read(it->offset + 8, it->size);
            int skipped = 0;
            kept = id3::read_id3v2_pictures(tag.data(), tag.size(), it->offset + 8, skipped);
            if (skipped > 0) {
                id3::log_line(writer.host, MFS_LOG_WARN, kPluginId,
                              std::string(source.path()) + ": " + std::to_string(skipped) +
                                  " picture frame(s) of the original could not be read and are left out");
            }
        }
    }

    const id3::TagValues grouped = id3::group_tags(tags);
    const id3::Blob id3_tag = id3::build_id3v2(grouped, new_pictures ? *new_pictures : kept,
                                               {writer.options.id3v2_version});
    const id3::Blob new_tags = tag_chunks(container, grouped, id3_tag);

    id3::Blob body;
    bool placed = false;
    std::string dropped;
    for (const Chunk& chunk : list.chunks) {
        if (is_tag_chunk(chunk, container)) {
            // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict) about "/" + string.
            if (!dropped.empty()) {
                dropped += ", ";
            }
            dropped += id3::printable_ascii(chunk.id);
            if (!chunk.list_type.empty()) {
                dropped += '/';
                dropped += id3::printable_ascii(chunk.list_type);
            }
            continue;
        }
        if (chunk.audio && !placed) {
            body.append(new_tags);
            placed = true;
        }
        append_chunk(body, container, chunk);
    }
    if (!placed) {
        body.append(new_tags);  // an AIFF without sound data: tags at the end
    }

    const std::uint64_t form_size = 4 + body.size();
    if (form_size > 0xFFFFFFFFU) {
        throw id3::Refusal(-EFBIG, "the served file would pass the 4 GiB limit of " +
                                       std::string(container == Container::Wave ? "RIFF" : "AIFF"));
    }
    std::string header = chunk_header(container, container == Container::Wave ? "RIFF" : "FORM",
                                      form_size);
    header += list.form_type;
    out.literal(header);
    out.blob(body);

    if (writer.host.log != nullptr && (!dropped.empty() || list.trailing > 0)) {
        std::string line = std::string(source.path()) + ": replaced tag chunks [" + dropped + "]";
        if (list.trailing > 0) {
            line += ", left out " + std::to_string(list.trailing) + " bytes after the last chunk";
        }
        id3::log_line(writer.host, MFS_LOG_DEBUG, kPluginId, line);
    }
}

// --- C ABI trampolines: noexcept, nothing escapes. ------------------------------------------

int32_t writer_create(const mfs_host_t* host, const mfs_config_t* config,
                      mfs_format_writer_t** out) noexcept {
    if (out == nullptr) {
        return -EINVAL;
    }
    *out = nullptr;
    const mfs_host_t host_copy = id3::abi_copy(host != nullptr ? host : &g_host);
    try {
        const mfs_config_t cfg = id3::abi_copy(config);
        Options options;
        for (std::uint32_t i = 0; cfg.entries != nullptr && i < cfg.count; ++i) {
            const std::string key = cfg.entries[i].key != nullptr ? cfg.entries[i].key : "";
            const std::string value = cfg.entries[i].value != nullptr ? cfg.entries[i].value : "";
            if (key == "id3v2_version") {
                const auto v = id3::parse_id3v2_version(value);
                if (!v) {
                    id3::log_line(host_copy, MFS_LOG_ERROR, kPluginId,
                                  "id3v2_version must be 3 or 4, not '" + value + "'");
                    return -EINVAL;
                }
                options.id3v2_version = *v;
            } else {
                id3::log_line(host_copy, MFS_LOG_WARN, kPluginId,
                              "unknown configuration key '" + key + "' ignored");
            }
        }
        *out = new mfs_format_writer{host_copy, options};
        return 0;
    } catch (const std::exception& e) {
        id3::log_line(host_copy, MFS_LOG_ERROR, kPluginId, std::string("create failed: ") + e.what());
    } catch (...) {
        id3::log_line(host_copy, MFS_LOG_ERROR, kPluginId, "create failed: unknown exception");
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
        return id3::set_reason(reason, reason_size, -EINVAL,
                               "no writer, track source or layout sink");
    }
    return id3::guarded_layout(writer->host, kPluginId, original, reason, reason_size, [&] {
        lay_out(*writer, id3::abi_copy(original), tags, pictures, sink);
    });
}

constexpr const char* kFormats[] = {"wav", "aiff", nullptr};

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
    g_host = id3::abi_copy(host);
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
    .name = "riff",
    .version = "0.1.0",
    .description = "WAV and AIFF with new ID3v2 and INFO/text chunks; audio chunks untouched",
    .init = &plugin_init,
    .deinit = &plugin_deinit,
    .get_kind = &plugin_get_kind,
};

}  // namespace
}  // namespace musicfs::format_riff

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) noexcept {
    return &musicfs::format_riff::kPlugin;
}
