#include "tag_names.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace musicfs::meta_taglib {
namespace {

// TagLib keys whose Picard name is not simply the lower-cased key. Sources: Picard's tag
// mapping table (https://picard-docs.musicbrainz.org/en/appendices/tag_mapping.html) and the
// keys TagLib 1.13 produces for ID3v2, MP4, ASF, APE and Xiph comments.
//
// Keys with spaces are ID3v2 TXXX descriptions that TagLib does not translate itself: it reports
// them upper-cased as they are, e.g. Picard's "TXXX:MusicBrainz Disc Id" arrives as
// "MUSICBRAINZ DISC ID".
//
// Sorted by TagLib key (checked below) so that lookups can binary-search.
using KeyPair = std::pair<std::string_view, std::string_view>;

constexpr auto kRenamed = std::to_array<KeyPair>({
    // APE and foobar2000-style Xiph comments; TagLib maps the APE one itself, not the Xiph one.
    {"ALBUM ARTIST", "albumartist"},
    // ID3v2 WOAR.
    {"ARTISTWEBPAGE", "website"},
    // ID3v2 WCOP: Picard keeps a licence URL there.
    {"COPYRIGHTURL", "license"},
    {"DISCTOTAL", "totaldiscs"},
    // ID3v2 TSSE, RIFF ISFT.
    {"ENCODING", "encodersettings"},
    // MP4 pgap.
    {"GAPLESSPLAYBACK", "gapless"},
    // ID3v2 TKEY; Picard calls the musical key just "key".
    {"INITIALKEY", "key"},
    // MP4 ©mvc.
    {"MOVEMENTCOUNT", "movementtotal"},
    // ID3v2 MVNM, MP4 ©mvn, Xiph MOVEMENTNAME.
    {"MOVEMENTNAME", "movement"},
    {"MUSICBRAINZ DISC ID", "musicbrainz_discid"},
    {"MUSICBRAINZ ORIGINAL ALBUM ID", "musicbrainz_originalalbumid"},
    {"MUSICBRAINZ ORIGINAL ARTIST ID", "musicbrainz_originalartistid"},
    {"MUSICBRAINZ TRM ID", "musicbrainz_trmid"},
    // Written by old Picard versions into Xiph comments and APE tags.
    {"MUSICBRAINZ_ALBUMSTATUS", "releasestatus"},
    {"MUSICBRAINZ_ALBUMTYPE", "releasetype"},
    // MusicBrainz's "release track" is Picard's track id; TagLib's MUSICBRAINZ_TRACKID (Xiph
    // MUSICBRAINZ_TRACKID, ID3v2 UFID http://musicbrainz.org, MP4 "MusicBrainz Track Id")
    // holds the recording id, exactly as Picard writes them.
    {"MUSICBRAINZ_RELEASETRACKID", "musicbrainz_trackid"},
    {"MUSICBRAINZ_TRACKID", "musicbrainz_recordingid"},
    {"MUSICIP FINGERPRINT", "musicip_fingerprint"},
    {"MUSICMAGIC FINGERPRINT", "musicip_fingerprint"},
    // MP4 shwm.
    {"SHOWWORKMOVEMENT", "showmovement"},
    {"TOTALDISCS", "totaldiscs"},
    {"TOTALTRACKS", "totaltracks"},
    {"TRACKTOTAL", "totaltracks"},
    // MP4 tvsh.
    {"TVSHOW", "show"},
});

static_assert(std::ranges::is_sorted(kRenamed, {}, &KeyPair::first));

// Keys holding "number/total"; TRACKTOTAL-style keys are renamed through kRenamed instead.
constexpr auto kWithTotal = std::to_array<KeyPair>({
    {"DISCNUMBER", "totaldiscs"},
    // ID3v2 MVIN is "2/4" like TRCK.
    {"MOVEMENTNUMBER", "movementtotal"},
    {"TRACKNUMBER", "totaltracks"},
});

static_assert(std::ranges::is_sorted(kWithTotal, {}, &KeyPair::first));

// MP4 freeform atoms "----:com.apple.iTunes:NAME" whose Picard name is not add(NAME)'s, by NAME
// upper-cased (Picard matches them without regard to case). TagLib 1.13 maps some of them
// itself, but only in the exact case Picard writes; the others it does not map at all.
constexpr auto kMp4Freeform = std::to_array<KeyPair>({
    {"ACOUSTID FINGERPRINT", "acoustid_fingerprint"},
    {"ACOUSTID ID", "acoustid_id"},
    {"MUSICBRAINZ ALBUM ARTIST ID", "musicbrainz_albumartistid"},
    {"MUSICBRAINZ ALBUM ID", "musicbrainz_albumid"},
    {"MUSICBRAINZ ALBUM RELEASE COUNTRY", "releasecountry"},
    {"MUSICBRAINZ ALBUM STATUS", "releasestatus"},
    {"MUSICBRAINZ ALBUM TYPE", "releasetype"},
    {"MUSICBRAINZ ARTIST ID", "musicbrainz_artistid"},
    {"MUSICBRAINZ DISC ID", "musicbrainz_discid"},
    {"MUSICBRAINZ ORIGINAL ALBUM ID", "musicbrainz_originalalbumid"},
    {"MUSICBRAINZ ORIGINAL ARTIST ID", "musicbrainz_originalartistid"},
    {"MUSICBRAINZ RELEASE GROUP ID", "musicbrainz_releasegroupid"},
    {"MUSICBRAINZ RELEASE TRACK ID", "musicbrainz_trackid"},
    {"MUSICBRAINZ TRACK ID", "musicbrainz_recordingid"},
    {"MUSICBRAINZ WORK ID", "musicbrainz_workid"},
    {"MUSICIP PUID", "musicip_puid"},
});

static_assert(std::ranges::is_sorted(kMp4Freeform, {}, &KeyPair::first));

// Picard's TIPL roles (picard/formats/id3.py), by role upper-cased.
constexpr auto kInvolvementRoles = std::to_array<KeyPair>({
    {"ARRANGER", "arranger"},
    {"DJ-MIX", "djmixer"},
    {"ENGINEER", "engineer"},
    {"MIX", "mixer"},
    {"PRODUCER", "producer"},
});

static_assert(std::ranges::is_sorted(kInvolvementRoles, {}, &KeyPair::first));

constexpr std::string_view kItunesFreeform = "----:com.apple.iTunes:";
constexpr std::string_view kMusicMagicPrefix = "MusicMagic Fingerprint";

constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

// ASCII-only case mapping: bytes of UTF-8 sequences (>= 0x80) are left alone.
std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

template <std::size_t N>
const std::string_view* find(const std::array<KeyPair, N>& table,
                             std::string_view upper_key) noexcept {
    const auto it = std::ranges::lower_bound(table, upper_key, {}, &KeyPair::first);
    return it != table.end() && it->first == upper_key ? &it->second : nullptr;
}

}  // namespace

NumberAndTotal split_number_total(std::string_view value) {
    const auto slash = value.find('/');
    if (slash == std::string_view::npos) {
        return {std::string(trim(value)), {}};
    }
    return {std::string(trim(value.substr(0, slash))), std::string(trim(value.substr(slash + 1)))};
}

std::string picard_name(std::string_view taglib_key) {
    const std::string upper = ascii_upper(taglib_key);
    if (const auto* renamed = find(kRenamed, upper)) {
        return std::string(*renamed);
    }
    return ascii_lower(taglib_key);
}

std::string_view picard_total_name(std::string_view taglib_key) {
    const auto* total = find(kWithTotal, ascii_upper(taglib_key));
    return total != nullptr ? *total : std::string_view{};
}

void PicardTags::add(std::string_view taglib_key, std::span<const std::string> values) {
    if (taglib_key.empty()) {
        return;
    }
    const std::string name = picard_name(taglib_key);
    const std::string_view total_name = picard_total_name(taglib_key);
    for (const std::string& value : values) {
        if (total_name.empty()) {
            push(name, value);
            continue;
        }
        auto [number, total] = split_number_total(value);
        push(name, std::move(number));
        push(std::string(total_name), std::move(total));
    }
}

std::string_view id3v2_text_frame_key(std::string_view frame_id) {
    // TagLib 1.13's frame table has no TSST (set subtitle), Picard's discsubtitle.
    return frame_id == "TSST" ? std::string_view("DISCSUBTITLE") : std::string_view{};
}

void PicardTags::add_mp4_item(std::string_view atom, std::span<const std::string> values) {
    if (atom == "\xC2\xA9" "dir") {  // ©dir, UTF-8
        for (const std::string& value : values) {
            push("director", value);
        }
        return;
    }
    if (!atom.starts_with(kItunesFreeform)) {
        return;
    }
    const std::string_view name = atom.substr(kItunesFreeform.size());
    const std::string upper = ascii_upper(name);
    if (const auto* renamed = find(kMp4Freeform, upper)) {
        for (const std::string& value : values) {
            push(std::string(*renamed), value);
        }
        return;
    }
    if (upper == "FINGERPRINT") {
        for (const std::string& value : values) {
            if (value.starts_with(kMusicMagicPrefix)) {
                push("musicip_fingerprint", value.substr(kMusicMagicPrefix.size()));
            } else {
                push("fingerprint", value);
            }
        }
        return;
    }
    add(name, values);
}

void PicardTags::add_id3v2_people(std::string_view frame_id, std::span<const std::string> fields) {
    const bool musicians = frame_id == "TMCL";
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
        const std::string_view role = trim(fields[i]);
        const std::string& name = fields[i + 1];
        const std::string upper = ascii_upper(role);
        if (const auto* known = musicians ? nullptr : find(kInvolvementRoles, upper)) {
            push(std::string(*known), name);
        } else if (role.empty() || upper == "PERFORMER") {
            push("performer", name);
        } else {
            push("performer:" + ascii_lower(role), name);
        }
    }
}

void PicardTags::push(std::string key, std::string value) {
    if (value.empty()) {
        return;
    }
    if (!seen_.emplace(key, value).second) {
        return;
    }
    tags_.push_back({std::move(key), std::move(value)});
}

}  // namespace musicfs::meta_taglib
