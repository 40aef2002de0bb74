#pragma once
// A track's fields as beets sees them in path formats.
//
// Templates may name beets' fields (`$track`, `$albumtype`, `$mb_albumid`, ...), computed from
// the catalog's tags (Picard names) and audio properties, or any tag by its Picard name. Values
// are formatted the way beets formats them for paths (beets/dbcore/types.py and
// beets/library.py, FormattedItemMapping with for_path=True):
//   - padded numbers: track, tracktotal, disc, disctotal, month, day (2 digits), year (4),
//     "00"/"0000" when absent; plain integers (bpm, bitdepth, channels) "0" when absent;
//   - comp and singleton "True"/"False"; length "M:SS"; bitrate "NNNkbps"; samplerate "NNkHz";
//   - format as beets names it ("FLAC", "MP3", "AAC", "ALAC", "OGG", "Opus", "WAVE", "AIFF"...);
//   - a multi-valued tag is joined with "; ";
//   - album-level fields (albumartist, album, year, genre, label, comp, ...) come from the album
//     (its first track) rather than the track itself;
//   - artist and albumartist fall back to each other when empty;
//   - the path separator in a value is replaced (path_sep_replace, "_").
// A name that is neither a beets field nor a tag of the track is unknown: templates keep
// "$name" as written, as beets does for a missing flexible attribute.

#include "catalog/catalog.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace musicfs::vfs {

// A track as the tree builder sees it.
struct TrackData {
    std::int64_t track_id = 0;
    std::string path;  // origin-relative path of its file
    catalog::TagList tags;
    catalog::AudioInfo audio;
};

enum class FieldType {
    String,
    Integer,    // "0" when absent
    Padded2,    // "07"
    Padded4,    // "1999"
    Padded6,    // r128 gains
    Boolean,    // "True" / "False"
    Float1,     // "-6.5"
    Duration,   // "3:07"
    Bitrate,    // "320kbps"
    SampleRate, // "44kHz"
    Id,         // "" when absent
};

struct BeetsField {
    std::string_view name;
    FieldType type;
    bool album_level;  // an album's field: for paths, taken from the album
};

// The beets field called `name`, or nullptr.
const BeetsField* find_beets_field(std::string_view name);
// Every beets field MusicFS knows, in beets' order.
const std::vector<BeetsField>& beets_fields();

// The album a track belongs to. `first` is the album's first track (in original path order):
// album-level fields come from it, as beets takes them from the first item it imports.
struct AlbumRef {
    std::int64_t id = 0;  // the smallest track id of the album: stable while that track exists
    const TrackData* first = nullptr;
};

class TrackFields {
public:
    TrackFields(const TrackData& track, const AlbumRef* album, std::string path_sep_replace = "_")
        : track_(track), album_(album), sep_replace_(std::move(path_sep_replace)) {}

    const TrackData& track() const { return track_; }
    const AlbumRef* album() const { return album_; }
    bool singleton() const { return album_ == nullptr; }

    // The unformatted value, as beets' queries see it (the track's own value): integers in
    // decimal ("" when absent), booleans "1"/"0", text as is. nullopt for an unknown name.
    std::optional<std::string> raw(std::string_view name) const;
    // The value formatted for a path (see above); nullopt for an unknown name.
    std::optional<std::string> formatted(std::string_view name) const;

private:
    std::optional<std::string> formatted_plain(std::string_view name) const;

    const TrackData& track_;
    const AlbumRef* album_;
    std::string sep_replace_;
};

// The track's own unformatted value of a beets field (see TrackFields::raw); nullopt when
// `field` is not a beets field.
std::optional<std::string> beets_raw(const TrackData& track, const AlbumRef* album,
                                     std::string_view field);
// All values of a tag joined with "; " ("" when absent).
std::string joined_tag(const catalog::TagList& tags, std::string_view key);
bool has_tag(const catalog::TagList& tags, std::string_view key);
// Formats a raw value as beets does for `type`.
std::string format_value(FieldType type, std::string_view raw);
// The leading integer of a value as mediafile reads it ("7/12" -> 7, "A1" -> none).
std::optional<std::int64_t> leading_int(std::string_view value);
// The tags (Picard names) the value of `name` can depend on, as templates and queries read it:
// `year` reads `date`, `artist` falls back to `albumartist`, a name that is not a beets field
// reads the tag of that name; none for what comes from the audio or the file (`format`,
// `length`, `path`). Which tracks form an album, which `album_id`, `singleton` and every
// album-level field depend on too, is album_tags().
std::vector<std::string_view> field_tags(std::string_view name);
// The tags that decide which tracks form an album and which track is its first.
std::vector<std::string_view> album_tags();
// beets' format names from the catalog's ("flac" -> "FLAC", "vorbis" -> "OGG", ...).
std::string beets_format_name(std::string_view catalog_format);

}  // namespace musicfs::vfs
