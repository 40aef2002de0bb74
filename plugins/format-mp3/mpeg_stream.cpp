#include "mpeg_stream.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace musicfs::format_mp3 {
namespace {

using id3::Refusal;

// Reads are few and large: the head in 64 KiB windows, the tail once.
constexpr std::uint64_t kWindow = 64 * 1024;
constexpr std::uint64_t kTail = 512;
// How far past the ID3v2 tags the first frame may lie (junk, padding beyond the tag size).
constexpr std::uint64_t kMaxJunk = 1024 * 1024;
// Lyrics3 v1 holds at most 5100 bytes of lyrics.
constexpr std::uint64_t kLyrics3v1Max = 5100 + 11 + 9;
// A free-format frame (bitrate index 0) is found by the next header like it within this, and
// only so many candidates are tried (junk full of them must not cost 1 MiB x 8 KiB).
constexpr std::uint64_t kMaxFreeFrame = 8 * 1024;
constexpr int kMaxFreeCandidates = 64;
// Files with more tags than this at either end are not music files but traps.
constexpr std::size_t kMaxTags = 64;

constexpr std::array<std::array<std::uint16_t, 16>, 5> kBitrates = {{
    {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448, 0},  // V1 L1
    {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 0},     // V1 L2
    {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0},      // V1 L3
    {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256, 0},     // V2 L1
    {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0},          // V2 L2, L3
}};

constexpr std::array<std::array<std::uint32_t, 3>, 3> kSampleRates = {{
    {44100, 48000, 32000},  // MPEG 1
    {22050, 24000, 16000},  // MPEG 2
    {11025, 12000, 8000},   // MPEG 2.5
}};

// Two headers of one stream agree on version, layer and sample rate.
bool same_stream(const FrameHeader& a, const FrameHeader& b) noexcept {
    return (a.b1 & 0xFEU) == (b.b1 & 0xFEU) && (a.b2 & 0x0CU) == (b.b2 & 0x0CU);
}

bool equals(const std::uint8_t* p, std::string_view s) noexcept {
    return std::memcmp(p, s.data(), s.size()) == 0;
}

// The last bytes of the file, read once; other ranges near the end are read when asked for.
class Tail {
public:
    explicit Tail(const id3::Source& source) : source_(source) {
        const std::uint64_t n = std::min(source.size(), kTail);
        base_ = source.size() - n;
        bytes_ = source.read(base_, n);
    }

    // [offset, offset + len), which the caller keeps inside the file.
    const std::uint8_t* at(std::uint64_t offset, std::uint64_t len) {
        if (offset >= base_) {
            return bytes_.data() + (offset - base_);
        }
        scratch_ = source_.read(offset, len);
        return scratch_.data();
    }

private:
    const id3::Source& source_;
    std::uint64_t base_ = 0;
    std::vector<std::uint8_t> bytes_;
    std::vector<std::uint8_t> scratch_;
};

// Strips the tags at the end of the file down to `lower` (the end of the front tags); returns
// where the audio ends. Each kind of tag is recognised by its footer, so only footers are read.
std::uint64_t strip_end_tags(const id3::Source& source, std::uint64_t lower,
                             std::vector<std::string>& dropped) {
    Tail tail(source);
    std::uint64_t end = source.size();
    for (bool changed = true; changed;) {
        changed = false;
        if (dropped.size() > kMaxTags) {
            throw Refusal(-EINVAL, "more than " + std::to_string(kMaxTags) +
                                       " tags at the end of the file");
        }
        const std::uint64_t room = end - lower;

        if (room >= 128 && equals(tail.at(end - 128, 3), "TAG")) {
            end -= 128;
            dropped.emplace_back("ID3v1");
            changed = true;
            if (end - lower >= 227 && equals(tail.at(end - 227, 4), "TAG+")) {
                end -= 227;
                dropped.emplace_back("Enhanced TAG");
            }
            continue;
        }
        if (room >= 32 && equals(tail.at(end - 32, 8), "APETAGEX")) {
            const std::uint8_t* f = tail.at(end - 32, 32);
            const std::uint32_t version = id3::le32(f + 8);
            const std::uint64_t size = id3::le32(f + 12);
            const std::uint32_t flags = id3::le32(f + 20);
            const bool is_header = (flags & (1U << 29U)) != 0;
            if (!is_header && (version == 1000 || version == 2000) && size >= 32 && size <= room) {
                std::uint64_t start = end - size;
                if ((flags & (1U << 31U)) != 0 && start - lower >= 32 &&
                    equals(tail.at(start - 32, 8), "APETAGEX")) {
                    start -= 32;
                }
                dropped.emplace_back(version == 1000 ? "APEv1" : "APEv2");
                end = start;
                changed = true;
                continue;
            }
        }
        if (room >= 15 && equals(tail.at(end - 9, 9), "LYRICS200")) {
            const std::uint8_t* digits = tail.at(end - 15, 6);
            std::uint64_t size = 0;
            bool ok = true;
            for (int i = 0; i < 6; ++i) {
                ok = ok && digits[i] >= '0' && digits[i] <= '9';
                size = size * 10 + static_cast<std::uint64_t>(digits[i] - '0');
            }
            if (ok && size >= 11 && size + 15 <= room &&
                equals(tail.at(end - 15 - size, 11), "LYRICSBEGIN")) {
                end -= size + 15;
                dropped.emplace_back("Lyrics3v2");
                changed = true;
                continue;
            }
        }
        if (room >= 20 && equals(tail.at(end - 9, 9), "LYRICSEND")) {
            const std::uint64_t span = std::min(room, kLyrics3v1Max);
            const std::vector<std::uint8_t> region = source.read(end - span, span);
            const std::string_view text(reinterpret_cast<const char*>(region.data()), region.size());
            if (const auto at = text.rfind("LYRICSBEGIN"); at != std::string_view::npos) {
                end = end - span + at;
                dropped.emplace_back("Lyrics3v1");
                changed = true;
                continue;
            }
        }
        if (room >= 20 && equals(tail.at(end - 10, 3), "3DI")) {
            std::array<std::uint8_t, 10> footer{};
            std::memcpy(footer.data(), tail.at(end - 10, 10), 10);
            footer[0] = 'I';
            footer[1] = 'D';
            footer[2] = '3';
            const auto h = id3::parse_id3v2_header(footer.data());
            if (h && h->major == 4 && h->body + 20 <= room &&
                equals(tail.at(end - 20 - h->body, 3), "ID3")) {
                end -= h->body + 20;
                dropped.emplace_back("appended ID3v2");
                changed = true;
                continue;
            }
        }
    }
    return end;
}

std::string_view other_format(const std::uint8_t* p, std::uint64_t n) {
    if (n < 12) {
        return {};
    }
    if (equals(p, "fLaC")) {
        return "FLAC";
    }
    if (equals(p, "RIFF") || equals(p, "RF64") || equals(p, "BW64")) {
        return "RIFF (WAV)";
    }
    if (equals(p, "FORM")) {
        return "IFF (AIFF)";
    }
    if (equals(p, "OggS")) {
        return "Ogg";
    }
    if (equals(p + 4, "ftyp")) {
        return "MP4";
    }
    if (equals(p, "MAC ")) {
        return "Monkey's Audio";
    }
    if (equals(p, "wvpk")) {
        return "WavPack";
    }
    if (equals(p, "MPCK") || equals(p, "MP+")) {
        return "Musepack";
    }
    if (equals(p, "TTA1")) {
        return "TrueAudio";
    }
    return {};
}

// The first offset in [from, end) where a frame starts that is followed by another frame of the
// same stream (or ends exactly at `end`), as TagLib and mutagen look for it.
std::optional<std::uint64_t> first_frame(id3::Window& window, std::uint64_t from,
                                         std::uint64_t end) {
    const std::uint64_t limit = std::min(end, from + kMaxJunk);
    int free_candidates = 0;
    for (std::uint64_t pos = from; pos + 4 <= limit; ++pos) {
        const std::uint8_t* p = window.at(pos, 4);
        if (p == nullptr) {
            return std::nullopt;
        }
        if (p[0] != 0xFF) {
            continue;
        }
        const auto h = parse_frame_header(p);
        if (!h) {
            continue;
        }
        if (h->length == 0) {
            if (++free_candidates > kMaxFreeCandidates) {
                continue;
            }
            // Free format: the next header of the same stream gives the frame length.
            const std::uint64_t span = std::min(end - pos, kMaxFreeFrame);
            const std::uint8_t* q = window.at(pos, span);
            for (std::uint64_t k = 4; q != nullptr && k + 4 <= span; ++k) {
                if (q[k] == 0xFF) {
                    const auto next = parse_frame_header(q + k);
                    if (next && next->length == 0 && same_stream(*h, *next)) {
                        return pos;
                    }
                }
            }
            continue;
        }
        const std::uint64_t next = pos + h->length;
        if (next == end) {
            return pos;
        }
        if (next + 4 > end) {
            continue;
        }
        const std::uint8_t* both = window.at(pos, next + 4 - pos);
        if (both == nullptr) {
            continue;
        }
        const auto h2 = parse_frame_header(both + h->length);
        if (h2 && same_stream(*h, *h2)) {
            return pos;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<FrameHeader> parse_frame_header(const std::uint8_t* p) noexcept {
    if (p[0] != 0xFF || (p[1] & 0xE0U) != 0xE0U) {
        return std::nullopt;
    }
    const unsigned version_bits = (p[1] >> 3U) & 3U;
    const unsigned layer_bits = (p[1] >> 1U) & 3U;
    const unsigned bitrate_index = p[2] >> 4U;
    const unsigned rate_index = (p[2] >> 2U) & 3U;
    const unsigned padding = (p[2] >> 1U) & 1U;
    if (version_bits == 1 || layer_bits == 0 || bitrate_index == 15 || rate_index == 3 ||
        (p[3] & 3U) == 2) {
        return std::nullopt;
    }
    FrameHeader h;
    h.version = version_bits == 3 ? 1 : version_bits == 2 ? 2 : 25;
    h.layer = static_cast<int>(4 - layer_bits);
    h.b1 = p[1];
    h.b2 = p[2];
    const std::size_t table = h.version == 1 ? static_cast<std::size_t>(h.layer - 1)
                                             : (h.layer == 1 ? 3 : 4);
    const std::uint32_t bitrate = kBitrates[table][bitrate_index] * 1000U;
    const std::uint32_t rate =
        kSampleRates[h.version == 1 ? 0 : h.version == 2 ? 1 : 2][rate_index];
    if (bitrate == 0) {
        h.length = 0;  // free format
    } else if (h.layer == 1) {
        h.length = (12 * bitrate / rate + padding) * 4;
    } else if (h.layer == 3 && h.version != 1) {
        h.length = 72 * bitrate / rate + padding;
    } else {
        h.length = 144 * bitrate / rate + padding;
    }
    return h;
}

MpegLayout locate_audio(const id3::Source& source) {
    MpegLayout layout;
    const std::uint64_t size = source.size();
    id3::Window window(source, kWindow);

    // ID3v2 tags at the front, possibly several, possibly with zero padding past their size.
    std::uint64_t pos = 0;
    while (const std::uint8_t* p = window.at(pos, 10)) {
        const auto header = id3::parse_id3v2_header(p);
        if (!header) {
            break;
        }
        if (header->total > size - pos) {
            throw Refusal(-EINVAL, "the ID3v2 tag at byte " + std::to_string(pos) +
                                       " runs past the end of the file");
        }
        if (layout.front_tags.size() == kMaxTags) {
            throw Refusal(-EINVAL, "more than " + std::to_string(kMaxTags) +
                                       " ID3v2 tags at the front of the file");
        }
        layout.front_tags.push_back({pos, *header});
        pos += header->total;
        std::uint64_t zeros = pos;
        while (zeros - pos < kWindow) {
            const std::uint8_t* z = window.at(zeros, 1);
            if (z == nullptr || *z != 0) {
                break;
            }
            ++zeros;
        }
        if (const std::uint8_t* next = window.at(zeros, 10); next && id3::parse_id3v2_header(next)) {
            pos = zeros;
        }
    }
    if (layout.front_tags.size() > 1) {
        layout.dropped.emplace_back(std::to_string(layout.front_tags.size()) + " ID3v2 tags");
    } else if (layout.front_tags.size() == 1) {
        layout.dropped.emplace_back("ID3v2." + std::to_string(layout.front_tags[0].header.major));
    }

    if (const std::uint8_t* p = window.at(pos, 12)) {
        if (const auto other = other_format(p, 12); !other.empty()) {
            throw Refusal(-ENOTSUP, "this is a " + std::string(other) + " file, not MPEG audio");
        }
    }

    layout.audio_end = strip_end_tags(source, pos, layout.dropped);
    const auto start = first_frame(window, pos, layout.audio_end);
    if (!start) {
        throw Refusal(-EINVAL, "no MPEG audio frame found" +
                                   std::string(pos > 0 ? " after the ID3v2 tag" : ""));
    }
    if (*start > pos) {
        layout.dropped.emplace_back(std::to_string(*start - pos) + " bytes before the first frame");
    }
    layout.audio_start = *start;
    return layout;
}

}  // namespace musicfs::format_mp3
