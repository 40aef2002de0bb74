#include "vfs/fields.hpp"
#include "vfs/query.hpp"

#include <doctest/doctest.h>

using namespace musicfs;
using namespace musicfs::vfs;

namespace {
TrackData track(catalog::TagList tags, std::string path = "dir/file.flac", std::string format = "flac") {
    TrackData t;
    t.track_id = 7;
    t.path = std::move(path);
    t.tags = std::move(tags);
    t.audio.format = std::move(format);
    t.audio.duration_ms = 187'400;
    t.audio.bitrate_kbps = 912;
    t.audio.sample_rate = 44100;
    t.audio.channels = 2;
    t.audio.bits_per_sample = 16;
    return t;
}
std::string fmt(const TrackData& t, std::string_view name, const AlbumRef* album = nullptr) {
    return TrackFields(t, album).formatted(name).value_or("<unknown>");
}
}  // namespace

TEST_CASE("fields are formatted as beets formats them for paths") {
    const auto t = track({{"title", "Either/Or"}, {"artist", "A"}, {"tracknumber", "7"},
                          {"totaltracks", "12"}, {"discnumber", "1"}, {"date", "1999-03-01"},
                          {"compilation", "1"}, {"artists", "X"}, {"artists", "Y"},
                          {"bpm", "120.5"}, {"genre", "Jazz"}});
    CHECK(fmt(t, "title") == "Either_Or");  // a value never adds a directory
    CHECK(fmt(t, "track") == "07");
    CHECK(fmt(t, "tracktotal") == "12");
    CHECK(fmt(t, "disc") == "01");
    CHECK(fmt(t, "disctotal") == "00");  // absent padded numbers are zeros, as in beets
    CHECK(fmt(t, "year") == "1999");
    CHECK(fmt(t, "month") == "03");
    CHECK(fmt(t, "day") == "01");
    CHECK(fmt(t, "original_year") == "0000");
    CHECK(fmt(t, "comp") == "True");
    CHECK(fmt(t, "singleton") == "True");
    CHECK(fmt(t, "bpm") == "120");
    CHECK(fmt(t, "format") == "FLAC");
    CHECK(fmt(t, "length") == "3_07");  // beets: "X:" at the start looks like a drive
    CHECK(fmt(t, "bitrate") == "912kbps");
    CHECK(fmt(t, "samplerate") == "44kHz");
    CHECK(fmt(t, "bitdepth") == "16");
    CHECK(fmt(t, "channels") == "2");
    CHECK(fmt(t, "artists") == "X; Y");  // multi-valued: joined
    CHECK(fmt(t, "albumtype") == "");     // a beets field without a value
    CHECK(fmt(t, "label") == "");
    CHECK(fmt(t, "nosuchfield") == "<unknown>");  // neither a beets field nor a tag
    CHECK(fmt(t, "date") == "1999-03-01");        // a tag by its Picard name
    CHECK(fmt(track({}), "year") == "0000");
    CHECK(fmt(track({}), "track") == "00");
    CHECK(fmt(track({{"tracknumber", "A1"}}), "track") == "00");
    CHECK(fmt(track({{"title", "C:drive"}}), "title") == "C_drive");
    CHECK(fmt(track({}, "a/b/untitled track.Flac"), "filename") == "untitled track");
    CHECK(fmt(track({}, "a/b/untitled track.Flac"), "title") == "untitled track");
    CHECK(TrackFields(track({}), nullptr).raw("title") == "");  // queries see the empty tag
}

TEST_CASE("format names follow beets (mediafile)") {
    const std::pair<const char*, const char*> names[] = {
        {"flac", "FLAC"}, {"mp3", "MP3"},   {"aac", "AAC"},   {"alac", "ALAC"}, {"vorbis", "OGG"},
        {"opus", "Opus"}, {"wav", "WAVE"},  {"aiff", "AIFF"}, {"wavpack", "WavPack"},
        {"ape", "APE"},   {"mpc", "Musepack"}, {"asf", "Windows Media"}, {"dsf", "DSD Stream File"},
    };
    for (const auto& [catalog_name, beets_name] : names) CHECK(beets_format_name(catalog_name) == beets_name);
}

TEST_CASE("artist and albumartist fall back to each other, and album fields come from the album") {
    const auto a = track({{"artist", "Solo"}});
    CHECK(fmt(a, "albumartist") == "Solo");
    const auto b = track({{"albumartist", "Band"}});
    CHECK(fmt(b, "artist") == "Band");
    CHECK(fmt(track({}), "artist") == "");

    const auto first = track({{"album", "LP"}, {"date", "2001"}, {"genre", "Rock"}, {"title", "One"}});
    const auto second = track({{"album", "LP"}, {"date", "2002"}, {"genre", "Pop"}, {"title", "Two"}});
    const AlbumRef album{3, &first};
    CHECK(fmt(second, "year", &album) == "2001");   // album-level: the album's
    CHECK(fmt(second, "genre", &album) == "Rock");
    CHECK(fmt(second, "title", &album) == "Two");   // item-level: the track's own
    CHECK(fmt(second, "album_id", &album) == "3");
    CHECK(fmt(second, "singleton", &album) == "False");
    CHECK(TrackFields(second, &album).raw("year") == "2002");  // queries see the track's own
}

namespace {
bool matches(std::string_view query, const TrackData& t) {
    return TrackQuery(query).match(TrackFields(t, nullptr));
}
}  // namespace

TEST_CASE("queries select tracks as beets' do") {
    const auto t = track({{"title", "So What"}, {"artist", "Miles Davis"}, {"genre", "Jazz"},
                          {"date", "1959-08-17"}, {"tracknumber", "1"}, {"compilation", "0"}});
    CHECK(matches("genre:jazz", t));
    CHECK(matches("genre:JA", t));
    CHECK_FALSE(matches("genre:rock", t));
    CHECK(matches("year:1950..1959", t));
    CHECK(matches("year:1959", t));
    CHECK(matches("year:..1960", t));
    CHECK(matches("year:1959..", t));
    CHECK_FALSE(matches("year:1960..1969", t));
    CHECK(matches("format:FLAC", t));
    CHECK(matches("format:flac", t));
    CHECK_FALSE(matches("format:MP3", t));
    CHECK(matches("comp:false", t));
    CHECK_FALSE(matches("comp", t));
    CHECK(matches("singleton", t));
    CHECK(matches("singleton:true", t));
    CHECK(matches("miles", t));                 // any of the search fields
    CHECK(matches("title::^So", t));             // regular expression
    CHECK_FALSE(matches("title::^so", t));       // ... case-sensitive
    CHECK(matches("artist:=Miles Davis", t) == false);  // shlex split: two terms
    CHECK(matches("'artist:=Miles Davis'", t));
    CHECK_FALSE(matches("artist:=miles davis", t));
    CHECK(matches("genre:jazz year:1959", t));   // AND
    CHECK_FALSE(matches("genre:jazz year:1960", t));
    CHECK(matches("genre:rock, year:1959", t));  // OR
    CHECK(matches("^genre:rock", t));
    CHECK(matches("-genre:rock", t));
    CHECK_FALSE(matches("^genre:jazz", t));
    CHECK(matches("length:3:00..3:10", t));
    CHECK(matches("bitrate:900000..", t));
    CHECK(matches("artist:miles year+", t));    // a sort term is ignored
    CHECK(matches("", t));
    CHECK_FALSE(matches("mood:calm", t));        // a missing flexible field matches nothing
    CHECK(matches("date:1959", t));              // any tag by its Picard name
}

TEST_CASE("bad queries are refused with the reason") {
    CHECK_THROWS_AS(TrackQuery("year:abc"), QueryError);
    CHECK_THROWS_AS(TrackQuery("year:1960..x"), QueryError);
    CHECK_THROWS_AS(TrackQuery("title::("), QueryError);
    CHECK_THROWS_AS(TrackQuery("genre:'jazz"), QueryError);
    CHECK_THROWS_AS(TrackQuery("length:x:00"), QueryError);
    CHECK_NOTHROW(TrackQuery("genre:anything at all"));
}

TEST_CASE("shell_split is shlex.split") {
    CHECK(shell_split("a 'b c' \"d\\\"e\" f\\ g") == std::vector<std::string>{"a", "b c", "d\"e", "f g"});
    CHECK(shell_split("  ").empty());
}
