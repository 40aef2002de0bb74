#include "vfs/fields.hpp"

#include "util/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstdio>
#include <cstdlib>

namespace musicfs::vfs {
namespace {

using T = FieldType;

// beets 1.6's Item fields (beets/library.py) with their types; album_level marks the fields
// an Album has too (Album.item_keys), which path formats take from the album.
const std::vector<BeetsField> kFields = {
    {"id", T::Id, false},
    {"path", T::String, false},
    {"album_id", T::Id, false},
    {"title", T::String, false},
    {"artist", T::String, false},
    {"artist_sort", T::String, false},
    {"artist_credit", T::String, false},
    {"album", T::String, true},
    {"albumartist", T::String, true},
    {"albumartist_sort", T::String, true},
    {"albumartist_credit", T::String, true},
    {"genre", T::String, true},
    {"style", T::String, true},
    {"discogs_albumid", T::Integer, true},
    {"discogs_artistid", T::Integer, true},
    {"discogs_labelid", T::Integer, true},
    {"lyricist", T::String, false},
    {"composer", T::String, false},
    {"composer_sort", T::String, false},
    {"work", T::String, false},
    {"mb_workid", T::String, false},
    {"work_disambig", T::String, false},
    {"arranger", T::String, false},
    {"grouping", T::String, false},
    {"year", T::Padded4, true},
    {"month", T::Padded2, true},
    {"day", T::Padded2, true},
    {"track", T::Padded2, false},
    {"tracktotal", T::Padded2, false},
    {"disc", T::Padded2, false},
    {"disctotal", T::Padded2, true},
    {"lyrics", T::String, false},
    {"comments", T::String, false},
    {"bpm", T::Integer, false},
    {"comp", T::Boolean, true},
    {"mb_trackid", T::String, false},
    {"mb_albumid", T::String, true},
    {"mb_artistid", T::String, false},
    {"mb_albumartistid", T::String, true},
    {"mb_releasetrackid", T::String, false},
    {"trackdisambig", T::String, false},
    {"albumtype", T::String, true},
    {"albumtypes", T::String, true},
    {"label", T::String, true},
    {"acoustid_fingerprint", T::String, false},
    {"acoustid_id", T::String, false},
    {"mb_releasegroupid", T::String, true},
    {"asin", T::String, true},
    {"isrc", T::String, false},
    {"catalognum", T::String, true},
    {"script", T::String, true},
    {"language", T::String, true},
    {"country", T::String, true},
    {"albumstatus", T::String, true},
    {"media", T::String, false},
    {"albumdisambig", T::String, true},
    {"releasegroupdisambig", T::String, true},
    {"disctitle", T::String, false},
    {"encoder", T::String, false},
    {"rg_track_gain", T::Float1, false},
    {"rg_track_peak", T::Float1, false},
    {"rg_album_gain", T::Float1, true},
    {"rg_album_peak", T::Float1, true},
    {"r128_track_gain", T::Padded6, false},
    {"r128_album_gain", T::Padded6, true},
    {"original_year", T::Padded4, true},
    {"original_month", T::Padded2, true},
    {"original_day", T::Padded2, true},
    {"initial_key", T::String, false},
    {"length", T::Duration, false},
    {"bitrate", T::Bitrate, false},
    {"format", T::String, false},
    {"samplerate", T::SampleRate, false},
    {"bitdepth", T::Integer, false},
    {"channels", T::Integer, false},
    {"singleton", T::Boolean, false},
};

// The Picard tags a beets field reads, first found wins (MusicBrainz Picard's names, as the
// catalog stores them; beets reads the same frames through mediafile).
struct Source {
    std::string_view field;
    std::string_view tags[2];
};
constexpr Source kSources[] = {
    {"title", {"title", {}}},
    {"artist", {"artist", {}}},
    {"artist_sort", {"artistsort", {}}},
    {"album", {"album", {}}},
    {"albumartist", {"albumartist", {}}},
    {"albumartist_sort", {"albumartistsort", {}}},
    {"genre", {"genre", {}}},
    {"lyricist", {"lyricist", {}}},
    {"composer", {"composer", {}}},
    {"composer_sort", {"composersort", {}}},
    {"work", {"work", {}}},
    {"mb_workid", {"musicbrainz_workid", {}}},
    {"arranger", {"arranger", {}}},
    {"grouping", {"grouping", {}}},
    {"track", {"tracknumber", {}}},
    {"tracktotal", {"totaltracks", {}}},
    {"disc", {"discnumber", {}}},
    {"disctotal", {"totaldiscs", {}}},
    {"lyrics", {"lyrics", {}}},
    {"comments", {"comment", {}}},
    {"bpm", {"bpm", {}}},
    {"mb_trackid", {"musicbrainz_recordingid", {}}},
    {"mb_albumid", {"musicbrainz_albumid", {}}},
    {"mb_artistid", {"musicbrainz_artistid", {}}},
    {"mb_albumartistid", {"musicbrainz_albumartistid", {}}},
    {"mb_releasetrackid", {"musicbrainz_trackid", {}}},
    {"albumtype", {"releasetype", {}}},
    {"albumtypes", {"releasetype", {}}},
    {"label", {"label", {}}},
    {"acoustid_fingerprint", {"acoustid_fingerprint", {}}},
    {"acoustid_id", {"acoustid_id", {}}},
    {"mb_releasegroupid", {"musicbrainz_releasegroupid", {}}},
    {"asin", {"asin", {}}},
    {"isrc", {"isrc", {}}},
    {"catalognum", {"catalognumber", {}}},
    {"script", {"script", {}}},
    {"language", {"language", {}}},
    {"country", {"releasecountry", {}}},
    {"albumstatus", {"releasestatus", {}}},
    {"media", {"media", {}}},
    {"disctitle", {"discsubtitle", {}}},
    {"encoder", {"encodedby", "encoder"}},
    {"initial_key", {"key", {}}},
    {"rg_track_gain", {"replaygain_track_gain", {}}},
    {"rg_track_peak", {"replaygain_track_peak", {}}},
    {"rg_album_gain", {"replaygain_album_gain", {}}},
    {"rg_album_peak", {"replaygain_album_peak", {}}},
};

std::string_view first_tag(const catalog::TagList& tags, std::string_view key) {
    for (const auto& [k, v] : tags)
        if (k == key) return v;
    return {};
}

// "1999-06-12" -> {1999, 6, 12}; parts that are missing are 0.
struct Date {
    std::int64_t year = 0, month = 0, day = 0;
    bool any = false;
};
Date parse_date(std::string_view s) {
    Date d;
    auto field = [&](std::size_t from, std::size_t len) -> std::int64_t {
        if (s.size() < from + len) return 0;
        std::int64_t v = 0;
        const auto* b = s.data() + from;
        const auto [p, ec] = std::from_chars(b, b + len, v);
        return ec == std::errc() && p == b + len ? v : 0;
    };
    if (s.size() >= 4 && (d.year = field(0, 4)) != 0) d.any = true;
    if (s.size() >= 7 && (s[4] == '-' || s[4] == '/' || s[4] == '.')) d.month = field(5, 2);
    if (s.size() >= 10 && d.month && (s[7] == '-' || s[7] == '/' || s[7] == '.')) d.day = field(8, 2);
    return d;
}

// Milliseconds as beets' float seconds ("187.345").
std::string fmt_seconds(std::int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(ms / 1000),
                  static_cast<long long>(ms % 1000));
    return buf;
}

std::string int_text(std::optional<std::int64_t> v) { return v ? std::to_string(*v) : std::string(); }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    if (from.empty()) return s;
    for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size())
        s.replace(p, from.size(), to);
    return s;
}

}  // namespace

const std::vector<BeetsField>& beets_fields() { return kFields; }

const BeetsField* find_beets_field(std::string_view name) {
    for (const auto& f : kFields)
        if (f.name == name) return &f;
    return nullptr;
}

std::string joined_tag(const catalog::TagList& tags, std::string_view key) {
    std::string out;
    bool first = true;
    for (const auto& [k, v] : tags) {
        if (k != key) continue;
        if (!first) out += "; ";
        out += v;
        first = false;
    }
    return out;
}

bool has_tag(const catalog::TagList& tags, std::string_view key) {
    return std::any_of(tags.begin(), tags.end(), [&](const auto& t) { return t.first == key; });
}

std::optional<std::int64_t> leading_int(std::string_view value) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (!value.empty() && value.front() == '+') value.remove_prefix(1);
    std::int64_t v = 0;
    const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || p == value.data()) return std::nullopt;
    return v;
}

std::string beets_format_name(std::string_view f) {
    static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
        {"flac", "FLAC"},   {"mp3", "MP3"},     {"mp2", "MP3"},       {"mp1", "MP3"},
        {"aac", "AAC"},     {"alac", "ALAC"},   {"mp4", "AAC"},       {"vorbis", "OGG"},
        {"opus", "Opus"},   {"oggflac", "OGG"}, {"speex", "OGG"},     {"ape", "APE"},
        {"wavpack", "WavPack"}, {"mpc", "Musepack"}, {"asf", "Windows Media"},
        {"wma", "Windows Media"}, {"aiff", "AIFF"}, {"dsf", "DSD Stream File"}, {"wav", "WAVE"},
    };
    for (const auto& [k, v] : kNames)
        if (k == f) return std::string(v);
    std::string up(f);
    for (char& c : up)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return up;
}

std::optional<std::string> beets_raw(const TrackData& t, const AlbumRef* album,
                                     std::string_view field) {
    const BeetsField* f = find_beets_field(field);
    if (!f) return std::nullopt;
    const auto& tags = t.tags;
    if (field == "id") return std::to_string(t.track_id);
    if (field == "album_id") return album ? std::to_string(album->id) : std::string();
    if (field == "path") return t.path;
    if (field == "singleton") return album ? "0" : "1";
    if (field == "year" || field == "month" || field == "day") {
        const Date d = parse_date(first_tag(tags, "date"));
        const auto v = field == "year" ? d.year : field == "month" ? d.month : d.day;
        return v ? std::to_string(v) : std::string();
    }
    if (field == "original_year" || field == "original_month" || field == "original_day") {
        Date d = parse_date(first_tag(tags, "originaldate"));
        if (!d.any) d = parse_date(first_tag(tags, "originalyear"));
        const auto v = field == "original_year" ? d.year : field == "original_month" ? d.month : d.day;
        return v ? std::to_string(v) : std::string();
    }
    if (field == "comp") {
        const auto v = leading_int(first_tag(tags, "compilation"));
        return v && *v != 0 ? "1" : "0";
    }
    if (field == "format") return t.audio.format.empty() ? std::string() : beets_format_name(t.audio.format);
    if (field == "length")
        return t.audio.duration_ms > 0 ? fmt_seconds(t.audio.duration_ms) : std::string();
    if (field == "bitrate")
        return t.audio.bitrate_kbps > 0 ? std::to_string(t.audio.bitrate_kbps * 1000) : std::string();
    if (field == "samplerate")
        return t.audio.sample_rate > 0 ? std::to_string(t.audio.sample_rate) : std::string();
    if (field == "bitdepth")
        return t.audio.bits_per_sample > 0 ? std::to_string(t.audio.bits_per_sample) : std::string();
    if (field == "channels")
        return t.audio.channels > 0 ? std::to_string(t.audio.channels) : std::string();
    for (const auto& s : kSources) {
        if (s.field != field) continue;
        for (const auto key : s.tags) {
            if (key.empty() || !has_tag(tags, key)) continue;
            switch (f->type) {
                case T::Integer:
                case T::Padded2:
                case T::Padded4:
                case T::Padded6:
                    return int_text(leading_int(first_tag(tags, key)));
                case T::Float1: {
                    const std::string v(first_tag(tags, key));
                    char* end = nullptr;
                    const double d = std::strtod(v.c_str(), &end);
                    return end != v.c_str() ? std::to_string(d) : std::string();
                }
                default:
                    return joined_tag(tags, key);
            }
        }
        return std::string();
    }
    return std::string();  // a beets field MusicFS has no source for: always empty
}

std::vector<std::string_view> album_tags() {
    // Layout's album key: the MusicBrainz album id, else album, album artist (else artist,
    // unless a compilation) and year.
    return {"musicbrainz_albumid", "album", "albumartist", "artist", "compilation", "date"};
}

std::vector<std::string_view> field_tags(std::string_view name) {
    if (name == "year" || name == "month" || name == "day") return {"date"};
    if (name == "original_year" || name == "original_month" || name == "original_day")
        return {"originaldate", "originalyear"};
    if (name == "comp") return {"compilation"};
    // They fall back to one another (TrackFields::formatted).
    if (name == "artist") return {"artist", "albumartist"};
    if (name == "albumartist") return {"albumartist", "artist"};
    if (name == "singleton" || name == "album_id") return album_tags();
    if (!find_beets_field(name)) return {name};  // a tag by its own name (or `filename`)
    for (const auto& s : kSources) {
        if (s.field != name) continue;
        std::vector<std::string_view> out;
        for (const auto key : s.tags)
            if (!key.empty()) out.push_back(key);
        return out;
    }
    return {};  // from the audio or the file, or a beets field MusicFS has no source for
}

std::string format_value(FieldType type, std::string_view raw) {
    auto as_int = [&]() -> std::int64_t { return leading_int(raw).value_or(0); };
    auto padded = [&](int width) {
        const std::int64_t v = as_int();
        std::string digits = std::to_string(v < 0 ? -v : v);
        if (digits.size() < static_cast<std::size_t>(width))
            digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
        if (v < 0) digits.insert(digits.begin(), '-');
        return digits;
    };
    switch (type) {
        case T::String:
        case T::Id:
            return std::string(raw);
        case T::Integer:
            return std::to_string(as_int());
        case T::Padded2:
            return padded(2);
        case T::Padded4:
            return padded(4);
        case T::Padded6:
            return padded(6);
        case T::Boolean:
            return as_int() != 0 ? "True" : "False";
        case T::Float1: {
            const std::string s(raw);
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.1f", s.empty() ? 0.0 : std::strtod(s.c_str(), nullptr));
            return buf;
        }
        case T::Duration: {
            const std::string s(raw);
            const auto secs = static_cast<std::int64_t>(s.empty() ? 0.0 : std::strtod(s.c_str(), nullptr));
            char buf[64];
            std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(secs / 60),
                          static_cast<long long>(secs % 60));
            return buf;
        }
        case T::Bitrate:
            return std::to_string(as_int() / 1000) + "kbps";
        case T::SampleRate:
            return std::to_string(as_int() / 1000) + "kHz";
    }
    return std::string(raw);
}

namespace {
// MusicFS's own field: the original file's name without its extension (beets has no such
// field; "Non-Album/$artist/%if{$title,$title,$filename}" names untagged files).
std::string file_stem(std::string_view path) {
    const auto slash = path.rfind('/');
    std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    if (dot != std::string_view::npos && dot > 0) name = name.substr(0, dot);
    return utf8::repair(name);
}
}  // namespace

std::optional<std::string> TrackFields::raw(std::string_view name) const {
    if (auto v = beets_raw(track_, album_, name)) return v;
    if (has_tag(track_.tags, name)) return joined_tag(track_.tags, name);
    if (name == "filename") return file_stem(track_.path);
    return std::nullopt;
}

std::optional<std::string> TrackFields::formatted_plain(std::string_view name) const {
    // An untitled track is named after its file, as MusicFS always did (beets leaves it empty,
    // which puts an untagged singleton at "Non-Album.flac").
    if (name == "title" && joined_tag(track_.tags, "title").empty()) return file_stem(track_.path);
    if (const BeetsField* f = find_beets_field(name)) {
        const TrackData& from = f->album_level && album_ && album_->first ? *album_->first : track_;
        return format_value(f->type, beets_raw(from, album_, name).value_or(""));
    }
    if (has_tag(track_.tags, name)) return joined_tag(track_.tags, name);
    if (name == "filename") return file_stem(track_.path);
    return std::nullopt;
}

std::optional<std::string> TrackFields::formatted(std::string_view name) const {
    auto value = formatted_plain(name);
    if (!value) return value;
    // `artist` and `albumartist` fall back to one another (helpful when the album artist is
    // unset), as in beets' FormattedItemMapping.
    if (value->empty() && name == "artist") value = formatted_plain("albumartist");
    else if (value->empty() && name == "albumartist") value = formatted_plain("artist");
    // A value never introduces a directory level: separators become path_sep_replace, and a
    // drive-like "X:" prefix loses its colon, as beets does on every platform.
    std::string out = replace_all(std::move(*value), "/", sep_replace_);
    if (out.size() >= 2 && out[1] == ':' && static_cast<unsigned char>(out[0]) < 0x80 &&
        (std::isalnum(static_cast<unsigned char>(out[0])) || out[0] == '_'))
        out.replace(1, 1, sep_replace_);
    return out;
}

}  // namespace musicfs::vfs
