// Mapping from TagLib's unified property keys (TagLib::PropertyMap) to MusicBrainz Picard's
// internal tag names, which is what the metadata ABI speaks (see musicfs/metadata.h).
//
// Pure functions over the standard library only: the unit tests compile this file without
// TagLib.
#pragma once

#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace musicfs::meta_taglib {

// A track or disc position as stored in the common "3/12" spelling, split into its parts.
// Either part may be empty.
struct NumberAndTotal {
    std::string number;
    std::string total;
};

// Splits "3/12" into {"3", "12"} at the first '/', trimming ASCII whitespace around each part:
// "3" -> {"3", ""}, "/12" -> {"", "12"}, " 3 / 12 " -> {"3", "12"}, "" -> {"", ""}.
// Parts are not checked for being numeric ("A1" stays "A1", as on vinyl).
[[nodiscard]] NumberAndTotal split_number_total(std::string_view value);

// The Picard name for a TagLib property key (any case): a few keys are renamed
// ("MUSICBRAINZ_TRACKID" -> "musicbrainz_recordingid", "TRACKTOTAL" -> "totaltracks",
// "INITIALKEY" -> "key", ...); every other key is just lower-cased (ASCII only, so UTF-8 in
// ID3 TXXX descriptions passes through).
[[nodiscard]] std::string picard_name(std::string_view taglib_key);

// For keys whose values pack a total ("TRACKNUMBER" = "3/12"), the Picard name that receives
// the total ("totaltracks"); empty for every other key.
[[nodiscard]] std::string_view picard_total_name(std::string_view taglib_key);

// For an ID3v2 text frame that TagLib 1.13 does not map into its PropertyMap (TSST), the
// TagLib-style key it would have ("DISCSUBTITLE"); empty for every other frame id.
[[nodiscard]] std::string_view id3v2_text_frame_key(std::string_view frame_id);

// One tag value under its Picard name.
struct PicardTag {
    std::string key;
    std::string value;

    friend bool operator==(const PicardTag&, const PicardTag&) = default;
};

// Collects the tags of one file in Picard terms, in the order the properties are added.
//  - Empty keys and empty values are dropped.
//  - "3/12"-style values of TRACKNUMBER, DISCNUMBER and MOVEMENTNUMBER are split into the
//    number and the matching total.
//  - A value already reported under the same Picard name is not reported again: files often
//    carry the same total twice (Picard itself writes both TRACKTOTAL and TOTALTRACKS, and the
//    total may also sit in TRACKNUMBER as "3/12").
class PicardTags {
public:
    void add(std::string_view taglib_key, std::span<const std::string> values);

    // An MP4 item that TagLib 1.13 leaves out of its PropertyMap (it lists it in
    // unsupportedData()), named as TagLib names items (UTF-8):
    //  - "----:com.apple.iTunes:NAME" freeform atoms, matched without regard to case: Picard's
    //    names for its MP4 freeform atoms ("MusicBrainz Disc Id" -> "musicbrainz_discid",
    //    "Acoustid Id" -> "acoustid_id", ...), "fingerprint" values starting with
    //    "MusicMagic Fingerprint" as "musicip_fingerprint" without that prefix, and any other
    //    NAME as add(NAME) names it ("REPLAYGAIN_TRACK_GAIN" -> "replaygain_track_gain", custom
    //    names lower-cased);
    //  - "©dir" as "director".
    // Other items (freeform atoms of other vendors, binary atoms) are ignored, as Picard does.
    void add_mp4_item(std::string_view atom, std::span<const std::string> values);

    // An ID3v2 involved-people frame, TIPL or TMCL (IPLS, ID3v2.3's, arrives as TIPL), read as
    // Picard reads it: `fields` alternate role and name. TIPL's roles arranger, engineer,
    // producer, DJ-mix and mix (any case: Picard writes them in lower case, TagLib in upper
    // case) are "arranger", "engineer", "producer", "djmixer" and "mixer"; any other role, and
    // every TMCL instrument, is "performer:<role>" (lower-cased, as TagLib's TMCL keys are), and
    // an empty role "performer". Names are kept whole (TagLib 1.13 splits them at commas). An
    // odd last field, a role without a name, is dropped.
    void add_id3v2_people(std::string_view frame_id, std::span<const std::string> fields);

    [[nodiscard]] const std::vector<PicardTag>& tags() const noexcept { return tags_; }

private:
    void push(std::string key, std::string value);

    std::vector<PicardTag> tags_;
    std::set<std::pair<std::string, std::string>> seen_;  // (key, value) of every entry in tags_
};

}  // namespace musicfs::meta_taglib
