// format-mp3: serves MPEG audio files (MP3, and MP2/MP1 as meta-taglib names them) with the
// catalog's tags in a new ID3v2 tag at the front and every MPEG frame of the original untouched.
//
// The served file is
//   [new ID3v2.4 tag (or v2.3 with id3v2_version = 3)]
//   [the original from its first MPEG frame to the start of its end tags]   <- one range
//   [new ID3v1 tag, only with id3v1 = true]
// The Xing/LAME/VBRI info frame is the first MPEG frame and is kept like every other frame.
// Everything else of the original is dropped on purpose: its ID3v2 tags (pictures are carried
// over when the host asks to keep them), junk between them and the first frame, and at the
// end ID3v1, Enhanced TAG, APEv1/v2, Lyrics3 v1/v2 and appended ID3v2 tags, whose values
// would contradict the new tag (readers merge or prefer them).
//
// Options ([format.mp3] in the configuration):
//   id3v2_version = 4 | 3   ID3v2.4 (UTF-8, NUL-separated values) or ID3v2.3 (UTF-16, values
//                           joined with "/", TYER/TDAT/TIME instead of TDRC); default 4
//   id3v1 = false | true    also append an ID3v1.1 tag; default false

#include "id3v2.hpp"
#include "mpeg_stream.hpp"
#include "writer_support.hpp"

#include <musicfs/abi.h>
#include <musicfs/format.h>
#include <musicfs/host.h>
#include <musicfs/plugin.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

namespace musicfs::format_mp3 {
namespace {

constexpr const char* kPluginId = "org.musicfs.format.mp3";

struct Options {
    int id3v2_version = 4;
    bool id3v1 = false;
};

}  // namespace
}  // namespace musicfs::format_mp3

// The instance handle, opaque to the host. Immutable after create(): layout() may run on many
// threads at once.
struct mfs_format_writer {
    mfs_host_t host;
    musicfs::format_mp3::Options options;
};

namespace musicfs::format_mp3 {
namespace {

mfs_host_t g_host{};  // set by init(), for create() calls that pass no host

void lay_out(const mfs_format_writer& writer, const mfs_track_source_t& original,
             const mfs_tag_list_t* tags, const mfs_picture_list_t* pictures,
             const mfs_layout_sink_t* sink) {
    const id3::Source source(original);
    id3::Output out(sink);
    const MpegLayout mpeg = locate_audio(source);

    auto new_pictures = id3::host_pictures(pictures);
    std::vector<id3::PictureData> kept;
    if (!new_pictures && !mpeg.front_tags.empty()) {
        // Keep the pictures of the first ID3v2 tag, the one every reader reads.
        const FrontTag& first = mpeg.front_tags.front();
        const std::vector<std::uint8_t> tag = source.read(first.offset, first.header.total);
        int skipped = 0;
        kept = id3::read_id3v2_pictures(tag.data(), tag.size(), first.offset, skipped);
        if (skipped > 0) {
            id3::log_line(writer.host, MFS_LOG_WARN, kPluginId,
                          std::string(source.path()) + ": " + std::to_string(skipped) +
                              " picture frame(s) of the original could not be read and are left out");
        }
    }

    const id3::TagValues grouped = id3::group_tags(tags);
    const id3::Blob tag = id3::build_id3v2(grouped, new_pictures ? *new_pictures : kept,
                                           {writer.options.id3v2_version});
    out.blob(tag);
    out.original(mpeg.audio_start, mpeg.audio_end - mpeg.audio_start);
    if (writer.options.id3v1) {
        out.literal(id3::build_id3v1(grouped));
    }

    if (writer.host.log != nullptr && !mpeg.dropped.empty()) {
        std::string line = std::string(source.path()) + ": replaced ";
        for (std::size_t i = 0; i < mpeg.dropped.size(); ++i) {
            line += (i > 0 ? ", " : "") + mpeg.dropped[i];
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
            } else if (key == "id3v1") {
                const auto b = id3::parse_bool(value);
                if (!b) {
                    id3::log_line(host_copy, MFS_LOG_ERROR, kPluginId,
                                  "id3v1 must be true or false, not '" + value + "'");
                    return -EINVAL;
                }
                options.id3v1 = *b;
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

constexpr const char* kFormats[] = {"mp3", "mp2", "mp1", nullptr};

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
    .name = "mp3",
    .version = "0.1.0",
    .description = "MP3/MP2/MP1 with a new ID3v2 tag; MPEG frames served untouched",
    .init = &plugin_init,
    .deinit = &plugin_deinit,
    .get_kind = &plugin_get_kind,
};

}  // namespace
}  // namespace musicfs::format_mp3

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) noexcept {
    return &musicfs::format_mp3::kPlugin;
}
