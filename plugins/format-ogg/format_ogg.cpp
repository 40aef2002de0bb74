// format-ogg: serves Ogg Vorbis, Opus and Ogg FLAC files with the catalog's tags.
//
// The served file is the original's header packets with the comment packet replaced (Vorbis
// comment with its framing bit; OpusTags; the Ogg FLAC VORBIS_COMMENT metadata packet), paginated
// into literal pages, then the audio pages of the original. Pictures travel as
// METADATA_BLOCK_PICTURE comments (base64 FLAC picture blocks), as Picard and mutagen write them.
//
// When the new header pages are as many as the original's (the header packets are spread over
// the same number of pages whenever they fit), the audio is one range of the original and the
// original is read only up to the end of its headers (plus one read of its last page, to refuse
// chained files). When the page count changes, every later page needs a new sequence number and
// CRC: the whole original is scanned once and each audio page becomes a transformed segment
// whose transform() rewrites the sequence number and adjusts the CRC. Granule positions are never
// changed. Details and limits: docs/formats.md, "Ogg (Vorbis, Opus, FLAC)".

#include "ogg_page.hpp"
#include "vorbis_comment.hpp"
#include "writer_support.hpp"

#include <musicfs/abi.h>
#include <musicfs/format.h>
#include <musicfs/host.h>
#include <musicfs/plugin.h>

#include <algorithm>
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

namespace musicfs::format_ogg {
namespace {

using format_support::abi_copy;
using format_support::bytes_text;
using format_support::get_be16;
using format_support::get_be24;
using format_support::log_message;
using format_support::refuse_invalid;
using format_support::refuse_unsupported;
using format_support::Refusal;
using format_support::SinkWriter;
using format_support::SourceReader;
using Bytes = std::vector<uint8_t>;

constexpr const char* kPluginId = "org.musicfs.format.ogg";
constexpr const char* kDefaultVendor = "MusicFS";

// Header packets read from an original, pictures included; more is refused as broken.
constexpr uint64_t kMaxHeaderBytes = 64 * 1024 * 1024;
// Window of the whole-file scan when pages are renumbered.
constexpr std::size_t kScanChunk = 4 * 1024 * 1024;
// The longest possible page: 27 + 255 lacing values + 255 * 255 bytes.
constexpr std::size_t kMaxPageSize = 27 + 255 + 255 * 255;

// FLAC metadata blocks inside Ogg FLAC header packets.
constexpr uint8_t kFlacVorbisComment = 4;
constexpr uint8_t kFlacPicture = 6;
constexpr uint64_t kMaxFlacBlockLength = (uint64_t{1} << 24) - 1;

enum class Codec { Vorbis, Opus, Flac };

const char* codec_name(Codec c) noexcept {
    switch (c) {
        case Codec::Vorbis: return "Ogg Vorbis";
        case Codec::Opus: return "Opus";
        case Codec::Flac: return "Ogg FLAC";
    }
    return "Ogg";
}

bool starts_with(const Bytes& data, std::string_view magic) noexcept {
    return data.size() >= magic.size() && std::memcmp(data.data(), magic.data(), magic.size()) == 0;
}

// The header packets of the first logical stream and the pages that hold them.
struct Headers {
    Codec codec = Codec::Vorbis;
    uint32_t serial = 0;
    std::vector<Bytes> packets;
    uint32_t first_sequence = 0;  // of the first page
    uint64_t first_granule = 0;
    std::size_t pages = 0;        // pages up to the one where the last header packet ends
    uint32_t last_sequence = 0;   // of that page
    bool last_eos = false;        // that page ends the stream
    uint64_t end = 0;             // offset just after that page
    // What that page holds after the header packets (the start of the audio, in files that do
    // not begin the audio on a fresh page): lacing values, bytes, granule.
    Bytes tail_lacing;
    Bytes tail_body;
    uint64_t tail_granule = 0;
    // Ogg FLAC: header packets announced by the first packet (0 = unknown).
    uint16_t flac_header_count = 0;
};

// Identifies the codec from the first packet; returns how many header packets it has (0 for Ogg
// FLAC with an unknown count: then they end at the metadata block flagged last).
std::size_t identify(const Bytes& first, Headers& h) {
    if (starts_with(first, "\x01vorbis")) {
        if (first.size() < 30) {
            refuse_invalid("truncated Vorbis identification header");
        }
        h.codec = Codec::Vorbis;
        return 3;
    }
    if (starts_with(first, "OpusHead")) {
        if (first.size() < 19) {
            refuse_invalid("truncated Opus identification header");
        }
        if ((first[8] & 0xF0) != 0) {
            refuse_unsupported("Opus mapping version " + std::to_string(first[8]) +
                               " is not supported");
        }
        h.codec = Codec::Opus;
        return 2;
    }
    if (starts_with(first, "\x7F" "FLAC")) {
        // 0x7F "FLAC", major, minor, header count (16 bits), "fLaC", STREAMINFO block (4 + 34).
        if (first.size() < 51 || std::memcmp(first.data() + 9, "fLaC", 4) != 0) {
            refuse_invalid("broken Ogg FLAC mapping header");
        }
        if (first[5] != 1) {
            refuse_unsupported("Ogg FLAC mapping version " + std::to_string(first[5]) +
                               " is not supported");
        }
        h.codec = Codec::Flac;
        h.flac_header_count = get_be16(first.data() + 7);
        return h.flac_header_count == 0 ? 0 : std::size_t{1} + h.flac_header_count;
    }
    if (starts_with(first, "Speex   ")) {
        refuse_unsupported("Ogg Speex is not supported");
    }
    if (starts_with(first, "\x80theora")) {
        refuse_unsupported("Ogg Theora (video) is not supported");
    }
    if (starts_with(first, "fishead")) {
        refuse_unsupported("Ogg with a Skeleton stream (multiplexed) is not supported");
    }
    refuse_unsupported("unknown codec in the first Ogg packet");
}

bool flac_block_ok(const Bytes& packet) noexcept {
    return packet.size() >= 4 && (packet[0] & 0x7F) != 0x7F &&
           get_be24(packet.data() + 1) == packet.size() - 4;
}

// Whether `h.packets` holds every header packet.
bool headers_complete(const Headers& h, std::size_t wanted) {
    if (h.packets.size() < 2) {
        return false;
    }
    if (h.codec == Codec::Flac) {
        const Bytes& p = h.packets.back();
        if (!flac_block_ok(p)) {
            refuse_invalid("Ogg FLAC header packet " + std::to_string(h.packets.size()) +
                           " is not a FLAC metadata block");
        }
        if (wanted == 0) {
            return (p[0] & 0x80) != 0;
        }
    }
    return h.packets.size() == wanted;
}

Headers read_headers(SourceReader& reader) {
    const uint64_t size = reader.size();
    Headers h;
    std::size_t wanted = 0;
    Bytes packet;
    bool in_packet = false;
    uint64_t total = 0;
    uint64_t pos = 0;
    for (std::size_t index = 0;; ++index) {
        const std::string where = "header page " + std::to_string(index + 1) + " (offset " +
                                  std::to_string(pos) + ")";
        if (size - pos < ogg::kHeaderSize) {
            if (pos == 0) {
                refuse_unsupported("not an Ogg file");
            }
            refuse_invalid("truncated: the file ends in the header packets");
        }
        if (!ogg::starts_page(reader.view(pos, ogg::kHeaderSize))) {
            if (pos == 0) {
                refuse_unsupported("not an Ogg file (no OggS page at the start)");
            }
            refuse_invalid("no Ogg page where " + where + " should be");
        }
        const std::size_t header_size = ogg::kHeaderSize + reader.view(pos, ogg::kHeaderSize)[26];
        if (size - pos < header_size) {
            refuse_invalid("truncated: " + where + " is cut short");
        }
        const ogg::PageHeader page = *ogg::parse_header(reader.view(pos, header_size));
        if (size - pos < page.size()) {
            refuse_invalid("truncated: " + where + " is cut short");
        }
        const auto bytes = reader.view(pos, page.size());
        if (!ogg::crc_ok(bytes)) {
            refuse_invalid(where + " has a wrong CRC");
        }
        if (index == 0) {
            if ((page.flags & ogg::kFirstPage) == 0) {
                refuse_invalid("the first page does not begin a stream");
            }
            h.serial = page.serial;
            h.first_sequence = page.sequence;
            h.first_granule = page.granule;
        } else if (page.serial != h.serial) {
            refuse_unsupported("multiplexed Ogg streams are not supported (a second logical "
                               "stream starts at offset " + std::to_string(pos) + ")");
        } else if ((page.flags & ogg::kFirstPage) != 0) {
            refuse_invalid(where + " begins the stream a second time");
        }
        if ((page.flags & ogg::kContinued) != 0 && !in_packet) {
            refuse_invalid(where + " continues a packet that never started");
        }
        if ((page.flags & ogg::kContinued) == 0 && in_packet) {
            refuse_invalid(where + " starts while a header packet is unfinished");
        }
        total += page.body_size;
        if (total > kMaxHeaderBytes) {
            refuse_invalid("the header packets take more than " + bytes_text(kMaxHeaderBytes));
        }

        const uint8_t* lacing = bytes.data() + ogg::kHeaderSize;
        const uint8_t* body = bytes.data() + page.header_size;
        const std::size_t lacing_count = page.header_size - ogg::kHeaderSize;
        std::size_t at = 0;
        for (std::size_t i = 0; i < lacing_count; ++i) {
            packet.insert(packet.end(), body + at, body + at + lacing[i]);
            at += lacing[i];
            in_packet = true;
            if (lacing[i] == 255) {
                continue;
            }
            h.packets.push_back(std::move(packet));
            packet.clear();
            in_packet = false;
            if (h.packets.size() == 1) {
                wanted = identify(h.packets.front(), h);
            } else if (headers_complete(h, wanted)) {
                h.pages = index + 1;
                h.last_sequence = page.sequence;
                h.last_eos = (page.flags & ogg::kLastPage) != 0;
                h.end = pos + page.size();
                h.tail_lacing.assign(lacing + i + 1, lacing + lacing_count);
                h.tail_body.assign(body + at, body + page.body_size);
                h.tail_granule = page.granule;
                return h;
            }
        }
        if ((page.flags & ogg::kLastPage) != 0) {
            refuse_invalid("the stream ends in its header packets");
        }
        pos += page.size();
    }
}

// The comment fields of the original (lenient: the packet is being replaced).
std::optional<vorbis_comment::Parsed> parse_comment(const Bytes& packet, std::size_t skip) {
    if (packet.size() < skip) {
        return std::nullopt;
    }
    return vorbis_comment::parse(std::span<const uint8_t>(packet).subspan(skip));
}

// The new header packets.
std::vector<Bytes> new_header_packets(const Headers& h,
                                      const std::vector<vorbis_comment::Field>& tag_fields,
                                      const mfs_picture_list_t* pictures) {
    std::vector<Bytes> out;
    const auto comment_body = [&](const std::optional<vorbis_comment::Parsed>& original) {
        const auto fields =
            vorbis_comment::merge(tag_fields, original ? &*original : nullptr, pictures, true);
        return vorbis_comment::build(
            original ? std::string_view(original->vendor) : std::string_view(kDefaultVendor),
            fields);
    };

    switch (h.codec) {
        case Codec::Vorbis: {
            if (!starts_with(h.packets[1], "\x03vorbis") ||
                !starts_with(h.packets[2], "\x05vorbis")) {
                refuse_invalid("the Vorbis comment or setup header is missing");
            }
            Bytes comment = {0x03, 'v', 'o', 'r', 'b', 'i', 's'};
            format_support::append(comment, comment_body(parse_comment(h.packets[1], 7)));
            comment.push_back(0x01);  // framing bit
            out = {h.packets[0], std::move(comment), h.packets[2]};
            break;
        }
        case Codec::Opus: {
            if (!starts_with(h.packets[1], "OpusTags")) {
                refuse_invalid("the OpusTags header is missing");
            }
            const auto original = parse_comment(h.packets[1], 8);
            Bytes tags = {'O', 'p', 'u', 's', 'T', 'a', 'g', 's'};
            format_support::append(tags, comment_body(original));
            // RFC 7845 5.2: binary data after the comments whose first byte has its low bit set
            // is to be kept; otherwise it is padding.
            if (original && original->complete && !original->trailing.empty() &&
                (original->trailing[0] & 1) != 0) {
                format_support::append(tags, original->trailing);
            }
            out = {h.packets[0], std::move(tags)};
            break;
        }
        case Codec::Flac: {
            std::optional<vorbis_comment::Parsed> original;
            for (std::size_t i = 1; i < h.packets.size(); ++i) {
                if ((h.packets[i][0] & 0x7F) == kFlacVorbisComment) {
                    original = parse_comment(h.packets[i], 4);
                    break;
                }
            }
            const Bytes body = comment_body(original);
            if (body.size() > kMaxFlacBlockLength) {
                refuse_invalid("the tags and pictures take " + bytes_text(body.size()) +
                               "; an Ogg FLAC metadata block holds at most " +
                               bytes_text(kMaxFlacBlockLength));
            }
            // The mapping wants the VORBIS_COMMENT right after the first packet.
            Bytes comment = {kFlacVorbisComment, static_cast<uint8_t>(body.size() >> 16),
                             static_cast<uint8_t>(body.size() >> 8),
                             static_cast<uint8_t>(body.size())};
            format_support::append(comment, body);
            out = {h.packets[0], std::move(comment)};
            for (std::size_t i = 1; i < h.packets.size(); ++i) {
                const uint8_t type = h.packets[i][0] & 0x7F;
                if (type == kFlacVorbisComment || (type == kFlacPicture && pictures != nullptr)) {
                    continue;
                }
                out.push_back(h.packets[i]);
            }
            for (std::size_t i = 1; i < out.size(); ++i) {
                const uint8_t last = i + 1 == out.size() ? 0x80 : 0;
                out[i][0] = static_cast<uint8_t>((out[i][0] & 0x7F) | last);
            }
            if (h.flac_header_count != 0) {
                const std::size_t count = out.size() - 1;
                out[0][7] = static_cast<uint8_t>(count >> 8);
                out[0][8] = static_cast<uint8_t>(count);
            }
            break;
        }
    }
    return out;
}

// Paginates the new header packets: the first alone on the first page, the others spread over
// `target` pages when they fit there, else over as few pages as possible. Appends the pages to
// `out` and returns how many.
std::size_t paginate(const Headers& h, const std::vector<Bytes>& packets, std::size_t target,
                     Bytes& out) {
    uint32_t sequence = h.first_sequence;
    std::size_t pages = 0;
    {
        Bytes lacing(packets[0].size() / 255, 255);
        lacing.push_back(static_cast<uint8_t>(packets[0].size() % 255));
        if (lacing.size() > 255) {
            refuse_invalid("the first header packet does not fit in one page");
        }
        ogg::build_page(out, ogg::kFirstPage, h.first_granule, h.serial, sequence++, lacing,
                        packets[0]);
        ++pages;
    }
    Bytes lacing;
    Bytes body;
    for (std::size_t i = 1; i < packets.size(); ++i) {
        lacing.insert(lacing.end(), packets[i].size() / 255, 255);
        lacing.push_back(static_cast<uint8_t>(packets[i].size() % 255));
        format_support::append(body, packets[i]);
    }
    const std::size_t total = lacing.size();
    const std::size_t fewest = (total + 254) / 255;
    const std::size_t count = target >= fewest && target <= total ? target : fewest;
    const std::size_t base = total / count;
    const std::size_t extra = total % count;
    std::size_t at_lacing = 0;
    std::size_t at_body = 0;
    for (std::size_t p = 0; p < count; ++p) {
        const std::size_t n = base + (p < extra ? 1 : 0);
        const std::span<const uint8_t> page_lacing(lacing.data() + at_lacing, n);
        std::size_t bytes = 0;
        bool packet_ends = false;
        for (const uint8_t v : page_lacing) {
            bytes += v;
            packet_ends = packet_ends || v < 255;
        }
        uint8_t flags = at_lacing > 0 && lacing[at_lacing - 1] == 255 ? ogg::kContinued : 0;
        if (p + 1 == count && h.tail_lacing.empty() && h.last_eos) {
            flags |= ogg::kLastPage;
        }
        ogg::build_page(out, flags, packet_ends ? 0 : ogg::kNoGranule, h.serial, sequence++,
                        page_lacing, std::span<const uint8_t>(body.data() + at_body, bytes));
        at_lacing += n;
        at_body += bytes;
        ++pages;
    }
    if (!h.tail_lacing.empty()) {
        // The audio that shared the last header page, on a page of its own (it starts a packet).
        ogg::build_page(out, static_cast<uint8_t>(h.last_eos ? ogg::kLastPage : 0), h.tail_granule,
                        h.serial, sequence, h.tail_lacing, h.tail_body);
        ++pages;
    }
    return pages;
}

struct Segment {
    bool transformed;
    uint64_t offset;
    uint64_t length;
    uint32_t sequence;
};

// The audio part when the page count changed: each page of the stream becomes a transformed
// segment with its new sequence number; bytes between pages (junk, a cut-off last page) are kept
// as they are.
//
// Where a page is expected (right after the previous one), a well-formed page of this stream is
// renumbered even when its CRC is wrong: it is a damaged page, and the transform keeps it exactly
// as damaged. While resynchronising after junk, only a page with a right CRC ends the junk, so
// that "OggS" inside other data is not taken for a page.
std::vector<Segment> renumbered_audio(SourceReader& reader, const Headers& h, uint32_t delta) {
    reader.set_chunk(kScanChunk);
    const uint64_t size = reader.size();
    std::vector<Segment> out;
    bool ended = h.last_eos;
    uint64_t junk = h.end;  // start of bytes not yet covered
    uint64_t pos = h.end;
    while (pos < size) {
        std::optional<ogg::PageHeader> page;
        bool crc_right = false;
        if (size - pos >= ogg::kHeaderSize &&
            ogg::starts_page(reader.view(pos, ogg::kHeaderSize))) {
            const std::size_t header_size =
                ogg::kHeaderSize + reader.view(pos, ogg::kHeaderSize)[26];
            if (size - pos >= header_size) {
                page = ogg::parse_header(reader.view(pos, header_size));
                if (page && size - pos < page->size()) {
                    page.reset();  // cut off by the end of the file
                }
                crc_right = page && ogg::crc_ok(reader.view(pos, page->size()));
                const bool expected_here = pos == junk;
                if (page && !crc_right && (!expected_here || page->serial != h.serial)) {
                    page.reset();
                }
            }
        }
        if (!page) {
            // Resynchronise at the next "OggS", as demuxers do. The search looks at one page's
            // worth of bytes at a time, so that it stays inside the reader's window.
            const auto len =
                static_cast<std::size_t>(std::min<uint64_t>(size - pos, kMaxPageSize));
            const auto window = reader.view(pos, len);
            static constexpr uint8_t kCapture[] = {'O', 'g', 'g', 'S'};
            const auto found = std::search(window.begin() + 1, window.end(), std::begin(kCapture),
                                           std::end(kCapture));
            if (found != window.end()) {
                pos += static_cast<uint64_t>(found - window.begin());
            } else {
                pos += len > 3 && pos + len < size ? len - 3 : len;
            }
            continue;
        }
        if (page->serial != h.serial) {
            refuse_unsupported("chained or multiplexed Ogg streams are not supported (another "
                               "logical stream at offset " + std::to_string(pos) + ")");
        }
        if (ended) {
            refuse_unsupported("chained Ogg streams are not supported (a page after the end of "
                               "the stream at offset " + std::to_string(pos) + ")");
        }
        if (junk < pos) {
            out.push_back({false, junk, pos - junk, 0});
        }
        out.push_back({true, pos, page->size(), page->sequence + delta});
        ended = (page->flags & ogg::kLastPage) != 0;
        pos += page->size();
        junk = pos;
    }
    if (junk < size) {
        out.push_back({false, junk, size - junk, 0});
    }
    return out;
}

// When the audio is served as one range: refuse files whose first audio page or last page
// belongs to another logical stream (chained or multiplexed files).
void check_single_stream(SourceReader& reader, const Headers& h) {
    const uint64_t size = reader.size();
    if (size - h.end >= ogg::kHeaderSize) {
        const auto first = reader.view(h.end, ogg::kHeaderSize);
        if (ogg::starts_page(first) && format_support::get_le32(first.data() + 14) != h.serial) {
            refuse_unsupported("multiplexed Ogg streams are not supported (another logical "
                               "stream at offset " + std::to_string(h.end) + ")");
        }
    }
    const auto len = static_cast<std::size_t>(std::min<uint64_t>(size - h.end, kMaxPageSize));
    if (len < ogg::kHeaderSize) {
        return;
    }
    const uint64_t start = size - len;
    const auto tail = reader.view(start, len);
    for (std::size_t i = len - ogg::kHeaderSize + 1; i-- > 0;) {
        if (tail[i] != 'O' || !ogg::starts_page(tail.subspan(i))) {
            continue;
        }
        const auto page = ogg::parse_header(tail.subspan(i));
        if (!page || page->size() != len - i || !ogg::crc_ok(tail.subspan(i))) {
            continue;
        }
        if (page->serial != h.serial) {
            refuse_unsupported("chained Ogg streams are not supported (the last page belongs to "
                               "another logical stream)");
        }
        return;
    }
}

int32_t layout(const mfs_format_writer& writer, const mfs_track_source_t& source,
               const mfs_tag_list_t* tags, const mfs_picture_list_t* picture_list,
               const mfs_layout_sink_t& sink) {
    SourceReader reader(source);
    const Headers h = read_headers(reader);

    std::optional<mfs_picture_list_t> pictures;
    if (picture_list != nullptr) {
        pictures = abi_copy(picture_list);
    }
    const auto skipped = [&](std::string_view key) {
        log_message(writer.host, kPluginId, MFS_LOG_DEBUG,
                    {source.path != nullptr ? source.path : "", ": tag '", key,
                     "' cannot be a Vorbis comment field name; left out"});
    };
    const std::vector<Bytes> packets = new_header_packets(
        h, vorbis_comment::fields_from_tags(tags, skipped), pictures ? &*pictures : nullptr);

    // Keep the page count when possible: the same number of pages for the packets after the
    // first, less the page the audio tail needs.
    const std::size_t tail_pages = h.tail_lacing.empty() ? 0 : 1;
    const std::size_t target = h.pages > 1 + tail_pages ? h.pages - 1 - tail_pages : 0;
    Bytes header_pages;
    const std::size_t pages = paginate(h, packets, target, header_pages);
    const uint32_t delta =
        h.first_sequence + static_cast<uint32_t>(pages) - 1U - h.last_sequence;

    std::vector<Segment> audio;
    if (delta == 0) {
        check_single_stream(reader, h);
        audio.push_back({false, h.end, reader.size() - h.end, 0});
    } else {
        audio = renumbered_audio(reader, h, delta);
    }

    const SinkWriter emit(sink);
    emit.literal(header_pages);
    for (const Segment& s : audio) {
        if (s.transformed) {
            emit.transformed(s.offset, s.length, s.sequence);
        } else {
            emit.original(s.offset, s.length);
        }
    }
    log_message(writer.host, kPluginId, MFS_LOG_TRACE,
                {source.path != nullptr ? source.path : "", ": ", codec_name(h.codec), ", ",
                 std::to_string(pages), " header pages for ", std::to_string(h.pages),
                 delta == 0 ? "; audio served as one range" : "; audio pages renumbered"});
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

// `arg` is the page's new sequence number.
int32_t writer_transform(mfs_format_writer_t* /*writer*/, uint64_t arg, const uint8_t* in,
                         uint8_t* out, uint64_t len) noexcept {
    if (in == nullptr || out == nullptr || arg > UINT32_MAX || len > kMaxPageSize) {
        return -EINVAL;
    }
    const std::span<const uint8_t> page(in, static_cast<std::size_t>(len));
    // Not one whole page: the original changed since the layout was made.
    return ogg::renumber(page, out, static_cast<uint32_t>(arg)) ? 0 : -EIO;
}

constexpr const char* kFormats[] = {"vorbis", "opus", "oggflac", nullptr};

const mfs_format_kind_t kFormatKind{
    .struct_size = sizeof(mfs_format_kind_t),
    .formats = kFormats,
    .create = &writer_create,
    .destroy = &writer_destroy,
    .layout = &writer_layout,
    .transform = &writer_transform,
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
    .name = "ogg",
    .version = "0.1.0",
    .description = "Serves Ogg Vorbis, Opus and Ogg FLAC files with the catalog's tags; audio "
                   "pages untouched but for sequence numbers",
    .init = &plugin_init,
    .deinit = &plugin_deinit,
    .get_kind = &plugin_get_kind,
};

}  // namespace
}  // namespace musicfs::format_ogg

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) noexcept {
    return &musicfs::format_ogg::kPlugin;
}
