// TagLib property keys -> Picard tag names (plugins/meta-taglib/tag_names.hpp).
#include "meta-taglib/tag_names.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using musicfs::meta_taglib::PicardTag;
using musicfs::meta_taglib::PicardTags;
using musicfs::meta_taglib::id3v2_text_frame_key;
using musicfs::meta_taglib::picard_name;
using musicfs::meta_taglib::picard_total_name;
using musicfs::meta_taglib::split_number_total;

namespace {

std::vector<PicardTag> map_one(std::string_view key, const std::vector<std::string>& values) {
    PicardTags tags;
    tags.add(key, values);
    return tags.tags();
}

std::vector<PicardTag> mp4_item(std::string_view atom, const std::vector<std::string>& values) {
    PicardTags tags;
    tags.add_mp4_item(atom, values);
    return tags.tags();
}

std::vector<PicardTag> people(std::string_view frame_id, const std::vector<std::string>& fields) {
    PicardTags tags;
    tags.add_id3v2_people(frame_id, fields);
    return tags.tags();
}

}  // namespace

TEST_SUITE("meta-taglib tag names") {
    TEST_CASE("split_number_total splits at the slash and trims each part") {
        struct Case {
            const char* value;
            const char* number;
            const char* total;
        };
        const Case cases[] = {
            {"3/12", "3", "12"}, {"3", "3", ""},       {"", "", ""},           {"/12", "", "12"},
            {" 3 / 12 ", "3", "12"}, {"3/", "3", ""},  {"A1", "A1", ""},       {"\t07\t", "07", ""},
            {"1/2/3", "1", "2/3"},
        };
        for (const Case& c : cases) {
            CAPTURE(c.value);
            const auto split = split_number_total(c.value);
            CHECK(split.number == c.number);
            CHECK(split.total == c.total);
        }
    }

    TEST_CASE("keys Picard names differently are renamed") {
        CHECK(picard_name("MUSICBRAINZ_TRACKID") == "musicbrainz_recordingid");
        CHECK(picard_name("MUSICBRAINZ_RELEASETRACKID") == "musicbrainz_trackid");
        CHECK(picard_name("TRACKTOTAL") == "totaltracks");
        CHECK(picard_name("TOTALTRACKS") == "totaltracks");
        CHECK(picard_name("DISCTOTAL") == "totaldiscs");
        CHECK(picard_name("TOTALDISCS") == "totaldiscs");
        CHECK(picard_name("INITIALKEY") == "key");
        CHECK(picard_name("ENCODING") == "encodersettings");
        CHECK(picard_name("ARTISTWEBPAGE") == "website");
        CHECK(picard_name("COPYRIGHTURL") == "license");
        CHECK(picard_name("MOVEMENTNAME") == "movement");
        CHECK(picard_name("MOVEMENTCOUNT") == "movementtotal");
        CHECK(picard_name("SHOWWORKMOVEMENT") == "showmovement");
        CHECK(picard_name("GAPLESSPLAYBACK") == "gapless");
        CHECK(picard_name("TVSHOW") == "show");
        CHECK(picard_name("ALBUM ARTIST") == "albumartist");
        CHECK(picard_name("MUSICBRAINZ_ALBUMSTATUS") == "releasestatus");
        CHECK(picard_name("MUSICBRAINZ_ALBUMTYPE") == "releasetype");
    }

    TEST_CASE("ID3v2 TXXX descriptions TagLib leaves untranslated get Picard names") {
        CHECK(picard_name("MUSICBRAINZ DISC ID") == "musicbrainz_discid");
        CHECK(picard_name("MUSICBRAINZ ORIGINAL ALBUM ID") == "musicbrainz_originalalbumid");
        CHECK(picard_name("MUSICBRAINZ ORIGINAL ARTIST ID") == "musicbrainz_originalartistid");
        CHECK(picard_name("MUSICBRAINZ TRM ID") == "musicbrainz_trmid");
        CHECK(picard_name("MUSICIP FINGERPRINT") == "musicip_fingerprint");
        CHECK(picard_name("MUSICMAGIC FINGERPRINT") == "musicip_fingerprint");
    }

    TEST_CASE("keys that already are Picard names are lower-cased") {
        const char* const same[][2] = {
            {"MUSICBRAINZ_ALBUMID", "musicbrainz_albumid"},
            {"MUSICBRAINZ_ARTISTID", "musicbrainz_artistid"},
            {"MUSICBRAINZ_ALBUMARTISTID", "musicbrainz_albumartistid"},
            {"MUSICBRAINZ_RELEASEGROUPID", "musicbrainz_releasegroupid"},
            {"MUSICBRAINZ_WORKID", "musicbrainz_workid"},
            {"MUSICBRAINZ_DISCID", "musicbrainz_discid"},
            {"ACOUSTID_ID", "acoustid_id"},
            {"RELEASECOUNTRY", "releasecountry"},
            {"ALBUMARTISTSORT", "albumartistsort"},
            {"ENCODEDBY", "encodedby"},
            {"ORIGINALDATE", "originaldate"},
            {"RELEASEDATE", "releasedate"},
            {"COMPILATION", "compilation"},
            {"MEDIA", "media"},
            {"LABEL", "label"},
            {"CATALOGNUMBER", "catalognumber"},
            {"BARCODE", "barcode"},
            {"ASIN", "asin"},
            {"ISRC", "isrc"},
            {"LYRICS", "lyrics"},
            {"COMMENT", "comment"},
            {"BPM", "bpm"},
            {"MOOD", "mood"},
            {"REPLAYGAIN_TRACK_GAIN", "replaygain_track_gain"},
            {"ARTISTS", "artists"},
            {"PERFORMER:GUITAR", "performer:guitar"},
        };
        for (const auto& [key, name] : same) {
            CAPTURE(key);
            CHECK(picard_name(key) == name);
        }
    }

    TEST_CASE("unknown keys are lower-cased, ASCII only") {
        CHECK(picard_name("SOME_CUSTOM_FIELD") == "some_custom_field");
        CHECK(picard_name("Mixed Case Key") == "mixed case key");
        CHECK(picard_name("already_lower") == "already_lower");
        // UTF-8 in a TXXX description passes through byte for byte.
        CHECK(picard_name("\xC3\x84HNLICH") == "\xC3\x84hnlich");
        CHECK(picard_name("") == "");
    }

    TEST_CASE("renaming does not depend on the case of the TagLib key") {
        CHECK(picard_name("musicbrainz_trackid") == "musicbrainz_recordingid");
        CHECK(picard_name("TrackTotal") == "totaltracks");
    }

    TEST_CASE("only number/total keys have a total name") {
        CHECK(picard_total_name("TRACKNUMBER") == "totaltracks");
        CHECK(picard_total_name("DISCNUMBER") == "totaldiscs");
        CHECK(picard_total_name("MOVEMENTNUMBER") == "movementtotal");
        CHECK(picard_total_name("tracknumber") == "totaltracks");
        CHECK(picard_total_name("TRACKTOTAL").empty());
        CHECK(picard_total_name("TITLE").empty());
    }

    TEST_CASE("TRACKNUMBER and DISCNUMBER are split into number and total") {
        CHECK(map_one("TRACKNUMBER", {"3/12"}) ==
              std::vector<PicardTag>{{"tracknumber", "3"}, {"totaltracks", "12"}});
        CHECK(map_one("DISCNUMBER", {"1/2"}) ==
              std::vector<PicardTag>{{"discnumber", "1"}, {"totaldiscs", "2"}});
        CHECK(map_one("TRACKNUMBER", {"3"}) == std::vector<PicardTag>{{"tracknumber", "3"}});
        CHECK(map_one("TRACKNUMBER", {" 3 / 12 "}) ==
              std::vector<PicardTag>{{"tracknumber", "3"}, {"totaltracks", "12"}});
        CHECK(map_one("TRACKNUMBER", {"/12"}) == std::vector<PicardTag>{{"totaltracks", "12"}});
        CHECK(map_one("TRACKNUMBER", {""}).empty());
        CHECK(map_one("MOVEMENTNUMBER", {"2/4"}) ==
              std::vector<PicardTag>{{"movementnumber", "2"}, {"movementtotal", "4"}});
    }

    TEST_CASE("multi-valued tags keep every value in order, and empty values are dropped") {
        CHECK(map_one("ARTISTS", {"Alice", "", "Bob", "Carol"}) ==
              std::vector<PicardTag>{
                  {"artists", "Alice"}, {"artists", "Bob"}, {"artists", "Carol"}});
        CHECK(map_one("TITLE", {""}).empty());
        CHECK(map_one("TITLE", {}).empty());
    }

    TEST_CASE("empty keys are dropped") {
        CHECK(map_one("", {"value"}).empty());
    }

    TEST_CASE("a total given twice is reported once") {
        // Picard writes both TOTALTRACKS and TRACKTOTAL; TRACKNUMBER may carry it as well.
        // PropertyMap iterates in key order, as here.
        PicardTags tags;
        tags.add("TOTALTRACKS", std::vector<std::string>{"12"});
        tags.add("TRACKNUMBER", std::vector<std::string>{"3/12"});
        tags.add("TRACKTOTAL", std::vector<std::string>{"12"});
        CHECK(tags.tags() == std::vector<PicardTag>{{"totaltracks", "12"}, {"tracknumber", "3"}});
    }

    TEST_CASE("conflicting totals are both reported") {
        PicardTags tags;
        tags.add("TRACKNUMBER", std::vector<std::string>{"3/12"});
        tags.add("TRACKTOTAL", std::vector<std::string>{"13"});
        CHECK(tags.tags() == std::vector<PicardTag>{{"tracknumber", "3"}, {"totaltracks", "12"},
                                                    {"totaltracks", "13"}});
    }

    TEST_CASE("the recording id and the release track id do not collide") {
        PicardTags tags;
        tags.add("MUSICBRAINZ_RELEASETRACKID", std::vector<std::string>{"track-uuid"});
        tags.add("MUSICBRAINZ_TRACKID", std::vector<std::string>{"recording-uuid"});
        CHECK(tags.tags() == std::vector<PicardTag>{{"musicbrainz_trackid", "track-uuid"},
                                                    {"musicbrainz_recordingid", "recording-uuid"}});
    }

    TEST_CASE("MP4 ReplayGain and custom freeform atoms TagLib does not map are read") {
        const char* const cases[][2] = {
            {"REPLAYGAIN_TRACK_GAIN", "replaygain_track_gain"},
            {"REPLAYGAIN_TRACK_PEAK", "replaygain_track_peak"},
            {"REPLAYGAIN_ALBUM_GAIN", "replaygain_album_gain"},
            {"REPLAYGAIN_ALBUM_PEAK", "replaygain_album_peak"},
            {"replaygain_reference_loudness", "replaygain_reference_loudness"},
            {"My Custom Tag", "my custom tag"},
            {"producer", "producer"},  // TagLib maps only "PRODUCER"
            {"initialkey", "key"},
            {"TOTALTRACKS", "totaltracks"},
        };
        for (const auto& c : cases) {
            CAPTURE(c[0]);
            CHECK(mp4_item(std::string("----:com.apple.iTunes:") + c[0], {"v1", "v2"}) ==
                  std::vector<PicardTag>{{c[1], "v1"}, {c[1], "v2"}});
        }
    }

    TEST_CASE("MP4 freeform atoms with Picard names get them in any case") {
        const char* const cases[][2] = {
            {"MusicBrainz Disc Id", "musicbrainz_discid"},
            {"MusicBrainz Original Album Id", "musicbrainz_originalalbumid"},
            {"MusicBrainz Original Artist Id", "musicbrainz_originalartistid"},
            {"Acoustid Id", "acoustid_id"},
            {"Acoustid Fingerprint", "acoustid_fingerprint"},
            {"MusicIP PUID", "musicip_puid"},
            {"MUSICBRAINZ TRACK ID", "musicbrainz_recordingid"},
            {"musicbrainz release track id", "musicbrainz_trackid"},
            {"MusicBrainz ALBUM Id", "musicbrainz_albumid"},
            {"MusicBrainz Album Release Country", "releasecountry"},
        };
        for (const auto& c : cases) {
            CAPTURE(c[0]);
            CHECK(mp4_item(std::string("----:com.apple.iTunes:") + c[0], {"x"}) ==
                  std::vector<PicardTag>{{c[1], "x"}});
        }
    }

    TEST_CASE("MP4 fingerprint is musicip_fingerprint without Picard's prefix") {
        CHECK(mp4_item("----:com.apple.iTunes:fingerprint", {"MusicMagic Fingerprintabc"}) ==
              std::vector<PicardTag>{{"musicip_fingerprint", "abc"}});
        CHECK(mp4_item("----:com.apple.iTunes:fingerprint", {"other"}) ==
              std::vector<PicardTag>{{"fingerprint", "other"}});
    }

    TEST_CASE("MP4 ©dir is the director, other vendors' atoms are ignored") {
        CHECK(mp4_item("\xC2\xA9" "dir", {"Someone"}) ==
              std::vector<PicardTag>{{"director", "Someone"}});
        CHECK(mp4_item("----:org.example:Other", {"x"}).empty());
        CHECK(mp4_item("\xC2\xA9" "xyz", {"x"}).empty());
        CHECK(mp4_item("----:com.apple.iTunes:", {"x"}).empty());
        CHECK(mp4_item("----:com.apple.iTunes:EMPTY", {""}).empty());
    }

    TEST_CASE("TIPL roles get Picard names in any case, other roles are performers") {
        CHECK(people("TIPL", {"producer", "P", "mix", "M", "DJ-mix", "D", "arranger", "A",
                              "engineer", "E"}) ==
              std::vector<PicardTag>{{"producer", "P"}, {"mixer", "M"}, {"djmixer", "D"},
                                     {"arranger", "A"}, {"engineer", "E"}});
        CHECK(people("TIPL", {"PRODUCER", "P", "MIX", "M", "DJ-MIX", "D"}) ==
              std::vector<PicardTag>{{"producer", "P"}, {"mixer", "M"}, {"djmixer", "D"}});
        CHECK(people("TIPL", {"guitar", "G", "", "X", "performer", "Y"}) ==
              std::vector<PicardTag>{{"performer:guitar", "G"}, {"performer", "X"},
                                     {"performer", "Y"}});
    }

    TEST_CASE("TMCL instruments are performers, names are kept whole") {
        CHECK(people("TMCL", {"Lead Vocals", "Crosby, Stills & Nash", "producer", "P"}) ==
              std::vector<PicardTag>{{"performer:lead vocals", "Crosby, Stills & Nash"},
                                     {"performer:producer", "P"}});
    }

    TEST_CASE("a role without a name and empty names are dropped") {
        CHECK(people("TIPL", {"producer", "P", "mix"}) ==
              std::vector<PicardTag>{{"producer", "P"}});
        CHECK(people("TIPL", {"producer", ""}).empty());
    }

    TEST_CASE("ID3v2 TSST is the disc subtitle, frames TagLib maps have no key here") {
        CHECK(id3v2_text_frame_key("TSST") == "DISCSUBTITLE");
        CHECK(picard_name(id3v2_text_frame_key("TSST")) == "discsubtitle");
        CHECK(id3v2_text_frame_key("TIT2").empty());
        CHECK(id3v2_text_frame_key("TXXX").empty());
    }
}
