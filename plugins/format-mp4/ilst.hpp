// The iTunes metadata list (moov/udta/meta/ilst) built from Picard-named tags, following
// Picard's own MP4 mapping (picard/formats/mp4.py) so that Picard, mutagen and TagLib read back
// the names they were given:
//   - text atoms (©nam, ©ART, aART, ©alb, ©day, ©gen, ©wrt, ©cmt, ©lyr, ©grp, ©too, ©dir, ©wrk,
//     ©mvn, cprt, soar/soaa/sonm/soal/soco/sosn, tvsh, purl), one `data` atom per value;
//   - integers (tmpo, ©mvi, ©mvc) and flags (cpil, pgap, pcst, shwm);
//   - trkn / disk from tracknumber+totaltracks / discnumber+totaldiscs;
//   - freeform `----:com.apple.iTunes:<NAME>` atoms for everything else, under Picard's names
//     ("MusicBrainz Track Id" for musicbrainz_recordingid, "REPLAYGAIN_TRACK_GAIN", ...) or,
//     for a tag Picard has no name for, under the tag's own name;
//   - covr for pictures.
// A value an integer, flag or pair atom cannot hold exactly ("A1" as a track number, "yes" as a
// compilation flag) is written as a freeform atom under its tag's name instead, which Picard
// and mutagen read back unchanged.
#pragma once

#include "atom.hpp"

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace musicfs::format_mp4 {

struct TagView {
    std::string_view key;    // Picard name
    std::string_view value;  // UTF-8
};

struct PictureView {
    std::uint32_t type = 3;  // ID3v2 picture type; MP4 cannot store it, it only orders covr
    std::string_view mime;
    ByteSpan data;
};

// The covr `data` type code for an image: JPEG 13, PNG 14, GIF 12, BMP 27, judged by the
// image's signature first and its MIME type second; 0 ("implicit") when neither is known.
std::uint32_t cover_type_code(std::string_view mime, ByteSpan data) noexcept;

// The children of a new `ilst` (items only, no ilst header), in the order the tags first
// appear, then covr. `pictures` null keeps `original_covr` (the original's whole covr atom,
// possibly empty) as it is; otherwise the pictures replace it, front covers first.
// Empty keys and values are skipped. Throws Refusal(-EFBIG) for an item of 4 GiB or more.
Bytes build_ilst_items(std::span<const TagView> tags, const std::vector<PictureView>* pictures,
                       ByteSpan original_covr);

}  // namespace musicfs::format_mp4
