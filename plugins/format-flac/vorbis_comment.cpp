#include "vorbis_comment.hpp"

#include "writer_support.hpp"

#include <array>
#include <limits>
#include <string>

namespace musicfs::vorbis_comment {
namespace {

using format_support::abi_copy;
using format_support::get_le32;
using format_support::put_be32;
using format_support::put_le32;
using format_support::refuse_invalid;

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// A Vorbis comment field name: ASCII 0x20 through 0x7D except '=' (Vorbis I spec, 5.2.3).
bool valid_name(std::string_view name) noexcept {
    if (name.empty()) {
        return false;
    }
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7D || c == '=') {
            return false;
        }
    }
    return true;
}

// The field's name, upper-cased; empty when the field has no '='.
std::string field_name(std::string_view field) {
    const auto eq = field.find('=');
    return eq == std::string_view::npos ? std::string{} : ascii_upper(field.substr(0, eq));
}

// Picard name -> Vorbis name where it is not just the upper-cased Picard name.
struct Renamed {
    std::string_view picard;
    std::string_view vorbis;
};
constexpr std::array kRenamed{
    Renamed{"movement", "MOVEMENTNAME"},
    Renamed{"movementnumber", "MOVEMENTNUMBER"},
    Renamed{"musicbrainz_recordingid", "MUSICBRAINZ_TRACKID"},
    Renamed{"musicbrainz_trackid", "MUSICBRAINZ_RELEASETRACKID"},
};

}  // namespace

std::string ascii_upper(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
    }
    return out;
}

bool is_picture_field(std::string_view field) noexcept {
    try {
        const std::string name = field_name(field);
        return name == "METADATA_BLOCK_PICTURE" || name == "COVERART" || name == "COVERARTMIME";
    } catch (...) {
        return false;
    }
}

bool is_technical_field(std::string_view field) noexcept {
    try {
        return field_name(field) == "WAVEFORMATEXTENSIBLE_CHANNEL_MASK";
    } catch (...) {
        return false;
    }
}

std::vector<Field> fields_from_tags(const mfs_tag_list_t* tags,
                                    const std::function<void(std::string_view)>& skipped) {
    std::vector<Field> out;
    if (tags == nullptr) {
        return out;
    }
    const mfs_tag_list_t list = abi_copy(tags);
    for (uint32_t i = 0; list.tags != nullptr && i < list.count; ++i) {
        const mfs_tag_t& tag = list.tags[i];
        if (tag.key == nullptr || tag.value == nullptr || *tag.key == '\0' || *tag.value == '\0' ||
            *tag.key == '~') {
            continue;
        }
        const std::string key = ascii_lower(tag.key);
        std::string value = tag.value;
        std::string name;
        const auto colon = key.find(':');
        const std::string_view prefix = std::string_view(key).substr(0, colon);
        if (colon != std::string::npos && prefix == "lyrics") {
            name = "LYRICS";
        } else if (colon != std::string::npos && (prefix == "performer" || prefix == "comment")) {
            // "performer:Piano" = "Joe" -> PERFORMER=Joe (Piano); the role keeps its case.
            const std::string_view role = std::string_view(tag.key).substr(colon + 1);
            name = ascii_upper(prefix);
            if (!role.empty()) {
                value += " (";
                value += role;
                value += ')';
            }
        } else if (key == "musicip_fingerprint") {
            name = "FINGERPRINT";
            value = "MusicMagic Fingerprint" + value;
        } else if (key == "totaltracks" || key == "totaldiscs") {
            const bool tracks = key == "totaltracks";
            out.push_back((tracks ? "TRACKTOTAL=" : "DISCTOTAL=") + value);
            name = tracks ? "TOTALTRACKS" : "TOTALDISCS";
        } else {
            name = ascii_upper(key);
            for (const Renamed& r : kRenamed) {
                if (key == r.picard) {
                    name = r.vorbis;
                }
            }
        }
        if (!valid_name(name)) {
            if (skipped) {
                skipped(tag.key);
            }
            continue;
        }
        if (name == "METADATA_BLOCK_PICTURE" || name == "COVERART" || name == "COVERARTMIME") {
            continue;
        }
        out.push_back(name + '=' + value);
    }
    return out;
}

std::optional<Parsed> parse(std::span<const uint8_t> data) {
    if (data.size() < 4) {
        return std::nullopt;
    }
    const uint64_t vendor_len = get_le32(data.data());
    if (vendor_len > data.size() - 4) {
        return std::nullopt;
    }
    Parsed parsed;
    parsed.vendor.assign(reinterpret_cast<const char*>(data.data() + 4), vendor_len);
    std::size_t pos = 4 + static_cast<std::size_t>(vendor_len);
    if (data.size() - pos < 4) {
        return parsed;
    }
    const uint32_t count = get_le32(data.data() + pos);
    pos += 4;
    for (uint32_t i = 0; i < count; ++i) {
        if (data.size() - pos < 4) {
            return parsed;
        }
        const uint64_t len = get_le32(data.data() + pos);
        if (len > data.size() - pos - 4) {
            return parsed;
        }
        parsed.fields.emplace_back(reinterpret_cast<const char*>(data.data() + pos + 4), len);
        pos += 4 + static_cast<std::size_t>(len);
    }
    parsed.trailing = data.subspan(pos);
    parsed.complete = true;
    return parsed;
}

std::vector<uint8_t> build(std::string_view vendor, std::span<const Field> fields) {
    constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
    uint64_t total = 8 + vendor.size();
    for (const Field& f : fields) {
        if (f.size() > kMax) {
            refuse_invalid("a tag value of " + format_support::bytes_text(f.size()) +
                           " does not fit in a Vorbis comment");
        }
        total += 4 + f.size();
    }
    if (vendor.size() > kMax || fields.size() > kMax) {
        refuse_invalid("the Vorbis comment does not fit its 32-bit lengths");
    }
    std::vector<uint8_t> out;
    out.reserve(static_cast<std::size_t>(total));
    put_le32(out, static_cast<uint32_t>(vendor.size()));
    format_support::append(out, vendor);
    put_le32(out, static_cast<uint32_t>(fields.size()));
    for (const Field& f : fields) {
        put_le32(out, static_cast<uint32_t>(f.size()));
        format_support::append(out, f);
    }
    return out;
}

std::vector<Field> merge(std::vector<Field> tag_fields, const Parsed* original,
                         const mfs_picture_list_t* pictures, bool pictures_in_comment) {
    std::vector<Field> out = std::move(tag_fields);
    bool tags_set_technical = false;
    for (const Field& f : out) {
        tags_set_technical = tags_set_technical || is_technical_field(f);
    }
    if (original != nullptr && !tags_set_technical) {
        for (const Field& f : original->fields) {
            if (is_technical_field(f)) {
                out.push_back(f);
            }
        }
    }
    if (pictures == nullptr) {
        if (original != nullptr) {
            for (const Field& f : original->fields) {
                if (is_picture_field(f)) {
                    out.push_back(f);
                }
            }
        }
    } else if (pictures_in_comment) {
        for (const mfs_picture_t& picture : pictures_of(*pictures)) {
            out.push_back("METADATA_BLOCK_PICTURE=" + base64(picture_block(picture)));
        }
    }
    return out;
}

std::vector<uint8_t> picture_block(const mfs_picture_t& picture) {
    const std::string_view mime = picture.mime != nullptr ? picture.mime : "";
    const std::string_view description = picture.description != nullptr ? picture.description : "";
    const uint64_t total = 32 + mime.size() + description.size() + picture.size;
    if (total > std::numeric_limits<uint32_t>::max()) {
        refuse_invalid("a picture of " + format_support::bytes_text(picture.size) +
                       " does not fit in a FLAC picture block");
    }
    std::vector<uint8_t> out;
    out.reserve(static_cast<std::size_t>(total));
    put_be32(out, picture.type);
    put_be32(out, static_cast<uint32_t>(mime.size()));
    format_support::append(out, mime);
    put_be32(out, static_cast<uint32_t>(description.size()));
    format_support::append(out, description);
    put_be32(out, picture.width);
    put_be32(out, picture.height);
    put_be32(out, 0);  // colour depth: unknown
    put_be32(out, 0);  // palette size: not indexed (or unknown)
    put_be32(out, static_cast<uint32_t>(picture.size));
    if (picture.size > 0) {
        out.insert(out.end(), picture.data, picture.data + picture.size);
    }
    return out;
}

std::vector<mfs_picture_t> pictures_of(const mfs_picture_list_t& list) {
    std::vector<mfs_picture_t> out;
    if (list.count > 0 && list.pictures == nullptr) {
        refuse_invalid("the picture list has no pictures array");
    }
    for (uint32_t i = 0; i < list.count; ++i) {
        if (list.pictures[i] == nullptr) {
            refuse_invalid("picture " + std::to_string(i + 1) + " of the list is missing");
        }
        const mfs_picture_t p = abi_copy(list.pictures[i]);
        if (p.data == nullptr && p.size > 0) {
            refuse_invalid("picture " + std::to_string(i + 1) + " has no data");
        }
        out.push_back(p);
    }
    return out;
}

std::string base64(std::span<const uint8_t> data) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((data.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (const std::size_t rest = data.size() - i; rest > 0) {
        uint32_t v = uint32_t{data[i]} << 16;
        if (rest == 2) {
            v |= uint32_t{data[i + 1]} << 8;
        }
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

}  // namespace musicfs::vorbis_comment
