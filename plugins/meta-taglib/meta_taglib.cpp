// meta-taglib: a metadata source that reads tags and audio properties with TagLib 1.13.
//
// Every format TagLib's FileRef opens is supported (FLAC, MP3, Ogg Vorbis/Opus/FLAC/Speex, MP4
// with AAC or ALAC, WAV, AIFF, WavPack, APE, Musepack, ASF, TrueAudio, tracker modules). Tags
// come from TagLib's unified PropertyMap, renamed to Picard's names (tag_names.hpp), plus what
// that map leaves out and Picard reads: MP4 freeform atoms outside TagLib's table (ReplayGain,
// custom names), ID3v2 TSST, and TIPL/TMCL roles as Picard names them.

#include "source_stream.hpp"
#include "tag_names.hpp"

#include <musicfs/abi.h>
#include <musicfs/host.h>
#include <musicfs/metadata.h>
#include <musicfs/plugin.h>

#include <aifffile.h>
#include <apefile.h>
#include <apeproperties.h>
#include <asffile.h>
#include <asfproperties.h>
#include <audioproperties.h>
#include <fileref.h>
#include <flacfile.h>
#include <flacproperties.h>
#include <id3v2frame.h>
#include <id3v2tag.h>
#include <itfile.h>
#include <modfile.h>
#include <mp4file.h>
#include <mp4item.h>
#include <mp4tag.h>
#include <mp4properties.h>
#include <mpcfile.h>
#include <mpegfile.h>
#include <mpegproperties.h>
#include <oggflacfile.h>
#include <opusfile.h>
#include <s3mfile.h>
#include <speexfile.h>
#include <tfile.h>
#include <textidentificationframe.h>
#include <tpropertymap.h>
#include <trueaudiofile.h>
#include <trueaudioproperties.h>
#include <vorbisfile.h>
#include <wavfile.h>
#include <wavpackfile.h>
#include <wavpackproperties.h>
#include <wavproperties.h>
#include <xmfile.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The instance handle, opaque to the host.
struct mfs_metadata {
    mfs_host_t host;  // as passed to create(), normalised by abi_copy()
};

namespace musicfs::meta_taglib {
namespace {

constexpr const char* kPluginId = "org.musicfs.meta.taglib";

// ABI rule: never read past the size the writer gave. Copying the first struct_size bytes into a
// zeroed full-size struct turns every member the writer did not know about into NULL / 0.
template <typename T>
T abi_copy(const T* in) noexcept {
    T out{};
    if (in != nullptr) {
        std::memcpy(&out, in, std::min<std::size_t>(in->struct_size, sizeof(T)));
    }
    return out;
}

// Set by init(), cleared by deinit(); both run on the main thread with no read() in flight.
mfs_host_t g_host{};

// Logs the concatenation of `parts`; a line that cannot be built (out of memory) is dropped.
void log_message(const mfs_host_t& host, int32_t level,
                 std::initializer_list<std::string_view> parts) noexcept {
    if (host.log == nullptr) {
        return;
    }
    try {
        std::string message;
        for (const std::string_view part : parts) {
            message += part;
        }
        host.log(host.ctx, level, kPluginId, message.c_str());
    } catch (...) {
    }
}

std::string ascii_upper(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    });
    return out;
}

// Fills the caller's reason buffer (NUL-terminated, truncated to fit without splitting a UTF-8
// sequence) and returns `error`, so that failures read `return reason.set(-EINVAL, "...")`.
class Reason {
public:
    Reason(char* buffer, std::size_t size) noexcept : buffer_(buffer), size_(size) {}

    int32_t set(int32_t error, std::string_view text) noexcept {
        try {
            text_ = text;  // only for the log line
        } catch (...) {
            text_.clear();
        }
        if (buffer_ == nullptr || size_ == 0) {
            return error;
        }
        std::size_t n = std::min(text.size(), size_ - 1);
        if (n < text.size()) {
            // Back up over UTF-8 continuation bytes (10xxxxxx) and the lead byte they follow.
            while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) {
                --n;
            }
        }
        std::memcpy(buffer_, text.data(), n);
        buffer_[n] = '\0';
        return error;
    }

    [[nodiscard]] std::string_view text() const noexcept { return text_; }

private:
    char* buffer_;
    std::size_t size_;
    std::string text_;
};

// The extensions TagLib 1.13's FileRef dispatches on, with the format each claims (for error
// messages). OGA is left to content detection by TagLib but is Ogg audio all the same.
using NamePair = std::pair<std::string_view, std::string_view>;

constexpr auto kExtensions = std::to_array<NamePair>({
    {"3G2", "MP4"}, {"M4A", "MP4"}, {"M4B", "MP4"}, {"M4P", "MP4"}, {"M4R", "MP4"},
    {"M4V", "MP4"}, {"MP4", "MP4"},
    {"AFC", "AIFF"}, {"AIF", "AIFF"}, {"AIFC", "AIFF"}, {"AIFF", "AIFF"},
    {"ASF", "ASF"}, {"WMA", "ASF"},
    {"MOD", "module"}, {"MODULE", "module"}, {"NST", "module"}, {"WOW", "module"},
    {"IT", "IT module"}, {"S3M", "S3M module"}, {"XM", "XM module"},
    {"OGA", "Ogg"}, {"OGG", "Ogg Vorbis"}, {"OPUS", "Ogg Opus"}, {"SPX", "Ogg Speex"},
    {"APE", "APE"}, {"FLAC", "FLAC"}, {"MP3", "MP3"}, {"MPC", "Musepack"},
    {"TTA", "TrueAudio"}, {"WAV", "WAV"}, {"WV", "WavPack"},
});

// The format the file name claims, or empty when TagLib does not know its extension.
std::string_view format_from_extension(std::string_view path) {
    const auto slash = path.rfind('/');
    const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
    const auto dot = name.rfind('.');
    if (dot == std::string_view::npos) {
        return {};
    }
    const std::string ext = ascii_upper(name.substr(dot + 1));
    const auto it = std::ranges::find(kExtensions, ext, &NamePair::first);
    return it != kExtensions.end() ? it->second : std::string_view{};
}

// The format the content claims, asked in the order TagLib 1.13's content detection uses.
// Only called once FileRef has failed, to tell a broken file from a foreign one.
std::string_view format_from_content(TagLib::IOStream* stream) {
    using Probe = bool (*)(TagLib::IOStream*);
    static constexpr auto kProbes = std::to_array<std::pair<Probe, std::string_view>>({
        {&TagLib::MPEG::File::isSupported, "MP3"},
        {&TagLib::Ogg::Vorbis::File::isSupported, "Ogg Vorbis"},
        {&TagLib::Ogg::FLAC::File::isSupported, "Ogg FLAC"},
        {&TagLib::FLAC::File::isSupported, "FLAC"},
        {&TagLib::MPC::File::isSupported, "Musepack"},
        {&TagLib::WavPack::File::isSupported, "WavPack"},
        {&TagLib::Ogg::Speex::File::isSupported, "Ogg Speex"},
        {&TagLib::Ogg::Opus::File::isSupported, "Ogg Opus"},
        {&TagLib::TrueAudio::File::isSupported, "TrueAudio"},
        {&TagLib::MP4::File::isSupported, "MP4"},
        {&TagLib::ASF::File::isSupported, "ASF"},
        {&TagLib::RIFF::AIFF::File::isSupported, "AIFF"},
        {&TagLib::RIFF::WAV::File::isSupported, "WAV"},
        {&TagLib::APE::File::isSupported, "APE"},
    });
    for (const auto& [probe, name] : kProbes) {
        if (probe(stream)) {
            return name;
        }
    }
    return {};
}

// The ABI's format name for an opened file.
std::string_view format_name(TagLib::File* file) {
    using namespace TagLib;
    if (dynamic_cast<FLAC::File*>(file) != nullptr) {
        return "flac";
    }
    if (auto* mpeg = dynamic_cast<MPEG::File*>(file)) {
        const auto* props = mpeg->audioProperties();
        switch (props != nullptr ? props->layer() : 3) {
            case 1:
                return "mp1";
            case 2:
                return "mp2";
            default:
                return "mp3";
        }
    }
    if (dynamic_cast<Ogg::Vorbis::File*>(file) != nullptr) {
        return "vorbis";
    }
    if (dynamic_cast<Ogg::Opus::File*>(file) != nullptr) {
        return "opus";
    }
    if (dynamic_cast<Ogg::FLAC::File*>(file) != nullptr) {
        return "oggflac";
    }
    if (dynamic_cast<Ogg::Speex::File*>(file) != nullptr) {
        return "speex";
    }
    if (auto* mp4 = dynamic_cast<MP4::File*>(file)) {
        const auto* props = mp4->audioProperties();
        switch (props != nullptr ? props->codec() : MP4::Properties::Unknown) {
            case MP4::Properties::AAC:
                return "aac";
            case MP4::Properties::ALAC:
                return "alac";
            default:
                return "mp4";  // e.g. MPEG-4 ALS, which TagLib 1.13 does not identify
        }
    }
    if (dynamic_cast<RIFF::WAV::File*>(file) != nullptr) {
        return "wav";
    }
    if (dynamic_cast<RIFF::AIFF::File*>(file) != nullptr) {
        return "aiff";
    }
    if (dynamic_cast<WavPack::File*>(file) != nullptr) {
        return "wavpack";
    }
    if (dynamic_cast<APE::File*>(file) != nullptr) {
        return "ape";
    }
    if (dynamic_cast<MPC::File*>(file) != nullptr) {
        return "mpc";
    }
    if (dynamic_cast<ASF::File*>(file) != nullptr) {
        return "asf";
    }
    if (dynamic_cast<TrueAudio::File*>(file) != nullptr) {
        return "tta";
    }
    if (dynamic_cast<Mod::File*>(file) != nullptr) {
        return "mod";
    }
    if (dynamic_cast<S3M::File*>(file) != nullptr) {
        return "s3m";
    }
    if (dynamic_cast<IT::File*>(file) != nullptr) {
        return "it";
    }
    if (dynamic_cast<XM::File*>(file) != nullptr) {
        return "xm";
    }
    return {};
}

// Bits per sample where it describes the audio: lossless and PCM codecs only. Lossy codecs
// carry a nominal sample size in their headers (16 for AAC in MP4, for WMA, for MP3 in WAV)
// that says nothing about the audio, so it is not reported.
int bits_per_sample(TagLib::AudioProperties* props) {
    using namespace TagLib;
    if (const auto* flac = dynamic_cast<FLAC::Properties*>(props)) {  // native and Ogg FLAC
        return flac->bitsPerSample();
    }
    if (const auto* mp4 = dynamic_cast<MP4::Properties*>(props)) {
        return mp4->codec() == MP4::Properties::ALAC ? mp4->bitsPerSample() : 0;
    }
    if (const auto* wav = dynamic_cast<RIFF::WAV::Properties*>(props)) {
        // WAVE_FORMAT_PCM, WAVE_FORMAT_IEEE_FLOAT, and WAVE_FORMAT_EXTENSIBLE in case TagLib
        // did not resolve it to its subformat.
        const int format = wav->format();
        return format == 0x0001 || format == 0x0003 || format == 0xFFFE ? wav->bitsPerSample() : 0;
    }
    if (const auto* aiff = dynamic_cast<RIFF::AIFF::Properties*>(props)) {
        if (!aiff->isAiffC()) {
            return aiff->bitsPerSample();
        }
        // AIFF-C: uncompressed only (big/little-endian integer PCM, float).
        static constexpr auto kPcm = std::to_array<std::string_view>(
            {"NONE", "none", "sowt", "twos", "raw ", "in24", "in32", "fl32", "FL32", "fl64",
             "FL64"});
        const TagLib::ByteVector type = aiff->compressionType();
        const std::string_view type_view(type.data(), type.size());
        return std::ranges::find(kPcm, type_view) != kPcm.end() ? aiff->bitsPerSample() : 0;
    }
    if (const auto* wavpack = dynamic_cast<WavPack::Properties*>(props)) {
        return wavpack->bitsPerSample();
    }
    if (const auto* ape = dynamic_cast<APE::Properties*>(props)) {
        return ape->bitsPerSample();
    }
    if (const auto* tta = dynamic_cast<TrueAudio::Properties*>(props)) {
        return tta->bitsPerSample();
    }
    if (const auto* asf = dynamic_cast<ASF::Properties*>(props)) {
        return asf->codec() == ASF::Properties::WMA9Lossless ? asf->bitsPerSample() : 0;
    }
    return 0;
}

class Sink {
public:
    explicit Sink(const mfs_metadata_sink_t* sink) noexcept : sink_(abi_copy(sink)) {}

    void tag(const std::string& key, const std::string& value) const {
        if (sink_.tag != nullptr) {
            sink_.tag(sink_.ctx, key.c_str(), value.c_str());
        }
    }

    // Unknown values (0) are left out.
    void property(const char* key, int64_t value) const {
        if (sink_.property != nullptr && value > 0) {
            sink_.property(sink_.ctx, key, value);
        }
    }

    void format(std::string_view format) const {
        if (sink_.format != nullptr && !format.empty()) {
            sink_.format(sink_.ctx, std::string(format).c_str());
        }
    }

private:
    mfs_metadata_sink_t sink_;
};

// What TagLib knows about the audio stream; 0 where it does not know.
struct AudioFacts {
    int64_t duration_ms = 0;
    int64_t bitrate_kbps = 0;
    int64_t sample_rate = 0;
    int64_t channels = 0;
    int64_t bits_per_sample = 0;

    [[nodiscard]] bool empty() const noexcept {
        return duration_ms <= 0 && bitrate_kbps <= 0 && sample_rate <= 0 && channels <= 0;
    }
};

AudioFacts audio_facts(TagLib::AudioProperties* props) {
    if (props == nullptr) {
        return {};
    }
    return {props->lengthInMilliseconds(), props->bitrate(), props->sampleRate(), props->channels(),
            bits_per_sample(props)};
}

// The ID3v2 tag of formats whose properties() come from it, when the file has one.
TagLib::ID3v2::Tag* id3v2_tag(TagLib::File* file) {
    using namespace TagLib;
    if (auto* mpeg = dynamic_cast<MPEG::File*>(file)) {
        return mpeg->hasID3v2Tag() ? mpeg->ID3v2Tag() : nullptr;
    }
    if (auto* wav = dynamic_cast<RIFF::WAV::File*>(file)) {
        return wav->hasID3v2Tag() ? wav->ID3v2Tag() : nullptr;
    }
    if (auto* aiff = dynamic_cast<RIFF::AIFF::File*>(file)) {
        return aiff->hasID3v2Tag() ? aiff->tag() : nullptr;
    }
    if (auto* tta = dynamic_cast<TrueAudio::File*>(file)) {
        return tta->hasID3v2Tag() ? tta->ID3v2Tag() : nullptr;
    }
    return nullptr;
}

// TagLib 1.13 reports ID3v2's TIT1 as WORK, which is how iTunes 12.5+ uses it. Picard, beets and
// most other taggers keep the grouping in TIT1 (and the work in TXXX:WORK, which TagLib also
// reports as WORK), unless the file has iTunes' GRP1 frame for the grouping. So without GRP1,
// TIT1's values go back from WORK to GROUPING.
void restore_id3v2_grouping(TagLib::File* file, TagLib::PropertyMap& properties) {
    using namespace TagLib;
    const ID3v2::Tag* tag = id3v2_tag(file);
    if (tag == nullptr || !properties.contains("WORK")) {
        return;
    }
    const ID3v2::FrameListMap& frames = tag->frameListMap();
    const auto tit1 = frames.find("TIT1");
    if (frames.contains("GRP1") || tit1 == frames.end()) {
        return;
    }
    StringList& work = properties["WORK"];
    StringList grouping;
    for (const ID3v2::Frame* frame : tit1->second) {
        const auto* text = dynamic_cast<const ID3v2::TextIdentificationFrame*>(frame);
        if (text == nullptr) {
            continue;
        }
        for (const String& value : text->fieldList()) {
            if (const auto it = work.find(value); it != work.end()) {
                work.erase(it);
                grouping.append(value);
            }
        }
    }
    if (work.isEmpty()) {
        properties.erase("WORK");
    }
    if (!grouping.isEmpty()) {
        properties["GROUPING"].append(grouping);
    }
}

std::vector<std::string> utf8_values(const TagLib::StringList& list) {
    std::vector<std::string> values;
    values.reserve(list.size());
    for (const TagLib::String& value : list) {
        values.push_back(value.to8Bit(true));
    }
    return values;
}

bool is_people_frame(const TagLib::ID3v2::Frame& frame) {
    const TagLib::ByteVector& id = frame.frameID();
    return id == "TIPL" || id == "TMCL";
}

// TagLib 1.13 reads TIPL/TMCL (and IPLS, converted to TIPL) badly: a TIPL with one role it does
// not know in upper case (Picard writes "producer", "mix", ...) is dropped whole, and names are
// split at commas ("Crosby, Stills" becomes two people). So what TagLib made of those frames
// comes out of `properties`, and ID3v2 frames it did not map (TSST) are read here instead
// (add_id3v2_frames below).
void remove_id3v2_people(TagLib::File* file, TagLib::PropertyMap& properties) {
    const TagLib::ID3v2::Tag* tag = id3v2_tag(file);
    if (tag == nullptr) {
        return;
    }
    for (const TagLib::ID3v2::Frame* frame : tag->frameList()) {
        const auto* text = dynamic_cast<const TagLib::ID3v2::TextIdentificationFrame*>(frame);
        if (text == nullptr || !is_people_frame(*frame)) {
            continue;
        }
        for (const auto& [key, list] : text->asProperties()) {
            const auto it = properties.find(key);
            if (it == properties.end()) {
                continue;
            }
            for (const TagLib::String& value : list) {
                if (const auto found = it->second.find(value); found != it->second.end()) {
                    it->second.erase(found);
                }
            }
            if (it->second.isEmpty()) {
                properties.erase(key);
            }
        }
    }
}

void add_id3v2_frames(TagLib::File* file, PicardTags& tags) {
    const TagLib::ID3v2::Tag* tag = id3v2_tag(file);
    if (tag == nullptr) {
        return;
    }
    for (const TagLib::ID3v2::Frame* frame : tag->frameList()) {
        const auto* text = dynamic_cast<const TagLib::ID3v2::TextIdentificationFrame*>(frame);
        if (text == nullptr) {
            continue;
        }
        const std::string id(frame->frameID().data(), frame->frameID().size());
        if (is_people_frame(*frame)) {
            tags.add_id3v2_people(id, utf8_values(text->fieldList()));
        } else if (const std::string_view key = id3v2_text_frame_key(id);
                   !key.empty() && !text->asProperties().unsupportedData().isEmpty()) {
            tags.add(key, utf8_values(text->fieldList()));
        }
    }
}

// TagLib 1.13 maps only the MP4 items of its own table into the PropertyMap and lists the others
// in unsupportedData(): ReplayGain and other freeform atoms, ©dir. Those are read from the
// item map.
void add_mp4_items(TagLib::File* file, const TagLib::PropertyMap& properties, PicardTags& tags) {
    auto* mp4 = dynamic_cast<TagLib::MP4::File*>(file);
    if (mp4 == nullptr || mp4->tag() == nullptr) {
        return;
    }
    const TagLib::MP4::ItemMap& items = mp4->tag()->itemMap();
    for (const TagLib::String& atom : properties.unsupportedData()) {
        const auto it = items.find(atom);
        if (it == items.end()) {
            continue;
        }
        std::vector<std::string> values = utf8_values(it->second.toStringList());
        if (values.empty()) {
            // A freeform atom whose data is not typed UTF-8 (some taggers write type 0):
            // Picard decodes it as UTF-8 all the same.
            for (const TagLib::ByteVector& data : it->second.toByteVectorList()) {
                values.push_back(TagLib::String(data, TagLib::String::UTF8).to8Bit(true));
            }
        }
        tags.add_mp4_item(atom.to8Bit(true), values);
    }
}

// Takes `properties` by reference: TagLib 1.13's maps have no move constructor, so a copy would
// share its data with the caller's and the first change below would copy the whole map.
PicardTags picard_tags(TagLib::File* file, TagLib::PropertyMap& properties) {
    remove_id3v2_people(file, properties);
    PicardTags tags;
    for (const auto& [key, list] : properties) {
        tags.add(key.to8Bit(true), utf8_values(list));
    }
    add_id3v2_frames(file, tags);
    add_mp4_items(file, properties, tags);
    return tags;
}

// Where the audio of a Musepack file starts: after an ID3v2 tag at the start, as TagLib's
// MPC::File reads it (a 10-byte header, a synchsafe size, a 10-byte footer when flagged).
uint64_t musepack_stream_start(TagLib::File* file) {
    file->seek(0);
    const TagLib::ByteVector id3 = file->readBlock(10);
    if (id3.size() < 10 || !id3.startsWith("ID3")) {
        return 0;
    }
    uint64_t size = 0;
    for (unsigned i = 6; i < 10; ++i) {
        size = (size << 7) | (static_cast<unsigned char>(id3[i]) & 0x7FU);
    }
    const bool footer = (static_cast<unsigned char>(id3[5]) & 0x10U) != 0;
    return 10 + size + (footer ? 10 : 0);
}

// TagLib 1.13 takes anything without the SV7 ("MP+") or SV8 ("MPCK") magic for an old
// Musepack SV4-6 stream, which has no magic at all, so any junk named .mpc "opens". Accept SV7
// and SV8 by their magic, and SV4-6 only when its header is plausible: a stream version of 4,
// 5 or 6 in bits 11-20 of the first little-endian word, and a frame count that is not zero and
// not more than the stream has bytes. Random bytes pass that with a chance of about 1 in 10^8.
bool musepack_header_valid(TagLib::File* file, uint64_t size) {
    const uint64_t start = musepack_stream_start(file);
    if (start >= size) {
        return false;
    }
    file->seek(static_cast<long>(start));
    const TagLib::ByteVector header = file->readBlock(8);
    if (header.size() < 8) {
        return false;
    }
    if (header.startsWith("MPCK") || header.startsWith("MP+")) {
        return true;
    }
    const unsigned version = (header.toUInt(0U, false) >> 11U) & 0x3FFU;
    if (version < 4 || version > 6) {
        return false;
    }
    const uint64_t frames = version >= 5 ? header.toUInt(4U, false) : header.toUShort(6U, false);
    return frames > 0 && frames <= size - start;
}

// TagLib 1.13's MPEG::File is "valid" as soon as it finds a tag, even when no MPEG audio frame
// follows (a download cut short after its ID3v2 tag): audio properties exist only when TagLib
// found a frame header, so a file without them has no audio stream.
bool mpeg_has_audio(TagLib::File* file, const AudioFacts& audio) {
    auto* mpeg = dynamic_cast<TagLib::MPEG::File*>(file);
    return mpeg == nullptr || (audio.sample_rate > 0 && audio.channels > 0 &&
                               mpeg->firstFrameOffset() >= 0);
}

// FileRef does not say why it failed: tell a broken file of a known format (-EINVAL) from a
// file that is not audio TagLib knows (-ENOTSUP).
int32_t explain_failure(SourceStream& stream, uint64_t size, Reason& reason) {
    std::string_view format = format_from_extension(stream.name());
    if (format.empty() && size > 0) {
        format = format_from_content(&stream);
    }
    if (stream.failed()) {
        return reason.set(-EIO, stream.error_message());
    }
    if (format.empty()) {
        return reason.set(-ENOTSUP, "not a recognised audio file");
    }
    if (size == 0) {
        return reason.set(-EINVAL, "empty file");
    }
    return reason.set(-EINVAL, "invalid " + std::string(format) + " file");
}

int32_t read_track(const mfs_track_source_t& source, const Sink& sink, Reason& reason) {
    if (source.read == nullptr) {
        return reason.set(-EINVAL, "the track source has no read callback");
    }
    SourceStream stream(source);  // outlives `ref`, which reads through it
    if (source.size == 0) {
        // TagLib 1.13 "opens" an empty .mp3, .wav or .aiff as a valid file.
        return explain_failure(stream, source.size, reason);
    }
    const TagLib::FileRef ref(&stream, true, TagLib::AudioProperties::Average);

    // A read error can leave TagLib with a half-parsed but "valid" file: report nothing then.
    if (stream.failed()) {
        return reason.set(-EIO, stream.error_message());
    }
    if (ref.isNull()) {
        return explain_failure(stream, source.size, reason);
    }
    TagLib::File* file = ref.file();
    const std::string_view format = format_name(file);
    const AudioFacts audio = audio_facts(file->audioProperties());
    TagLib::PropertyMap properties = file->properties();
    restore_id3v2_grouping(file, properties);
    const PicardTags tags = picard_tags(file, properties);

    // TagLib's MPEG, WAV and AIFF parsers accept almost any bytes (a single 0x00 is a "valid"
    // WAV file); one that yields neither an audio stream nor a tag was not understood.
    if (audio.empty() && tags.tags().empty()) {
        return reason.set(-EINVAL,
                          "invalid " + ascii_upper(format) + " file: no audio stream and no tags");
    }
    if (!mpeg_has_audio(file, audio)) {
        return reason.set(-EINVAL, "invalid " + ascii_upper(format) +
                                       " file: tags but no MPEG audio frame (cut short?)");
    }
    if (format == "mpc" && !musepack_header_valid(file, source.size)) {
        return reason.set(stream.failed() ? stream.error() : -EINVAL,
                          stream.failed() ? stream.error_message()
                                          : std::string("invalid Musepack file: no SV7/SV8 "
                                                        "magic and no plausible SV4-6 header"));
    }

    sink.format(format);
    sink.property(MFS_PROP_DURATION_MS, audio.duration_ms);
    sink.property(MFS_PROP_BITRATE_KBPS, audio.bitrate_kbps);
    sink.property(MFS_PROP_SAMPLE_RATE, audio.sample_rate);
    sink.property(MFS_PROP_CHANNELS, audio.channels);
    sink.property(MFS_PROP_BITS_PER_SAMPLE, audio.bits_per_sample);
    for (const PicardTag& tag : tags.tags()) {
        sink.tag(tag.key, tag.value);
    }
    return 0;
}

// --- C ABI trampolines: noexcept, nothing escapes. ------------------------------------------

int32_t metadata_create(const mfs_host_t* host, const mfs_config_t* config,
                        mfs_metadata_t** out) noexcept {
    if (out == nullptr) {
        return -EINVAL;
    }
    *out = nullptr;
    const mfs_host_t host_copy = abi_copy(host != nullptr ? host : &g_host);
    try {
        const mfs_config_t config_copy = abi_copy(config);
        for (uint32_t i = 0; config_copy.entries != nullptr && i < config_copy.count; ++i) {
            const char* key = config_copy.entries[i].key;
            log_message(host_copy, MFS_LOG_WARN,
                        {"unknown configuration key '", key != nullptr ? key : "", "' ignored"});
        }
        *out = new mfs_metadata{host_copy};
        return 0;
    } catch (const std::exception& e) {
        log_message(host_copy, MFS_LOG_ERROR, {"create failed: ", e.what()});
    } catch (...) {
        log_message(host_copy, MFS_LOG_ERROR, {"create failed: unknown exception"});
    }
    return -EIO;
}

void metadata_destroy(mfs_metadata_t* source) noexcept {
    delete source;
}

int32_t metadata_read(mfs_metadata_t* instance, const mfs_track_source_t* file,
                      const mfs_metadata_sink_t* sink, char* reason_buffer,
                      std::size_t reason_size) noexcept {
    Reason reason(reason_buffer, reason_size);
    if (instance == nullptr || file == nullptr) {
        return reason.set(-EINVAL, "no instance or no track source");
    }
    const mfs_track_source_t source = abi_copy(file);
    const std::string_view path = source.path != nullptr ? source.path : "";
    try {
        const int32_t rc = read_track(source, Sink(sink), reason);
        if (rc != 0) {
            log_message(instance->host, MFS_LOG_DEBUG, {path, ": ", reason.text()});
        }
        return rc;
    } catch (const std::bad_alloc&) {
        reason.set(-EIO, "out of memory while parsing the file");
    } catch (const std::exception& e) {
        reason.set(-EIO, std::string("internal error: ") + e.what());
    } catch (...) {
        reason.set(-EIO, "internal error: unknown exception");
    }
    log_message(instance->host, MFS_LOG_ERROR, {path, ": ", reason.text()});
    return -EIO;
}

const mfs_metadata_kind_t kMetadataKind{
    .struct_size = sizeof(mfs_metadata_kind_t),
    .create = &metadata_create,
    .destroy = &metadata_destroy,
    .read = &metadata_read,
    .get_extension = nullptr,
};

int32_t plugin_init(const mfs_host_t* host) noexcept {
    g_host = abi_copy(host);
    return 0;
}

void plugin_deinit() noexcept {
    g_host = mfs_host_t{};
}

const void* plugin_get_kind(const char* kind_id) noexcept {
    if (kind_id != nullptr && std::strcmp(kind_id, MFS_METADATA_KIND_ID) == 0) {
        return &kMetadataKind;
    }
    return nullptr;
}

const mfs_plugin_t kPlugin{
    .struct_size = sizeof(mfs_plugin_t),
    .abi_major = MFS_ABI_VERSION_MAJOR,
    .abi_minor = MFS_ABI_VERSION_MINOR,
    .id = kPluginId,
    .name = "taglib",
    .version = "0.1.0",
    .description = "Tags and audio properties read with TagLib",
    .init = &plugin_init,
    .deinit = &plugin_deinit,
    .get_kind = &plugin_get_kind,
};

}  // namespace
}  // namespace musicfs::meta_taglib

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) noexcept {
    return &musicfs::meta_taglib::kPlugin;
}
