// TagLib property keys -> Picard tag names (plugins/meta-taglib/tag_names.hpp).
#include "meta-taglib/tag_names.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using musicfs::meta_taglib::PicardTag;
using musicfs::meta_taglib::PicardTags;
using musicfs::meta_taglib::picard_name;
using musicfs::meta_taglib::picard_total_name;
using musicfs::meta_taglib::split_number_total;

namespace {

std::vector<PicardTag> map_one(std::string_view key, const std::vector<std::string>& values) {
    PicardTags tags;
    tags.add(key, values);
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

    TEST_CASE("multi-valued tags keep every value, in order; empty values are dropped") {
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
}
