// Vorbis comments as FLAC, Ogg Vorbis, Opus and Ogg FLAC carry them: Picard's tag mapping,
// parsing an original's comment block, building a new one, and FLAC picture blocks (native
// PICTURE blocks and their base64 METADATA_BLOCK_PICTURE form).
#pragma once

#include <musicfs/format.h>
#include <musicfs/track.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace musicfs::vorbis_comment {

// One comment field as stored: "NAME=value" (the name is ASCII, compared case-insensitively).
using Field = std::string;

// The comment fields for `tags` (Picard names, in order), following Picard's Vorbis mapping
// (picard/formats/vorbis.py):
//  - names are upper-cased: "title" -> TITLE, "artists" -> ARTISTS (one field per value);
//  - musicbrainz_recordingid -> MUSICBRAINZ_TRACKID, musicbrainz_trackid ->
//    MUSICBRAINZ_RELEASETRACKID, movement -> MOVEMENTNAME;
//  - totaltracks -> TRACKTOTAL and TOTALTRACKS, totaldiscs -> DISCTOTAL and TOTALDISCS (both
//    spellings, as Picard writes them; readers take either);
//  - "lyrics:<desc>" -> LYRICS; "performer:<role>" and "comment:<desc>" -> PERFORMER / COMMENT
//    with " (<role>)" appended to the value when the role is not empty;
//  - musicip_fingerprint -> FINGERPRINT = "MusicMagic Fingerprint<value>";
//  - movementnumber -> MOVEMENTNUMBER. Picard writes MOVEMENT, which the TagLib reader of this
//    project reads back as "movement"; MOVEMENTNUMBER reads back correctly in both.
// Skipped: Picard-internal names ("~..."), empty values, names a Vorbis comment cannot hold
// (outside ASCII 0x20-0x7D or containing '='; reported through `skipped`) and the picture
// fields (METADATA_BLOCK_PICTURE, COVERART, COVERARTMIME): pictures come from the picture list.
std::vector<Field> fields_from_tags(const mfs_tag_list_t* tags,
                                    const std::function<void(std::string_view)>& skipped);

// Fields that are technical data rather than tags and are kept from the original unless the
// tags set them (WAVEFORMATEXTENSIBLE_CHANNEL_MASK, written by `flac` for the channel layout).
bool is_technical_field(std::string_view field) noexcept;

// Picture fields: METADATA_BLOCK_PICTURE, and the older COVERART / COVERARTMIME pair.
bool is_picture_field(std::string_view field) noexcept;

// An original comment block: the vendor string, then the fields. Parsing is lenient: it stops at
// the first length that does not fit and reports what came before (the block is being replaced;
// only its vendor, pictures and technical fields are carried over).
struct Parsed {
    std::string vendor;
    std::vector<Field> fields;
    // The bytes after the last field (Opus keeps binary data there; Vorbis has the framing bit).
    std::span<const uint8_t> trailing;
    bool complete = false;  // every length fitted
};
std::optional<Parsed> parse(std::span<const uint8_t> data);

// The comment block: vendor, count, fields (no framing bit, no trailing data). Throws a
// Refusal(-EINVAL) when a length does not fit in 32 bits.
std::vector<uint8_t> build(std::string_view vendor, std::span<const Field> fields);

// The fields of the new comment: `tag_fields`, then the original's technical fields the tags do
// not set, then pictures: the original's picture fields when `pictures` is NULL, otherwise one
// METADATA_BLOCK_PICTURE per picture when `pictures_in_comment` (Ogg), none otherwise (native
// FLAC, where pictures are PICTURE blocks).
std::vector<Field> merge(std::vector<Field> tag_fields, const Parsed* original,
                         const mfs_picture_list_t* pictures, bool pictures_in_comment);

// The body of a FLAC PICTURE metadata block for `picture` (type, MIME, description, size, colour
// depth 0 = unknown, data). Throws a Refusal(-EINVAL) for a picture of 4 GiB or more.
std::vector<uint8_t> picture_block(const mfs_picture_t& picture);

// The pictures of a list, each copied with abi_copy; throws a Refusal(-EINVAL) for a picture
// without data.
std::vector<mfs_picture_t> pictures_of(const mfs_picture_list_t& list);

std::string base64(std::span<const uint8_t> data);

// ASCII upper-casing, UTF-8 bytes left alone.
std::string ascii_upper(std::string_view s);

}  // namespace musicfs::vorbis_comment
