#include "ilst.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <optional>
#include <string>

namespace musicfs::format_mp4 {
namespace {

// `data` atom types (the "well-known types" of the QuickTime metadata spec).
constexpr std::uint32_t kTypeImplicit = 0;
constexpr std::uint32_t kTypeUtf8 = 1;
constexpr std::uint32_t kTypeGif = 12;
constexpr std::uint32_t kTypeJpeg = 13;
constexpr std::uint32_t kTypePng = 14;
constexpr std::uint32_t kTypeInteger = 21;  // big-endian signed integer
constexpr std::uint32_t kTypeBmp = 27;

constexpr std::string_view kItunesMean = "com.apple.iTunes";

enum class Kind { Text, Flag, Integer, Pair, Freeform };

struct Mapping {
    std::string_view picard;
    Kind kind;
    FourCC atom;                   // Text, Flag, Integer, Pair
    std::string_view name = {};    // Freeform: the name atom
};

// Picard 2.x MP4File.__text_tags, __bool_tags, __int_tags, __freeform_tags and
// __r_freeform_tags_ci, reversed. "shwm" is an integer to Picard and a flag to TagLib; as a
// one-byte 0/1 it is both.
constexpr auto kMappings = std::to_array<Mapping>({
    {"title", Kind::Text, fourcc("\251nam")},
    {"artist", Kind::Text, fourcc("\251ART")},
    {"album", Kind::Text, fourcc("\251alb")},
    {"composer", Kind::Text, fourcc("\251wrt")},
    {"albumartist", Kind::Text, fourcc("aART")},
    {"grouping", Kind::Text, fourcc("\251grp")},
    {"date", Kind::Text, fourcc("\251day")},
    {"genre", Kind::Text, fourcc("\251gen")},
    {"lyrics", Kind::Text, fourcc("\251lyr")},
    {"comment", Kind::Text, fourcc("\251cmt")},
    {"encodedby", Kind::Text, fourcc("\251too")},
    {"director", Kind::Text, fourcc("\251dir")},
    {"copyright", Kind::Text, fourcc("cprt")},
    {"albumsort", Kind::Text, fourcc("soal")},
    {"albumartistsort", Kind::Text, fourcc("soaa")},
    {"artistsort", Kind::Text, fourcc("soar")},
    {"titlesort", Kind::Text, fourcc("sonm")},
    {"composersort", Kind::Text, fourcc("soco")},
    {"showsort", Kind::Text, fourcc("sosn")},
    {"show", Kind::Text, fourcc("tvsh")},
    {"podcasturl", Kind::Text, fourcc("purl")},
    {"movement", Kind::Text, fourcc("\251mvn")},
    {"work", Kind::Text, fourcc("\251wrk")},
    {"podcast", Kind::Flag, fourcc("pcst")},
    {"compilation", Kind::Flag, fourcc("cpil")},
    {"gapless", Kind::Flag, fourcc("pgap")},
    {"showmovement", Kind::Flag, fourcc("shwm")},
    {"bpm", Kind::Integer, fourcc("tmpo")},
    {"movementnumber", Kind::Integer, fourcc("\251mvi")},
    {"movementtotal", Kind::Integer, fourcc("\251mvc")},
    {"tracknumber", Kind::Pair, fourcc("trkn")},
    {"totaltracks", Kind::Pair, fourcc("trkn")},
    {"discnumber", Kind::Pair, fourcc("disk")},
    {"totaldiscs", Kind::Pair, fourcc("disk")},
    {"musicbrainz_recordingid", Kind::Freeform, 0, "MusicBrainz Track Id"},
    {"musicbrainz_artistid", Kind::Freeform, 0, "MusicBrainz Artist Id"},
    {"musicbrainz_albumid", Kind::Freeform, 0, "MusicBrainz Album Id"},
    {"musicbrainz_albumartistid", Kind::Freeform, 0, "MusicBrainz Album Artist Id"},
    {"musicip_puid", Kind::Freeform, 0, "MusicIP PUID"},
    {"releasestatus", Kind::Freeform, 0, "MusicBrainz Album Status"},
    {"releasecountry", Kind::Freeform, 0, "MusicBrainz Album Release Country"},
    {"releasetype", Kind::Freeform, 0, "MusicBrainz Album Type"},
    {"musicbrainz_discid", Kind::Freeform, 0, "MusicBrainz Disc Id"},
    {"musicbrainz_trmid", Kind::Freeform, 0, "MusicBrainz TRM Id"},
    {"musicbrainz_workid", Kind::Freeform, 0, "MusicBrainz Work Id"},
    {"musicbrainz_releasegroupid", Kind::Freeform, 0, "MusicBrainz Release Group Id"},
    {"musicbrainz_trackid", Kind::Freeform, 0, "MusicBrainz Release Track Id"},
    {"musicbrainz_originalalbumid", Kind::Freeform, 0, "MusicBrainz Original Album Id"},
    {"musicbrainz_originalartistid", Kind::Freeform, 0, "MusicBrainz Original Artist Id"},
    {"acoustid_fingerprint", Kind::Freeform, 0, "Acoustid Fingerprint"},
    {"acoustid_id", Kind::Freeform, 0, "Acoustid Id"},
    {"asin", Kind::Freeform, 0, "ASIN"},
    {"barcode", Kind::Freeform, 0, "BARCODE"},
    {"producer", Kind::Freeform, 0, "PRODUCER"},
    {"lyricist", Kind::Freeform, 0, "LYRICIST"},
    {"conductor", Kind::Freeform, 0, "CONDUCTOR"},
    {"engineer", Kind::Freeform, 0, "ENGINEER"},
    {"mixer", Kind::Freeform, 0, "MIXER"},
    {"djmixer", Kind::Freeform, 0, "DJMIXER"},
    {"remixer", Kind::Freeform, 0, "REMIXER"},
    {"isrc", Kind::Freeform, 0, "ISRC"},
    {"media", Kind::Freeform, 0, "MEDIA"},
    {"label", Kind::Freeform, 0, "LABEL"},
    {"license", Kind::Freeform, 0, "LICENSE"},
    {"catalognumber", Kind::Freeform, 0, "CATALOGNUMBER"},
    {"subtitle", Kind::Freeform, 0, "SUBTITLE"},
    {"discsubtitle", Kind::Freeform, 0, "DISCSUBTITLE"},
    {"mood", Kind::Freeform, 0, "MOOD"},
    {"script", Kind::Freeform, 0, "SCRIPT"},
    {"language", Kind::Freeform, 0, "LANGUAGE"},
    {"artists", Kind::Freeform, 0, "ARTISTS"},
    {"key", Kind::Freeform, 0, "initialkey"},
    {"replaygain_album_gain", Kind::Freeform, 0, "REPLAYGAIN_ALBUM_GAIN"},
    {"replaygain_album_peak", Kind::Freeform, 0, "REPLAYGAIN_ALBUM_PEAK"},
    {"replaygain_album_range", Kind::Freeform, 0, "REPLAYGAIN_ALBUM_RANGE"},
    {"replaygain_track_gain", Kind::Freeform, 0, "REPLAYGAIN_TRACK_GAIN"},
    {"replaygain_track_peak", Kind::Freeform, 0, "REPLAYGAIN_TRACK_PEAK"},
    {"replaygain_track_range", Kind::Freeform, 0, "REPLAYGAIN_TRACK_RANGE"},
    {"replaygain_reference_loudness", Kind::Freeform, 0, "REPLAYGAIN_REFERENCE_LOUDNESS"},
    // Picard keeps the MusicIP fingerprint behind a prefix; see kFingerprintPrefix.
    {"musicip_fingerprint", Kind::Freeform, 0, "fingerprint"},
});

constexpr std::string_view kFingerprintPrefix = "MusicMagic Fingerprint";

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

const Mapping* find_mapping(std::string_view lower_key) noexcept {
    // Picard writes every "lyrics:<description>" to ©lyr and "comment:" (no description) to
    // ©cmt; a comment with a description has no MP4 atom and stays a freeform tag.
    if (lower_key.starts_with("lyrics:")) {
        lower_key = "lyrics";
    } else if (lower_key == "comment:") {
        lower_key = "comment";
    }
    const auto it = std::ranges::find(kMappings, lower_key, &Mapping::picard);
    return it != kMappings.end() ? &*it : nullptr;
}

// A value an integer atom holds exactly: decimal digits without sign or leading zeros, in
// 0..32767 (TagLib reads these atoms as signed 16-bit numbers).
std::optional<std::uint16_t> small_number(std::string_view s) noexcept {
    if (s.empty() || s.size() > 5 || (s.size() > 1 && s.front() == '0')) {
        return std::nullopt;
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size() || value > 32767) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

// The values of one tag name, in order, under the spelling it first had.
struct TagGroup {
    std::string key;
    std::vector<std::string_view> values;
};

// One ilst item being assembled.
struct Item {
    Kind kind = Kind::Text;
    FourCC atom = 0;
    std::string name;  // Freeform
    std::vector<std::string> values;
    std::uint16_t number = 0;  // Pair
    std::uint16_t total = 0;   // Pair
};

class ItemList {
public:
    Item& get(Kind kind, FourCC atom, std::string_view name) {
        std::string id = kind == Kind::Freeform ? "----:" + std::string(name)
                                                : std::to_string(atom);
        const auto [it, fresh] = index_.try_emplace(std::move(id), items_.size());
        if (fresh) {
            items_.push_back({kind, atom, std::string(name), {}, 0, 0});
        }
        return items_[it->second];
    }

    void add_freeform(std::string_view name, const std::vector<std::string_view>& values) {
        Item& item = get(Kind::Freeform, 0, name);
        item.values.insert(item.values.end(), values.begin(), values.end());
    }

    [[nodiscard]] const std::vector<Item>& items() const noexcept { return items_; }

private:
    std::vector<Item> items_;
    std::map<std::string, std::size_t> index_;
};

void data_atom(AtomWriter& w, std::uint32_t type, ByteSpan payload) {
    const auto data = w.begin(fourcc("data"));
    w.u32(type);  // version 0, 24-bit type
    w.u32(0);     // locale
    w.bytes(payload);
    w.end(data);
}

ByteSpan as_bytes(std::string_view s) noexcept {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

void render(AtomWriter& w, const Item& item) {
    switch (item.kind) {
        case Kind::Text: {
            const auto atom = w.begin(item.atom);
            for (const std::string& v : item.values) {
                data_atom(w, kTypeUtf8, as_bytes(v));
            }
            w.end(atom);
            return;
        }
        case Kind::Flag: {
            const auto atom = w.begin(item.atom);
            const std::uint8_t flag = item.values.front() == "1" ? 1 : 0;
            data_atom(w, kTypeInteger, {&flag, 1});
            w.end(atom);
            return;
        }
        case Kind::Integer: {
            const auto atom = w.begin(item.atom);
            for (const std::string& v : item.values) {
                const std::uint16_t n = small_number(v).value_or(0);
                const std::uint8_t be[2] = {static_cast<std::uint8_t>(n >> 8U),
                                            static_cast<std::uint8_t>(n)};
                data_atom(w, kTypeInteger, be);
            }
            w.end(atom);
            return;
        }
        case Kind::Pair: {
            // trkn carries two trailing zero bytes, disk does not (as iTunes writes them).
            const std::uint8_t be[8] = {0,
                                        0,
                                        static_cast<std::uint8_t>(item.number >> 8U),
                                        static_cast<std::uint8_t>(item.number),
                                        static_cast<std::uint8_t>(item.total >> 8U),
                                        static_cast<std::uint8_t>(item.total),
                                        0,
                                        0};
            const auto atom = w.begin(item.atom);
            data_atom(w, kTypeImplicit, ByteSpan(be, item.atom == fourcc("trkn") ? 8 : 6));
            w.end(atom);
            return;
        }
        case Kind::Freeform: {
            const auto atom = w.begin(fourcc("----"));
            const auto mean = w.begin_full(fourcc("mean"), 0, 0);
            w.text(kItunesMean);
            w.end(mean);
            const auto name = w.begin_full(fourcc("name"), 0, 0);
            w.text(item.name);
            w.end(name);
            for (const std::string& v : item.values) {
                data_atom(w, kTypeUtf8, as_bytes(v));
            }
            w.end(atom);
            return;
        }
    }
}

// tracknumber/totaltracks (or discnumber/totaldiscs) into one pair atom when both are single
// small numbers; any part that is not goes to a freeform atom under its own name.
void add_pair(ItemList& items, FourCC atom, const TagGroup* number, const TagGroup* total) {
    const auto single = [](const TagGroup* g) -> std::optional<std::uint16_t> {
        return g != nullptr && g->values.size() == 1 ? small_number(g->values.front())
                                                     : std::nullopt;
    };
    const std::optional<std::uint16_t> n = single(number);
    const std::optional<std::uint16_t> t = single(total);
    if (n) {
        Item& item = items.get(Kind::Pair, atom, {});
        item.number = *n;
        item.total = t.value_or(0);
    } else if (number != nullptr) {
        items.add_freeform(number->key, number->values);
    }
    if (total != nullptr && (!n || !t)) {
        items.add_freeform(total->key, total->values);
    }
}

}  // namespace

std::uint32_t cover_type_code(std::string_view mime, ByteSpan d) noexcept {
    if (d.size() >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        return kTypeJpeg;
    }
    if (d.size() >= 8 && d[0] == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G') {
        return kTypePng;
    }
    if (d.size() >= 4 && d[0] == 'G' && d[1] == 'I' && d[2] == 'F' && d[3] == '8') {
        return kTypeGif;
    }
    if (d.size() >= 2 && d[0] == 'B' && d[1] == 'M') {
        return kTypeBmp;
    }
    const std::string m = [&] {
        try {
            return ascii_lower(mime);
        } catch (...) {
            return std::string();
        }
    }();
    if (m == "image/jpeg" || m == "image/jpg") {
        return kTypeJpeg;
    }
    if (m == "image/png") {
        return kTypePng;
    }
    if (m == "image/gif") {
        return kTypeGif;
    }
    if (m == "image/bmp" || m == "image/x-ms-bmp") {
        return kTypeBmp;
    }
    return kTypeImplicit;
}

Bytes build_ilst_items(std::span<const TagView> tags, const std::vector<PictureView>* pictures,
                       ByteSpan original_covr) {
    // Values grouped by name (lower-cased), in the order names first appear.
    std::vector<TagGroup> groups;
    std::map<std::string, std::size_t> group_of;
    for (const TagView& tag : tags) {
        if (tag.key.empty() || tag.value.empty()) {
            continue;
        }
        const auto [it, fresh] = group_of.try_emplace(ascii_lower(tag.key), groups.size());
        if (fresh) {
            groups.push_back({std::string(tag.key), {}});
        }
        groups[it->second].values.push_back(tag.value);
    }
    const auto group = [&](std::string_view lower) -> const TagGroup* {
        const auto it = group_of.find(std::string(lower));
        return it != group_of.end() ? &groups[it->second] : nullptr;
    };

    ItemList items;
    for (const TagGroup& g : groups) {
        const std::string lower = ascii_lower(g.key);
        const Mapping* m = find_mapping(lower);
        if (m == nullptr) {
            items.add_freeform(g.key, g.values);
            continue;
        }
        switch (m->kind) {
            case Kind::Text: {
                Item& item = items.get(Kind::Text, m->atom, {});
                item.values.insert(item.values.end(), g.values.begin(), g.values.end());
                break;
            }
            case Kind::Flag:
                if (g.values.size() == 1 && (g.values.front() == "0" || g.values.front() == "1")) {
                    items.get(Kind::Flag, m->atom, {}).values.emplace_back(g.values.front());
                } else {
                    items.add_freeform(g.key, g.values);
                }
                break;
            case Kind::Integer:
                if (std::ranges::all_of(g.values, [](std::string_view v) {
                        return small_number(v).has_value();
                    })) {
                    Item& item = items.get(Kind::Integer, m->atom, {});
                    item.values.insert(item.values.end(), g.values.begin(), g.values.end());
                } else {
                    items.add_freeform(g.key, g.values);
                }
                break;
            case Kind::Pair: {
                // Handled once, where the first of the two names appears.
                const bool is_track = m->atom == fourcc("trkn");
                const TagGroup* number = group(is_track ? "tracknumber" : "discnumber");
                const TagGroup* total = group(is_track ? "totaltracks" : "totaldiscs");
                const TagGroup* first = number == nullptr ? total
                                        : total == nullptr ? number
                                                           : std::min(number, total);
                if (&g == first) {
                    add_pair(items, m->atom, number, total);
                }
                break;
            }
            case Kind::Freeform:
                if (m->picard == "musicip_fingerprint") {
                    Item& item = items.get(Kind::Freeform, 0, m->name);
                    for (std::string_view v : g.values) {
                        item.values.push_back(std::string(kFingerprintPrefix) + std::string(v));
                    }
                } else {
                    items.add_freeform(m->name, g.values);
                }
                break;
        }
    }

    Bytes out;
    AtomWriter w(out);
    for (const Item& item : items.items()) {
        render(w, item);
    }
    if (pictures == nullptr) {
        w.bytes(original_covr);
    } else if (!pictures->empty()) {
        std::vector<const PictureView*> order;
        for (const PictureView& p : *pictures) {
            if (!p.data.empty()) {
                order.push_back(&p);
            }
        }
        // Players show the first covr: front covers (type 3) go first, the rest keep their order.
        std::stable_partition(order.begin(), order.end(),
                              [](const PictureView* p) { return p->type == 3; });
        if (!order.empty()) {
            const auto covr = w.begin(fourcc("covr"));
            for (const PictureView* p : order) {
                data_atom(w, cover_type_code(p->mime, p->data), p->data);
            }
            w.end(covr);
        }
    }
    return out;
}

}  // namespace musicfs::format_mp4
