#include "id3v2.hpp"

#include "text.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <span>
#include <cerrno>
#include <string_view>
#include <utility>

namespace musicfs::id3 {
namespace {

constexpr std::uint64_t kMaxSyncsafe = (std::uint64_t{1} << 28U) - 1;
constexpr std::string_view kMusicBrainzOwner = "http://musicbrainz.org";

using NamePair = std::pair<std::string_view, std::string_view>;

// Picard name -> ID3v2.4 text frame (Picard's ID3File.__translate, with grouping in TIT1 as
// Picard writes it unless "iTunes compatible grouping" is on).
constexpr auto kTextFrames = std::to_array<NamePair>({
    {"title", "TIT2"},           {"subtitle", "TIT3"},        {"album", "TALB"},
    {"discsubtitle", "TSST"},    {"isrc", "TSRC"},            {"artist", "TPE1"},
    {"albumartist", "TPE2"},     {"conductor", "TPE3"},       {"remixer", "TPE4"},
    {"lyricist", "TEXT"},        {"composer", "TCOM"},        {"encodedby", "TENC"},
    {"bpm", "TBPM"},             {"key", "TKEY"},             {"language", "TLAN"},
    {"genre", "TCON"},           {"media", "TMED"},           {"mood", "TMOO"},
    {"copyright", "TCOP"},       {"label", "TPUB"},           {"originaldate", "TDOR"},
    {"date", "TDRC"},            {"encodersettings", "TSSE"}, {"albumsort", "TSOA"},
    {"artistsort", "TSOP"},      {"titlesort", "TSOT"},       {"originalalbum", "TOAL"},
    {"originalartist", "TOPE"},  {"compilation", "TCMP"},     {"composersort", "TSOC"},
    {"albumartistsort", "TSO2"}, {"movement", "MVNM"},        {"grouping", "TIT1"},
    {"originalfilename", "TOFN"},
});

// Picard name -> TXXX description (Picard's ID3File.__translate_freetext and, for ReplayGain,
// __rtranslate_freetext_ci).
constexpr auto kFreeText = std::to_array<NamePair>({
    {"musicbrainz_artistid", "MusicBrainz Artist Id"},
    {"musicbrainz_albumid", "MusicBrainz Album Id"},
    {"musicbrainz_albumartistid", "MusicBrainz Album Artist Id"},
    {"releasetype", "MusicBrainz Album Type"},
    {"releasestatus", "MusicBrainz Album Status"},
    {"musicbrainz_trmid", "MusicBrainz TRM Id"},
    {"musicbrainz_trackid", "MusicBrainz Release Track Id"},
    {"musicbrainz_discid", "MusicBrainz Disc Id"},
    {"musicbrainz_workid", "MusicBrainz Work Id"},
    {"musicbrainz_releasegroupid", "MusicBrainz Release Group Id"},
    {"musicbrainz_originalalbumid", "MusicBrainz Original Album Id"},
    {"musicbrainz_originalartistid", "MusicBrainz Original Artist Id"},
    {"releasecountry", "MusicBrainz Album Release Country"},
    {"musicip_puid", "MusicIP PUID"},
    {"acoustid_fingerprint", "Acoustid Fingerprint"},
    {"acoustid_id", "Acoustid Id"},
    {"script", "SCRIPT"},
    {"license", "LICENSE"},
    {"catalognumber", "CATALOGNUMBER"},
    {"barcode", "BARCODE"},
    {"asin", "ASIN"},
    {"musicip_fingerprint", "MusicMagic Fingerprint"},
    {"artists", "ARTISTS"},
    {"director", "DIRECTOR"},
    {"work", "WORK"},
    {"writer", "Writer"},
    {"showmovement", "SHOWMOVEMENT"},
    {"replaygain_album_gain", "REPLAYGAIN_ALBUM_GAIN"},
    {"replaygain_album_peak", "REPLAYGAIN_ALBUM_PEAK"},
    {"replaygain_album_range", "REPLAYGAIN_ALBUM_RANGE"},
    {"replaygain_track_gain", "REPLAYGAIN_TRACK_GAIN"},
    {"replaygain_track_peak", "REPLAYGAIN_TRACK_PEAK"},
    {"replaygain_track_range", "REPLAYGAIN_TRACK_RANGE"},
    {"replaygain_reference_loudness", "REPLAYGAIN_REFERENCE_LOUDNESS"},
});

// "number/total" frames: (frame, number name, total name).
struct NumberFrame {
    std::string_view frame;
    std::string_view number;
    std::string_view total;
};
constexpr auto kNumberFrames = std::to_array<NumberFrame>({
    {"TRCK", "tracknumber", "totaltracks"},
    {"TPOS", "discnumber", "totaldiscs"},
    {"MVIN", "movementnumber", "movementtotal"},
});

std::string_view lookup(std::span<const NamePair> table, std::string_view name) {
    const auto it = std::ranges::find(table, name, &NamePair::first);
    return it != table.end() ? it->second : std::string_view{};
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// Picard writes WCOP only for one value that parses as an absolute URL (scheme and host).
bool looks_like_url(std::string_view s) {
    const auto sep = s.find("://");
    return sep != std::string_view::npos && sep > 0 && sep + 3 < s.size();
}

void put_syncsafe(std::string& out, std::uint64_t v) {
    for (int shift = 21; shift >= 0; shift -= 7) {
        out += static_cast<char>((v >> static_cast<unsigned>(shift)) & 0x7FU);
    }
}

std::uint64_t syncsafe(const std::uint8_t* p) noexcept {
    return (std::uint64_t{p[0]} << 21U) | (std::uint64_t{p[1]} << 14U) |
           (std::uint64_t{p[2]} << 7U) | std::uint64_t{p[3]};
}

std::string ascii_digits(std::string_view s) {
    std::string out;
    for (const char c : s) {
        if (c < '0' || c > '9') {
            break;
        }
        out += c;
    }
    return out;
}

// The parts of an ISO 8601-like date, "YYYY[-MM[-DD[(T| )HH:MM[:SS]]]]", as Picard and
// mutagen split them for ID3v2.3's TYER, TDAT and TIME.
struct DateParts {
    std::string year, month, day, hour, minute;
};
std::optional<DateParts> split_date(std::string_view s) {
    const auto digits = [&](std::size_t at, std::size_t n) {
        if (s.size() < at + n) {
            return false;
        }
        return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(at),
                           s.begin() + static_cast<std::ptrdiff_t>(at + n),
                           [](char c) { return c >= '0' && c <= '9'; });
    };
    DateParts d;
    if (!digits(0, 4)) {
        return std::nullopt;
    }
    d.year = s.substr(0, 4);
    if (s.size() >= 7 && s[4] == '-' && digits(5, 2)) {
        d.month = s.substr(5, 2);
        if (s.size() >= 10 && s[7] == '-' && digits(8, 2)) {
            d.day = s.substr(8, 2);
            if (s.size() >= 16 && (s[10] == 'T' || s[10] == ' ') && digits(11, 2) && s[13] == ':' &&
                digits(14, 2)) {
                d.hour = s.substr(11, 2);
                d.minute = s.substr(14, 2);
            }
        }
    }
    return d;
}

// The MIME type of picture bytes we hold, for pictures handed in without one; "image/" (an
// image of unknown type, as the specification reads an empty MIME type) otherwise.
std::string sniff_mime(const Part& data) {
    const std::uint8_t* p = nullptr;
    std::uint64_t n = 0;
    if (data.kind == Part::Kind::View) {
        p = data.view;
        n = data.length;
    } else if (data.kind == Part::Kind::Bytes) {
        p = reinterpret_cast<const std::uint8_t*>(data.bytes.data());
        n = data.bytes.size();
    }
    const auto starts = [&](std::string_view magic) {
        return n >= magic.size() && std::memcmp(p, magic.data(), magic.size()) == 0;
    };
    if (starts("\xFF\xD8\xFF")) {
        return "image/jpeg";
    }
    if (starts("\x89PNG")) {
        return "image/png";
    }
    if (starts("GIF8")) {
        return "image/gif";
    }
    if (starts("RIFF") && n >= 12 && std::memcmp(p + 8, "WEBP", 4) == 0) {
        return "image/webp";
    }
    return "image/";
}

class TagBuilder {
public:
    explicit TagBuilder(int version) : version_(version) {}

    // A text frame; v2.4 separates several values with NUL, v2.3 joins them with "/" as
    // Picard does (v2.3 has no separator).
    void text(std::string_view id, const std::vector<std::string>& values) {
        if (values.empty()) {
            return;
        }
        std::string body(1, encoding_byte());
        body += joined(values);
        frame(id, body);
    }

    void user_text(std::string_view description, const std::vector<std::string>& values) {
        if (values.empty()) {
            return;
        }
        std::string body(1, encoding_byte());
        body += encoded(description);
        body += terminator();
        body += joined(values);
        frame("TXXX", body);
    }

    // COMM or USLT.
    void language_text(std::string_view id, std::string_view description, std::string_view text) {
        std::string body(1, encoding_byte());
        body += "eng";
        body += encoded(description);
        body += terminator();
        body += encoded(text);
        frame(id, body);
    }

    void url(std::string_view id, std::string_view value) { frame(id, latin1_url(value)); }

    void ufid(std::string_view owner, std::string_view data) {
        std::string body(owner);
        body += '\0';
        body += data;
        frame("UFID", body);
    }

    // TMCL (v2.4): role and name pairs, NUL separated.
    void people(std::string_view id, const std::vector<std::pair<std::string, std::string>>& pairs) {
        if (pairs.empty()) {
            return;
        }
        std::string body(1, encoding_byte());
        bool first = true;
        for (const auto& [role, name] : pairs) {
            if (!first) {
                body += terminator();
            }
            first = false;
            body += encoded(role);
            body += terminator();
            body += encoded(name);
        }
        frame(id, body);
    }

    void picture(const PictureData& picture) {
        std::string head(1, encoding_byte());
        std::string mime = printable_ascii(picture.mime);
        if (mime.empty()) {
            mime = sniff_mime(picture.data);
        }
        head += mime;
        head += '\0';
        head += static_cast<char>(picture.type <= 0xFF ? picture.type : 0);
        head += encoded(picture.description);
        head += terminator();
        Blob body;
        body.append(head);
        body.append_part(picture.data);
        frame("APIC", body);
    }

    [[nodiscard]] Blob finish() const {
        Blob tag;
        if (frames_.empty()) {
            return tag;
        }
        if (frames_.size() > kMaxSyncsafe) {
            throw Refusal(-EFBIG, "the tags and pictures need " + std::to_string(frames_.size()) +
                                      " bytes; an ID3v2 tag holds at most 256 MiB");
        }
        std::string header = "ID3";
        header += static_cast<char>(version_);
        header += '\0';  // revision
        header += '\0';  // flags: no unsynchronisation, extended header, footer
        put_syncsafe(header, frames_.size());
        tag.append(header);
        tag.append(frames_);
        return tag;
    }

    [[nodiscard]] int version() const noexcept { return version_; }

private:
    [[nodiscard]] char encoding_byte() const { return version_ == 4 ? '\x03' : '\x01'; }

    [[nodiscard]] std::string_view terminator() const {
        using namespace std::string_view_literals;
        return version_ == 4 ? "\0"sv : "\0\0"sv;
    }

    [[nodiscard]] std::string encoded(std::string_view utf8) const {
        return version_ == 4 ? std::string(utf8) : utf16_with_bom(utf8);
    }

    [[nodiscard]] std::string joined(const std::vector<std::string>& values) const {
        std::string out;
        if (version_ == 4) {
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (i > 0) {
                    out += terminator();
                }
                out += values[i];
            }
            return out;
        }
        std::string all;
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0) {
                all += '/';
            }
            all += values[i];
        }
        return encoded(all);
    }

    void frame(std::string_view id, std::string_view body) {
        Blob b;
        b.append(body);
        frame(id, b);
    }

    void frame(std::string_view id, const Blob& body) {
        const std::uint64_t size = body.size();
        if (size > kMaxSyncsafe) {
            throw Refusal(-EFBIG, "the " + std::string(id) + " frame needs " + std::to_string(size) +
                                      " bytes; an ID3v2 frame holds at most 256 MiB");
        }
        std::string header(id);
        if (version_ == 4) {
            put_syncsafe(header, size);
        } else {
            put_be32(header, static_cast<std::uint32_t>(size));
        }
        header += '\0';
        header += '\0';
        frames_.append(header);
        frames_.append(body);
    }

    int version_;
    Blob frames_;
};

const std::vector<std::string>* values_of(const TagValues& tags, std::string_view name) {
    const auto it = std::ranges::find(tags, name, &TagValues::value_type::first);
    return it != tags.end() ? &it->second : nullptr;
}

// TRCK, TPOS or MVIN from the number and total tags; a total without a number goes to a TXXX
// frame named like the tag (TagLib and Picard both read that back; "/12" only TagLib does).
void number_frame(TagBuilder& b, const TagValues& tags, const NumberFrame& f) {
    const auto* number = values_of(tags, f.number);
    const auto* total = values_of(tags, f.total);
    if (number == nullptr) {
        if (total != nullptr) {
            b.user_text(f.total, {total->front()});
        }
        return;
    }
    std::string text = number->front();
    if (total != nullptr && text.find('/') == std::string::npos) {
        text += '/';
        text += total->front();
    }
    b.text(f.frame, {text});
}

// ID3v2.3 has no TDRC: the first date goes to TYER (year), TDAT (DDMM) and TIME (HHMM) as far
// as it is given, as mutagen's update_to_v23() does for Picard. A date that does not start
// with a year is kept as it is in TYER.
void v23_date(TagBuilder& b, const std::string& date) {
    const auto parts = split_date(date);
    if (!parts) {
        b.text("TYER", {date});
        return;
    }
    b.text("TYER", {parts->year});
    if (!parts->day.empty()) {
        b.text("TDAT", {parts->day + parts->month});
    }
    if (!parts->hour.empty()) {
        b.text("TIME", {parts->hour + parts->minute});
    }
}

}  // namespace

Blob build_id3v2(const TagValues& tags, const std::vector<PictureData>& pictures,
                 const Id3v2Options& options) {
    TagBuilder b(options.version == 3 ? 3 : 4);
    const bool v23 = b.version() == 3;

    std::vector<std::pair<std::string, std::string>> performers;  // TMCL, after the others
    std::vector<std::string_view> numbers_done;

    for (const auto& [name, values] : tags) {
        if (starts_with(name, "~")) {
            continue;  // Picard's hidden variables are never written to files
        }
        if (const auto nf = std::ranges::find_if(
                kNumberFrames, [&](const NumberFrame& f) { return f.number == name || f.total == name; });
            nf != kNumberFrames.end()) {
            if (std::ranges::find(numbers_done, nf->frame) == numbers_done.end()) {
                numbers_done.push_back(nf->frame);
                number_frame(b, tags, *nf);
            }
            continue;
        }
        if (name == "comment" || starts_with(name, "comment:")) {
            const std::string_view desc =
                name.size() > 8 ? std::string_view(name).substr(8) : std::string_view{};
            // One frame per value: TagLib reads one text per COMM frame, mutagen merges them.
            for (const std::string& value : values) {
                b.language_text("COMM", desc, value);
            }
            continue;
        }
        if (name == "lyrics" || starts_with(name, "lyrics:")) {
            const std::string_view desc =
                name.size() > 7 ? std::string_view(name).substr(7) : std::string_view{};
            for (const std::string& value : values) {
                b.language_text("USLT", desc, value);
            }
            continue;
        }
        if (starts_with(name, "performer:")) {
            const std::string role = name.substr(10);
            // TagLib drops a whole TMCL frame when one role is empty.
            if (v23 || role.empty()) {
                b.user_text(name, values);
                continue;
            }
            for (const std::string& value : values) {
                performers.emplace_back(role, value);
            }
            continue;
        }
        if (name == "musicbrainz_recordingid") {
            b.ufid(kMusicBrainzOwner, values.front());
            continue;
        }
        if (name == "website") {
            for (const std::string& value : values) {
                b.url("WOAR", value);
            }
            continue;
        }
        if (name == "license") {
            if (values.size() == 1 && looks_like_url(values.front())) {
                b.url("WCOP", values.front());
            } else {
                b.user_text("LICENSE", values);
            }
            continue;
        }
        if (v23 && name == "date") {
            v23_date(b, values.front());
            continue;
        }
        if (v23 && name == "originaldate") {
            const std::string year = ascii_digits(values.front());
            b.text("TORY", {year.size() >= 4 ? year.substr(0, 4) : values.front()});
            continue;
        }
        if (v23 && name == "mood") {
            b.user_text("mood", values);  // no TMOO in v2.3; Picard reads TXXX:mood as mood
            continue;
        }
        if (const auto frame = lookup(kTextFrames, name); !frame.empty()) {
            b.text(frame, values);
            continue;
        }
        if (const auto desc = lookup(kFreeText, name); !desc.empty()) {
            b.user_text(desc, values);
            continue;
        }
        b.user_text(name, values);
    }
    b.people("TMCL", performers);

    for (const PictureData& picture : pictures) {
        b.picture(picture);
    }
    return b.finish();
}

std::optional<Id3v2Header> parse_id3v2_header(const std::uint8_t* p) noexcept {
    if (p[0] != 'I' || p[1] != 'D' || p[2] != '3' || p[3] < 2 || p[3] > 4 || p[4] == 0xFF ||
        ((p[6] | p[7] | p[8] | p[9]) & 0x80U) != 0) {
        return std::nullopt;
    }
    Id3v2Header h;
    h.major = p[3];
    h.flags = p[5];
    h.body = syncsafe(p + 6);
    h.total = 10 + h.body + (h.major == 4 && (h.flags & 0x10U) != 0 ? 10 : 0);
    return h;
}

namespace {

// Reverses unsynchronisation: every FF 00 becomes FF.
std::vector<std::uint8_t> resync(const std::uint8_t* data, std::size_t size) {
    std::vector<std::uint8_t> out;
    out.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(data[i]);
        if (data[i] == 0xFF && i + 1 < size && data[i + 1] == 0x00) {
            ++i;
        }
    }
    return out;
}

std::optional<std::vector<std::uint8_t>> inflate_frame(const std::uint8_t* data, std::size_t size,
                                                       std::size_t expected) {
    // Bounded: a frame cannot be larger than an ID3v2 tag, and zlib cannot deflate better than
    // about 1:1032, so a larger claim is corrupt (and must not make us allocate it).
    if (expected == 0 || expected > kMaxSyncsafe || expected / 1032 > size + 64) {
        return std::nullopt;
    }
    std::vector<std::uint8_t> out(expected);
    uLongf out_size = static_cast<uLongf>(expected);
    if (uncompress(out.data(), &out_size, data, static_cast<uLong>(size)) != Z_OK) {
        return std::nullopt;
    }
    out.resize(out_size);
    return out;
}

bool frame_id_ok(const std::uint8_t* id, std::size_t n) {
    return std::all_of(id, id + n, [](std::uint8_t c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

std::string v22_mime(const std::uint8_t* format) {
    std::string f(reinterpret_cast<const char*>(format), 3);
    for (char& c : f) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    if (f == "jpg") {
        return "image/jpeg";
    }
    return "image/" + printable_ascii(f);
}

// Parses an APIC (or v2.2 PIC) body. `origin` is the body's offset in the original, or
// nullopt when the body was decoded (the picture data then gets copied).
std::optional<PictureData> parse_picture(const std::uint8_t* body, std::size_t size, bool v22,
                                         std::optional<std::uint64_t> origin) {
    if (size < 2) {
        return std::nullopt;
    }
    PictureData picture;
    const std::uint8_t encoding = body[0];
    std::size_t pos = 1;
    if (v22) {
        if (size < pos + 4) {
            return std::nullopt;
        }
        picture.mime = v22_mime(body + pos);
        pos += 3;
    } else {
        const TerminatedString mime = find_id3_terminator(0, body + pos, size - pos);
        if (mime.consumed == mime.length) {
            return std::nullopt;  // no terminator: broken
        }
        picture.mime = printable_ascii(
            std::string_view(reinterpret_cast<const char*>(body + pos), mime.length));
        pos += mime.consumed;
    }
    if (pos >= size) {
        return std::nullopt;
    }
    picture.type = body[pos++];
    const TerminatedString desc = find_id3_terminator(encoding, body + pos, size - pos);
    if (desc.consumed == desc.length) {
        return std::nullopt;
    }
    picture.description = decode_id3_text(encoding, body + pos, desc.length);
    pos += desc.consumed;
    if (origin) {
        picture.data.kind = Part::Kind::Original;
        picture.data.offset = *origin + pos;
        picture.data.length = size - pos;
    } else {
        picture.data.kind = Part::Kind::Bytes;
        picture.data.bytes.assign(reinterpret_cast<const char*>(body + pos), size - pos);
    }
    return picture;
}

}  // namespace

std::vector<PictureData> read_id3v2_pictures(const std::uint8_t* tag, std::uint64_t size,
                                             std::uint64_t file_offset, int& skipped) {
    std::vector<PictureData> pictures;
    if (size < 10) {
        return pictures;
    }
    const auto header = parse_id3v2_header(tag);
    if (!header || header->body > size - 10) {
        return pictures;
    }
    const int major = header->major;
    if (major == 2 && (header->flags & 0x40U) != 0) {
        ++skipped;  // a compressed v2.2 tag: no defined compression, nothing to read
        return pictures;
    }

    // v2.2 and v2.3 unsynchronise the whole tag; v2.4 marks each frame.
    const bool tag_unsync = (header->flags & 0x80U) != 0;
    std::vector<std::uint8_t> resynced;
    const std::uint8_t* body = tag + 10;
    auto body_size = static_cast<std::size_t>(header->body);
    bool in_place = true;  // body offsets are offsets in the original
    if (tag_unsync && major < 4) {
        resynced = resync(body, body_size);
        body = resynced.data();
        body_size = resynced.size();
        in_place = false;
    }

    std::size_t pos = 0;
    if (major >= 3 && (header->flags & 0x40U) != 0 && body_size >= 4) {
        const std::uint64_t ext = major == 3 ? std::uint64_t{be32(body)} + 4 : syncsafe(body);
        if (ext > body_size) {
            return pictures;
        }
        pos = static_cast<std::size_t>(ext);
    }

    const std::size_t header_size = major == 2 ? 6 : 10;
    const std::size_t id_size = major == 2 ? 3 : 4;
    while (body_size - pos >= header_size) {
        const std::uint8_t* f = body + pos;
        if (!frame_id_ok(f, id_size)) {
            break;  // padding, or garbage: no more frames
        }
        std::uint64_t frame_size = 0;
        std::uint16_t flags = 0;
        if (major == 2) {
            frame_size = (std::uint64_t{f[3]} << 16U) | (std::uint64_t{f[4]} << 8U) | f[5];
        } else if (major == 3) {
            frame_size = be32(f + 4);
            flags = static_cast<std::uint16_t>((f[8] << 8U) | f[9]);
        } else {
            frame_size = syncsafe(f + 4);
            // iTunes wrote v2.4 sizes as plain integers: trust that reading when the syncsafe
            // one does not land on a frame or padding but the plain one does.
            const std::uint64_t plain = be32(f + 4);
            if (plain != frame_size) {
                const auto lands = [&](std::uint64_t n) {
                    const std::uint64_t next = pos + header_size + n;
                    if (next > body_size) {
                        return false;
                    }
                    if (body_size - next < header_size) {
                        return true;
                    }
                    return body[next] == 0 || frame_id_ok(body + next, id_size);
                };
                if (((f[4] | f[5] | f[6] | f[7]) & 0x80U) != 0 || (!lands(frame_size) && lands(plain))) {
                    frame_size = plain;
                }
            }
            flags = static_cast<std::uint16_t>((f[8] << 8U) | f[9]);
        }
        if (frame_size > body_size - pos - header_size) {
            break;
        }
        const std::string_view id(reinterpret_cast<const char*>(f), id_size);
        const std::uint8_t* data = f + header_size;
        auto data_size = static_cast<std::size_t>(frame_size);
        const std::size_t data_pos = pos + header_size;
        pos += header_size + data_size;

        if (id != "APIC" && id != "PIC") {
            continue;
        }
        bool compressed = false;
        bool encrypted = false;
        bool frame_unsync = false;
        std::size_t extra = 0;
        std::size_t inflated_size = 0;
        if (major == 3) {
            compressed = (flags & 0x0080U) != 0;
            encrypted = (flags & 0x0040U) != 0;
            if (compressed) {
                if (data_size < 4) {
                    ++skipped;
                    continue;
                }
                inflated_size = be32(data);
                extra += 4;
            }
            extra += encrypted ? 1 : 0;
            extra += (flags & 0x0020U) != 0 ? 1 : 0;
        } else if (major == 4) {
            compressed = (flags & 0x0008U) != 0;
            encrypted = (flags & 0x0004U) != 0;
            frame_unsync = (flags & 0x0002U) != 0 || tag_unsync;
            extra += (flags & 0x0040U) != 0 ? 1 : 0;
            extra += encrypted ? 1 : 0;
            if ((flags & 0x0001U) != 0) {
                if (data_size < extra + 4) {
                    ++skipped;
                    continue;
                }
                inflated_size = static_cast<std::size_t>(syncsafe(data + extra));
                extra += 4;
            }
        }
        if (encrypted || extra > data_size) {
            ++skipped;
            continue;
        }
        data += extra;
        data_size -= extra;
        std::vector<std::uint8_t> decoded;
        if (frame_unsync) {
            decoded = resync(data, data_size);
            data = decoded.data();
            data_size = decoded.size();
        }
        if (compressed) {
            auto inflated = inflate_frame(data, data_size, inflated_size);
            if (!inflated) {
                ++skipped;
                continue;
            }
            decoded = std::move(*inflated);
            data = decoded.data();
            data_size = decoded.size();
        }
        const bool refers = in_place && !frame_unsync && !compressed;
        auto picture = parse_picture(data, data_size, major == 2,
                                     refers ? std::optional<std::uint64_t>(file_offset + 10 +
                                                                           data_pos + extra)
                                            : std::nullopt);
        if (!picture) {
            ++skipped;
            continue;
        }
        pictures.push_back(std::move(*picture));
    }
    return pictures;
}

namespace {

constexpr auto kId3v1Genres = std::to_array<std::string_view>({
    "Blues", "Classic Rock", "Country", "Dance", "Disco", "Funk", "Grunge", "Hip-Hop", "Jazz",
    "Metal", "New Age", "Oldies", "Other", "Pop", "R&B", "Rap", "Reggae", "Rock", "Techno",
    "Industrial", "Alternative", "Ska", "Death Metal", "Pranks", "Soundtrack", "Euro-Techno",
    "Ambient", "Trip-Hop", "Vocal", "Jazz+Funk", "Fusion", "Trance", "Classical", "Instrumental",
    "Acid", "House", "Game", "Sound Clip", "Gospel", "Noise", "Alt. Rock", "Bass", "Soul", "Punk",
    "Space", "Meditative", "Instrumental Pop", "Instrumental Rock", "Ethnic", "Gothic",
    "Darkwave", "Techno-Industrial", "Electronic", "Pop-Folk", "Eurodance", "Dream",
    "Southern Rock", "Comedy", "Cult", "Gangsta Rap", "Top 40", "Christian Rap", "Pop/Funk",
    "Jungle", "Native American", "Cabaret", "New Wave", "Psychedelic", "Rave", "Showtunes",
    "Trailer", "Lo-Fi", "Tribal", "Acid Punk", "Acid Jazz", "Polka", "Retro", "Musical",
    "Rock & Roll", "Hard Rock", "Folk", "Folk-Rock", "National Folk", "Swing", "Fast-Fusion",
    "Bebop", "Latin", "Revival", "Celtic", "Bluegrass", "Avantgarde", "Gothic Rock",
    "Progressive Rock", "Psychedelic Rock", "Symphonic Rock", "Slow Rock", "Big Band", "Chorus",
    "Easy Listening", "Acoustic", "Humour", "Speech", "Chanson", "Opera", "Chamber Music",
    "Sonata", "Symphony", "Booty Bass", "Primus", "Porn Groove", "Satire", "Slow Jam", "Club",
    "Tango", "Samba", "Folklore", "Ballad", "Power Ballad", "Rhythmic Soul", "Freestyle", "Duet",
    "Punk Rock", "Drum Solo", "A Cappella", "Euro-House", "Dance Hall", "Goa", "Drum & Bass",
    "Club-House", "Hardcore", "Terror", "Indie", "BritPop", "Afro-Punk", "Polsk Punk", "Beat",
    "Christian Gangsta Rap", "Heavy Metal", "Black Metal", "Crossover", "Contemporary Christian",
    "Christian Rock", "Merengue", "Salsa", "Thrash Metal", "Anime", "JPop", "Synthpop",
    "Abstract", "Art Rock", "Baroque", "Bhangra", "Big Beat", "Breakbeat", "Chillout",
    "Downtempo", "Dub", "EBM", "Eclectic", "Electro", "Electroclash", "Emo", "Experimental",
    "Garage", "Global", "IDM", "Illbient", "Industro-Goth", "Jam Band", "Krautrock", "Leftfield",
    "Lounge", "Math Rock", "New Romantic", "Nu-Breakz", "Post-Punk", "Post-Rock", "Psytrance",
    "Shoegaze", "Space Rock", "Trop Rock", "World Music", "Neoclassical", "Audiobook",
    "Audio Theatre", "Neue Deutsche Welle", "Podcast", "Indie Rock", "G-Funk", "Dubstep",
    "Garage Rock", "Psybient",
});

// ISO-8859-1 of clean UTF-8, characters beyond it as '?', cut to `width` bytes, NUL padded.
std::string latin1_field(const std::vector<std::string>* values, std::size_t width) {
    std::string out;
    if (values != nullptr) {
        const std::string& s = values->front();
        for (std::size_t i = 0; i < s.size() && out.size() < width;) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c < 0x80) {
                out += static_cast<char>(c);
                ++i;
            } else if ((c & 0xE0U) == 0xC0U && i + 1 < s.size()) {
                const unsigned cp = ((c & 0x1FU) << 6U) | (static_cast<unsigned char>(s[i + 1]) & 0x3FU);
                out += cp <= 0xFF ? static_cast<char>(cp) : '?';
                i += 2;
            } else {
                out += '?';
                ++i;
                while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0U) == 0x80U) {
                    ++i;
                }
            }
        }
    }
    out.resize(width, '\0');
    return out;
}

}  // namespace

std::string build_id3v1(const TagValues& tags) {
    std::string out = "TAG";
    out += latin1_field(values_of(tags, "title"), 30);
    out += latin1_field(values_of(tags, "artist"), 30);
    out += latin1_field(values_of(tags, "album"), 30);
    out += latin1_field(values_of(tags, "date"), 4);
    // The comment stays empty: mutagen adds an ID3v1 comment to the ID3v2 frames as a COMM
    // frame of its own ("ID3v1 Comment"), so it would read back as a second comment.
    out += latin1_field(nullptr, 28);
    int track = 0;
    if (const auto* t = values_of(tags, "tracknumber")) {
        const std::string digits = ascii_digits(t->front());
        if (!digits.empty() && digits.size() <= 3) {
            track = std::stoi(digits);
        }
    }
    out += '\0';
    out += static_cast<char>(track > 0 && track <= 255 ? track : 0);
    std::uint8_t genre = 0xFF;
    if (const auto* g = values_of(tags, "genre")) {
        const auto it = std::ranges::find(kId3v1Genres, std::string_view(g->front()));
        if (it != kId3v1Genres.end()) {
            genre = static_cast<std::uint8_t>(it - kId3v1Genres.begin());
        }
    }
    out += static_cast<char>(genre);
    return out;
}

}  // namespace musicfs::id3
