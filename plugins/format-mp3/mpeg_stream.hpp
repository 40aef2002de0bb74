// Where the audio of an MPEG audio file (MP3, MP2, MP1) is: after the ID3v2 tags at the front,
// from the first MPEG frame on, up to the tags at the end (ID3v1, Enhanced TAG, APEv1/v2,
// Lyrics3 v1/v2, an appended ID3v2 tag with a footer), in any order and number.
#pragma once

#include "id3v2.hpp"
#include "writer_support.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace musicfs::format_mp3 {

// One MPEG audio frame header (4 bytes).
struct FrameHeader {
    int version = 0;            // 1, 2, or 25 for MPEG 2.5
    int layer = 0;              // 1, 2, 3
    std::uint32_t length = 0;   // bytes, header included; 0 for free format
    std::uint8_t b1 = 0, b2 = 0;
};

// The header at `p` (4 bytes) when it is a valid MPEG audio frame header.
[[nodiscard]] std::optional<FrameHeader> parse_frame_header(const std::uint8_t* p) noexcept;

struct FrontTag {
    std::uint64_t offset = 0;
    id3::Id3v2Header header;
};

struct MpegLayout {
    std::vector<FrontTag> front_tags;     // ID3v2 tags before the audio, in order
    std::uint64_t audio_start = 0;        // the first MPEG frame
    std::uint64_t audio_end = 0;          // where the tags at the end begin
    std::vector<std::string> dropped;     // what is left out, for the log
};

// Finds the audio of `source`. Throws id3::Refusal: -ENOTSUP when the file is another format
// (FLAC, RIFF, Ogg, MP4, ...), -EINVAL when it is broken (no MPEG frame found, a tag past the
// end of the file).
[[nodiscard]] MpegLayout locate_audio(const id3::Source& source);

}  // namespace musicfs::format_mp3
