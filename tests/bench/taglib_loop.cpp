// taglib_loop: the reference for the scan benchmark. The least work a scanner built on TagLib
// can do: walk DIR, and for every file with an audio extension (the scanner's list) open it with
// TagLib, read the audio properties and the whole PropertyMap as UTF-8 strings. No catalog, no
// plugin boundary, no tree. -j N reads on N threads, as the MusicFS scanner does.
//
//   taglib_loop [-j THREADS] DIR
//
// Prints "files tags unreadable files-with-audio-properties" so that run.sh can check it saw what the scanner saw.

#include <fileref.h>
#include <tpropertymap.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

bool looks_like_audio(const std::filesystem::path& p) {
    static constexpr std::string_view kExtensions[] = {
        "flac", "mp3", "mp2", "ogg", "oga", "opus", "spx", "m4a", "m4b", "mp4", "aac", "wav",
        "aif",  "aiff", "aifc", "wv", "ape", "mpc", "wma", "asf", "tta", "dsf"};
    std::string ext = p.extension().string();
    if (ext.size() < 2) return false;
    ext.erase(0, 1);
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions);
}

}  // namespace

int main(int argc, char** argv) {
    unsigned threads = 1;
    std::string dir;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-j" && i + 1 < argc)
            threads = static_cast<unsigned>(std::max(1, std::atoi(argv[++i])));
        else
            dir = a;
    }
    if (dir.empty()) {
        std::fprintf(stderr, "usage: taglib_loop [-j THREADS] DIR\n");
        return 2;
    }
    std::vector<std::string> files;
    namespace fs = std::filesystem;
    for (const auto& e : fs::recursive_directory_iterator(
             dir, fs::directory_options::follow_directory_symlink |
                      fs::directory_options::skip_permission_denied)) {
        std::error_code ec;
        if (e.is_regular_file(ec) && looks_like_audio(e.path())) files.push_back(e.path().string());
    }

    std::atomic<std::size_t> next{0}, tags{0}, unreadable{0}, with_audio{0};
    auto worker = [&] {
        for (std::size_t i; (i = next.fetch_add(1)) < files.size();) {
            const TagLib::FileRef ref(files[i].c_str(), true, TagLib::AudioProperties::Average);
            if (ref.isNull()) {
                ++unreadable;
                continue;
            }
            std::size_t n = 0;
            if (const auto* props = ref.file()->audioProperties())
                with_audio += props->lengthInMilliseconds() + props->bitrate() +
                                      props->sampleRate() + props->channels() > 0;
            for (const auto& [key, values] : ref.file()->properties()) {
                const std::string k = key.to8Bit(true);
                for (const auto& v : values) {
                    const std::string value = v.to8Bit(true);
                    n += !k.empty() && !value.empty();
                }
            }
            tags += n;
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
    std::printf("%zu %zu %zu %zu\n", files.size(), tags.load(), unreadable.load(), with_audio.load());
    return 0;
}
