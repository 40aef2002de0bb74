// ID3v2: building a new tag from Picard-named tags and pictures, and reading what a writer
// keeps from an original tag (its pictures).
//
// Where each Picard name goes follows Picard's ID3 mapping (picard/formats/id3.py) so that
// Picard and mutagen read the tag back under the same names, with the changes TagLib needs
// to read it back too (it is the reading side of MusicFS, plugins/meta-taglib):
//  - arranger, engineer, producer, djmixer and mixer go to TXXX frames named like the tag:
//    Picard writes them as TIPL roles in lower case, which TagLib ignores (it only knows the
//    roles in upper case, which Picard in turn reads as performers);
//  - in ID3v2.3, performer:<instrument> goes to TXXX:performer:<instrument> (TagLib does not
//    read IPLS, the only v2.3 place for it);
//  - totaltracks, totaldiscs and movementtotal without their number go to TXXX frames.
// docs/formats.md lists the whole mapping and its limits.
#pragma once

#include "writer_support.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace musicfs::id3 {

struct Id3v2Options {
    int version = 4;  // 3 or 4
};

// A complete ID3v2 tag (header and frames, no padding, no unsynchronisation) carrying `tags`
// and `pictures`, or an empty Blob when both are empty (a tag must hold at least one frame).
// Throws Refusal(-EFBIG) when they do not fit an ID3v2 tag (256 MiB).
[[nodiscard]] Blob build_id3v2(const TagValues& tags, const std::vector<PictureData>& pictures,
                               const Id3v2Options& options);

// The header of an ID3v2 tag at `p` (10 bytes available).
struct Id3v2Header {
    int major = 0;               // 2, 3 or 4
    std::uint8_t flags = 0;
    std::uint64_t body = 0;      // bytes after the header, without the v2.4 footer
    std::uint64_t total = 0;     // header + body + footer
};
[[nodiscard]] std::optional<Id3v2Header> parse_id3v2_header(const std::uint8_t* p) noexcept;

// The pictures (APIC, or PIC in v2.2) of the ID3v2 tag in `tag` (its complete bytes), which
// starts at `file_offset` in the original. A picture whose bytes sit unchanged in the original
// refers to them (Part::Kind::Original); unsynchronised or compressed ones are decoded.
// Encrypted frames and frames that do not parse are skipped; `skipped` counts them.
[[nodiscard]] std::vector<PictureData> read_id3v2_pictures(const std::uint8_t* tag,
                                                           std::uint64_t size,
                                                           std::uint64_t file_offset,
                                                           int& skipped);

// A 128-byte ID3v1.1 tag with what of `tags` fits (title, artist, album, year, track, genre),
// in ISO-8859-1, cut to the field sizes. The comment field stays empty (see build_id3v1).
[[nodiscard]] std::string build_id3v1(const TagValues& tags);

}  // namespace musicfs::id3
