#include "chunks.hpp"

#include "text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace musicfs::format_riff {
namespace {

using id3::Refusal;

// Chunk headers are read through a 64 KiB window: the ones before the audio come with the
// first read, the ones after it with one more.
constexpr std::uint64_t kWindow = 64 * 1024;
// Each chunk becomes a segment of the layout: a file of millions of empty chunks is refused.
constexpr std::size_t kMaxChunks = 65536;

bool printable_id(const std::uint8_t* p) {
    return std::all_of(p, p + 4, [](std::uint8_t c) { return c >= 0x20 && c < 0x7F; });
}

std::string at_byte(std::uint64_t offset) {
    return " at byte " + std::to_string(offset);
}

}  // namespace

ChunkList walk_chunks(const id3::Source& source) {
    ChunkList list;
    const std::uint64_t file_size = source.size();
    id3::Window window(source, kWindow);
    const std::uint8_t* head = window.at(0, 12);
    if (head == nullptr) {
        throw Refusal(-EINVAL, "too short for a RIFF or AIFF file");
    }
    const std::string_view magic(reinterpret_cast<const char*>(head), 4);
    const std::string_view form(reinterpret_cast<const char*>(head + 8), 4);
    if (magic == "RF64" || magic == "BW64") {
        throw Refusal(-ENOTSUP, std::string(magic) +
                                    " files are not supported: their sizes live in a ds64 chunk");
    }
    if (magic == "RIFX") {
        throw Refusal(-ENOTSUP, "big-endian RIFF (RIFX) files are not supported");
    }
    if (magic == "RIFF") {
        if (form != "WAVE") {
            throw Refusal(-ENOTSUP, "a RIFF file of form '" + id3::printable_ascii(form) +
                                        "', not WAVE");
        }
        list.container = Container::Wave;
    } else if (magic == "FORM") {
        if (form != "AIFF" && form != "AIFC") {
            throw Refusal(-ENOTSUP, "an IFF file of form '" + id3::printable_ascii(form) +
                                        "', not AIFF");
        }
        list.container = Container::Aiff;
    } else {
        throw Refusal(-ENOTSUP, "neither a RIFF/WAVE nor an AIFF file");
    }
    list.form_type = form;
    const bool wave = list.container == Container::Wave;
    const auto read_size = [&](const std::uint8_t* p) -> std::uint64_t {
        return wave ? id3::le32(p) : id3::be32(p);
    };

    // Whether a plausible chunk header (printable id, size inside the file) is at `at`.
    const auto valid_chunk_at = [&](std::uint64_t at) {
        if (file_size - at < 8) {
            return false;
        }
        const std::uint8_t* c = window.at(at, 8);
        return c != nullptr && printable_id(c) && read_size(c + 4) <= file_size - at - 8;
    };

    // The container size bounds the walk after the audio unless it is unknown (0 or all ones,
    // as streaming writers leave it) or larger than the file (a truncated file).
    const std::uint64_t declared = read_size(head + 4);
    std::uint64_t limit = declared == 0 || declared == 0xFFFFFFFFU || declared > file_size - 8
                              ? file_size
                              : 8 + declared;

    std::uint64_t pos = 12;
    bool have_audio = false;
    // A container size that ends before the audio chunk is wrong: walk on to the file's end
    // until the audio is found.
    for (;;) {
        const std::uint64_t walk_end = have_audio ? limit : file_size;
        if (pos > walk_end || walk_end - pos < 8) {
            break;
        }
        const std::uint8_t* h = window.at(pos, std::min<std::uint64_t>(12, file_size - pos));
        if (h == nullptr || !printable_id(h)) {
            if (!have_audio) {
                throw Refusal(-EINVAL, "unreadable chunk header" + at_byte(pos));
            }
            break;  // junk after the audio: left out
        }
        if (list.chunks.size() == kMaxChunks) {
            throw Refusal(-EINVAL, "more than " + std::to_string(kMaxChunks) + " chunks");
        }
        Chunk chunk;
        chunk.id.assign(reinterpret_cast<const char*>(h), 4);
        chunk.offset = pos;
        chunk.size = read_size(h + 4);
        chunk.audio = !have_audio && chunk.id == (wave ? "data" : "SSND");
        if (chunk.id == "LIST" && chunk.size >= 4 && file_size - pos >= 12) {
            chunk.list_type.assign(reinterpret_cast<const char*>(h + 8), 4);
        }
        const std::uint64_t room = file_size - pos - 8;
        if (chunk.audio) {
            // Audio running past the end (a truncated file, or a streaming writer's unknown
            // size, 0 or all ones): serve what there is, with a header that says so. A size of
            // 0 stands when a valid chunk follows (an empty file that was closed properly).
            const bool unknown = chunk.size == 0xFFFFFFFFU ||
                                 (chunk.size == 0 && room > 0 && !valid_chunk_at(pos + 8));
            if (chunk.size > room || unknown) {
                chunk.size = room;
                chunk.size_fixed = true;
            }
            // Trust the audio size over a container size that ends inside it.
            limit = std::max(limit, std::min(file_size, pos + 8 + chunk.size + (chunk.size & 1U)));
            have_audio = true;
        } else if (chunk.size > room || (have_audio && pos + 8 + chunk.size > limit)) {
            if (!have_audio) {
                throw Refusal(-EINVAL, "the '" + id3::printable_ascii(chunk.id) + "' chunk" +
                                           at_byte(pos) + " runs past the end of the file");
            }
            break;  // a truncated chunk after the audio: left out
        }
        const std::uint64_t end = pos + 8 + chunk.size;
        const std::uint64_t chunks_end = have_audio ? limit : file_size;
        chunk.pad_in_file = (chunk.size & 1U) != 0 && end < chunks_end;
        if (chunk.pad_in_file && chunks_end - end >= 9) {
            // Some writers leave out the pad byte: then the next header starts right away.
            const std::uint8_t* next = window.at(end, 5);
            if (next != nullptr && !printable_id(next + 1) && printable_id(next)) {
                chunk.pad_in_file = false;
            }
        }
        pos = end + (chunk.pad_in_file ? 1 : 0);
        list.chunks.push_back(std::move(chunk));
    }
    list.trailing = file_size - std::min(file_size, pos);

    const auto has = [&](std::string_view id) {
        return std::ranges::any_of(list.chunks, [&](const Chunk& c) { return c.id == id; });
    };
    if (wave && !has("fmt ")) {
        throw Refusal(-EINVAL, "no 'fmt ' chunk");
    }
    if (!wave && !has("COMM")) {
        throw Refusal(-EINVAL, "no 'COMM' chunk");
    }
    if (wave && !have_audio) {
        throw Refusal(-EINVAL, "no 'data' chunk");
    }
    return list;
}

}  // namespace musicfs::format_riff
