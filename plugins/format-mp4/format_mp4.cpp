// format-mp4: serves M4A/MP4 files (AAC, ALAC, anything in an MP4 container) with the catalog's
// tags. The served file is the original's top-level atoms in order with `moov` rebuilt (new
// udta/meta/ilst, chunk offsets moved when moov precedes the samples); every other atom, the
// sample data above all, comes from the original as it is. See docs/formats.md.
//
// Written against the C ABI directly; every entry point is noexcept and maps anything thrown
// to an errno and a reason.

#include "atom.hpp"
#include "ilst.hpp"
#include "moov.hpp"

#include <musicfs/abi.h>
#include <musicfs/format.h>
#include <musicfs/host.h>
#include <musicfs/plugin.h>
#include <musicfs/track.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

// The instance handle, opaque to the host. Instances hold no state besides the host table,
// so layout() is thread-safe.
struct mfs_format_writer {
    mfs_host_t host;
};

namespace musicfs::format_mp4 {
namespace {

constexpr const char* kPluginId = "org.musicfs.format.mp4";

// Reads go to the origin, which may be remote: headers are read through a window this big,
// moov in one read.
constexpr std::uint64_t kWindow = 64 * 1024;
// Bounds for hostile files: a real moov is a few MB even for hours of audio; real files have a
// handful of top-level atoms.
constexpr std::uint64_t kMaxMoov = 512ULL * 1024 * 1024;
constexpr std::size_t kMaxTopLevelAtoms = 100000;

// ABI rule: never read past the size the writer gave. Copying the first struct_size bytes into a
// zeroed full-size struct turns every member the caller did not know about into NULL / 0.
template <typename T>
T abi_copy(const T* in) noexcept {
    T out{};
    if (in != nullptr) {
        std::memcpy(&out, in, std::min<std::size_t>(in->struct_size, sizeof(T)));
    }
    return out;
}

mfs_host_t g_host{};  // set by init(), cleared by deinit(), both on the main thread

void log_message(const mfs_host_t& host, int32_t level,
                 std::initializer_list<std::string_view> parts) noexcept {
    if (host.log == nullptr) {
        return;
    }
    try {
        std::string message;
        for (const std::string_view part : parts) {
            message += part;
        }
        host.log(host.ctx, level, kPluginId, message.c_str());
    } catch (...) {
    }
}

// Fills the caller's reason buffer (NUL-terminated, cut without splitting a UTF-8 sequence).
void set_reason(char* buffer, std::size_t size, std::string_view text) noexcept {
    if (buffer == nullptr || size == 0) {
        return;
    }
    std::size_t n = std::min(text.size(), size - 1);
    if (n < text.size()) {
        while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) {
            --n;
        }
    }
    std::memcpy(buffer, text.data(), n);
    buffer[n] = '\0';
}

// The original, read in few large calls.
class SourceReader {
public:
    explicit SourceReader(const mfs_track_source_t& source) : source_(source) {}

    [[nodiscard]] std::uint64_t size() const noexcept { return source_.size; }

    // Exactly `len` bytes at `offset`, which the caller checked lie within size(); from the
    // window when it holds them (a small moov usually sits in the window of its header).
    void read(std::uint64_t offset, std::uint8_t* buf, std::uint64_t len) {
        if (offset >= window_start_ && len <= window_.size() &&
            offset - window_start_ <= window_.size() - len) {
            std::memcpy(buf, window_.data() + (offset - window_start_), len);
            return;
        }
        read_source(offset, buf, len);
    }

    // `len` bytes at `offset` (within size()), served from a window of kWindow bytes.
    ByteSpan peek(std::uint64_t offset, std::uint64_t len) {
        if (offset < window_start_ || offset + len > window_start_ + window_.size()) {
            const std::uint64_t n = std::min(std::max(len, kWindow), size() - offset);
            window_.resize(static_cast<std::size_t>(n));
            window_start_ = offset;
            read_source(offset, window_.data(), n);
        }
        return ByteSpan(window_).subspan(static_cast<std::size_t>(offset - window_start_),
                                         static_cast<std::size_t>(len));
    }

private:
    void read_source(std::uint64_t offset, std::uint8_t* buf, std::uint64_t len) {
        while (len > 0) {
            const std::int64_t n = source_.read(source_.ctx, offset, buf, len);
            if (n < 0) {
                const auto error = n >= -4095 ? static_cast<std::int32_t>(n) : -EIO;
                throw Refusal(error, "reading the original failed: " +
                                         std::generic_category().message(-error));
            }
            if (n == 0 || static_cast<std::uint64_t>(n) > len) {
                throw Refusal(-EIO, "the original is shorter than its size says (changed?)");
            }
            offset += static_cast<std::uint64_t>(n);
            buf += n;
            len -= static_cast<std::uint64_t>(n);
        }
    }

    const mfs_track_source_t& source_;
    Bytes window_;
    std::uint64_t window_start_ = 0;
};

struct TopAtom {
    FourCC type = 0;  // 0 for a few trailing bytes that hold no atom
    std::uint64_t offset = 0;
    std::uint64_t size = 0;
};

// What a file may start with to be taken for MP4/QuickTime at all.
bool plausible_first_atom(FourCC type) noexcept {
    switch (type) {
        case fourcc("ftyp"):
        case fourcc("styp"):
        case fourcc("moov"):
        case fourcc("mdat"):
        case fourcc("free"):
        case fourcc("skip"):
        case fourcc("wide"):
        case fourcc("pnot"):
        case fourcc("pdin"):
        case fourcc("uuid"):
        case fourcc("moof"):
        case fourcc("sidx"):
            return true;
        default:
            return false;
    }
}

bool is_fragment_atom(FourCC type) noexcept {
    return type == fourcc("moof") || type == fourcc("mfra") || type == fourcc("sidx") ||
           type == fourcc("ssix") || type == fourcc("styp");
}

// The top-level atoms, in file order. The last atom may run past the end of a truncated file
// (a download cut short in mdat): it is then served as far as it goes, like the original.
std::vector<TopAtom> top_level_atoms(SourceReader& reader) {
    const std::uint64_t size = reader.size();
    if (size < 8) {
        throw Refusal(-ENOTSUP, "not an MP4 file (too short)");
    }
    std::vector<TopAtom> atoms;
    std::uint64_t pos = 0;
    while (pos < size) {
        const std::uint64_t room = size - pos;
        if (room < 8) {
            atoms.push_back({0, pos, room});
            break;
        }
        const ByteSpan h = reader.peek(pos, std::min<std::uint64_t>(16, room));
        const FourCC type = load_u32(h.data() + 4);
        if (atoms.empty() && !plausible_first_atom(type)) {
            throw Refusal(-ENOTSUP, "not an MP4 file (starts with '" + fourcc_name(type) + "')");
        }
        if (is_fragment_atom(type)) {
            throw Refusal(-ENOTSUP, "fragmented MP4 ('" + fourcc_name(type) +
                                        "' atoms) is not supported");
        }
        const std::uint32_t size32 = load_u32(h.data());
        std::uint64_t atom_size = size32;
        std::uint64_t header = 8;
        if (size32 == 1) {
            if (room < 16) {
                throw Refusal(-EINVAL, "truncated 64-bit header of top-level atom '" +
                                           fourcc_name(type) + "'");
            }
            atom_size = load_u64(h.data() + 8);
            header = 16;
        } else if (size32 == 0) {
            atom_size = room;  // "to the end of the file"
        }
        if (atom_size < header) {
            throw Refusal(-EINVAL, "top-level atom '" + fourcc_name(type) + "' at offset " +
                                       std::to_string(pos) + " has an impossible size (" +
                                       std::to_string(atom_size) + ")");
        }
        if (atom_size > room) {
            if (type == fourcc("moov")) {
                throw Refusal(-EINVAL, "the file is truncated inside moov");
            }
            atom_size = room;
        }
        atoms.push_back({type, pos, atom_size});
        if (atoms.size() > kMaxTopLevelAtoms) {
            throw Refusal(-EINVAL, "more than " + std::to_string(kMaxTopLevelAtoms) +
                                       " top-level atoms: not a real MP4 file");
        }
        pos += atom_size;
    }
    return atoms;
}

class Sink {
public:
    explicit Sink(const mfs_layout_sink_t* sink) : sink_(abi_copy(sink)) {
        if (sink_.literal == nullptr || sink_.original == nullptr) {
            throw Refusal(-EINVAL, "the layout sink lacks literal() or original()");
        }
    }
    void literal(ByteSpan bytes) const {
        check(sink_.literal(sink_.ctx, bytes.data(), bytes.size()));
    }
    void original(std::uint64_t offset, std::uint64_t len) const {
        check(sink_.original(sink_.ctx, offset, len));
    }

private:
    static void check(int32_t rc) {
        if (rc != 0) {
            throw Refusal(rc < 0 ? rc : -EIO, "the host did not take the layout");
        }
    }
    mfs_layout_sink_t sink_;
};

void layout_track(const mfs_host_t& host, const mfs_track_source_t& source,
                  const mfs_tag_list_t* tag_list, const mfs_picture_list_t* picture_list,
                  const Sink& sink) {
    if (source.read == nullptr) {
        throw Refusal(-EINVAL, "the track source has no read callback");
    }
    SourceReader reader(source);
    const std::vector<TopAtom> atoms = top_level_atoms(reader);

    const TopAtom* moov_atom = nullptr;
    for (const TopAtom& a : atoms) {
        if (a.type == fourcc("moov")) {
            if (moov_atom != nullptr) {
                throw Refusal(-EINVAL, "more than one moov atom");
            }
            moov_atom = &a;
        }
    }
    if (moov_atom == nullptr) {
        throw Refusal(-EINVAL, "no moov atom (the file has no sample index)");
    }
    if (moov_atom->size > kMaxMoov) {
        throw Refusal(-EFBIG, "moov is " + std::to_string(moov_atom->size) +
                                  " bytes, more than this writer accepts");
    }
    Bytes moov(static_cast<std::size_t>(moov_atom->size));
    reader.read(moov_atom->offset, moov.data(), moov.size());

    std::vector<TagView> tags;
    const mfs_tag_list_t list = abi_copy(tag_list);
    for (std::uint32_t i = 0; list.tags != nullptr && i < list.count; ++i) {
        if (list.tags[i].key != nullptr && list.tags[i].value != nullptr) {
            tags.push_back({list.tags[i].key, list.tags[i].value});
        }
    }
    std::vector<PictureView> pictures;
    if (picture_list != nullptr) {
        const mfs_picture_list_t plist = abi_copy(picture_list);
        for (std::uint32_t i = 0; plist.pictures != nullptr && i < plist.count; ++i) {
            const mfs_picture_t p = abi_copy(plist.pictures[i]);
            if (p.data == nullptr || p.size == 0) {
                continue;
            }
            pictures.push_back({p.type, p.mime != nullptr ? p.mime : "",
                                ByteSpan(p.data, static_cast<std::size_t>(p.size))});
        }
    }

    const Bytes items = build_ilst_items(tags, picture_list != nullptr ? &pictures : nullptr,
                                         picture_list == nullptr ? find_covr(moov) : ByteSpan{});
    const bool data_follows = moov_atom != &atoms.back();
    const RebuiltMoov rebuilt = rebuild_moov(moov, moov_atom->offset, data_follows, items);
    if (rebuilt.converted_tables > 0) {
        log_message(host, MFS_LOG_DEBUG,
                    {source.path != nullptr ? source.path : "", ": ",
                     std::to_string(rebuilt.converted_tables),
                     " stco table(s) widened to co64 to hold the moved chunk offsets"});
    }

    for (const TopAtom& a : atoms) {
        if (&a == moov_atom) {
            sink.literal(rebuilt.bytes);
        } else {
            sink.original(a.offset, a.size);
        }
    }
}

// --- C ABI entry points: noexcept, nothing escapes. ------------------------------------------

int32_t writer_create(const mfs_host_t* host, const mfs_config_t* config,
                      mfs_format_writer_t** out) noexcept {
    if (out == nullptr) {
        return -EINVAL;
    }
    *out = nullptr;
    const mfs_host_t host_copy = abi_copy(host != nullptr ? host : &g_host);
    try {
        const mfs_config_t config_copy = abi_copy(config);
        for (uint32_t i = 0; config_copy.entries != nullptr && i < config_copy.count; ++i) {
            const char* key = config_copy.entries[i].key;
            log_message(host_copy, MFS_LOG_WARN,
                        {"unknown configuration key '", key != nullptr ? key : "", "' ignored"});
        }
        *out = new mfs_format_writer{host_copy};
        return 0;
    } catch (const std::exception& e) {
        log_message(host_copy, MFS_LOG_ERROR, {"create failed: ", e.what()});
    } catch (...) {
        log_message(host_copy, MFS_LOG_ERROR, {"create failed: unknown exception"});
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
        set_reason(reason, reason_size, "no instance, track source or sink");
        return -EINVAL;
    }
    const mfs_track_source_t source = abi_copy(original);
    const std::string_view path = source.path != nullptr ? source.path : "";
    int32_t error = -EIO;
    std::string text;
    try {
        layout_track(writer->host, source, tags, pictures, Sink(sink));
        return 0;
    } catch (const Refusal& r) {
        error = r.error() < 0 ? r.error() : -EIO;
        set_reason(reason, reason_size, r.reason());
        log_message(writer->host, MFS_LOG_DEBUG, {path, ": ", r.reason()});
        return error;
    } catch (const std::bad_alloc&) {
        text = "out of memory while rebuilding moov";
    } catch (const std::exception& e) {
        try {
            text = std::string("internal error: ") + e.what();
        } catch (...) {
            text.clear();
        }
    } catch (...) {
        text = "internal error: unknown exception";
    }
    set_reason(reason, reason_size, text);
    log_message(writer->host, MFS_LOG_ERROR, {path, ": ", text});
    return error;
}

constexpr const char* kFormats[] = {"aac", "alac", "mp4", nullptr};

const mfs_format_kind_t kFormatKind{
    .struct_size = sizeof(mfs_format_kind_t),
    .formats = kFormats,
    .create = &writer_create,
    .destroy = &writer_destroy,
    .layout = &writer_layout,
    .transform = nullptr,  // only literal and original segments
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
    .name = "mp4",
    .version = "0.1.0",
    .description = "Serves M4A/MP4 (AAC, ALAC) with the catalog's tags in a rebuilt moov",
    .init = &plugin_init,
    .deinit = &plugin_deinit,
    .get_kind = &plugin_get_kind,
};

}  // namespace
}  // namespace musicfs::format_mp4

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) noexcept {
    return &musicfs::format_mp4::kPlugin;
}
