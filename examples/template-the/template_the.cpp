// template-the: two path-template functions, written with the MusicFS C++ helpers.
//
//   %the{text}           "The Beatles" -> "Beatles, The". A leading "The " (any case, followed
//                        by white space) moves to the end after a comma, so that artists sort by
//                        their name. Anything else is returned unchanged.
//   %bucket{value,size}  "1965", 10 -> "1960-1969". The leading integer of `value` (so a date
//                        "1965-03-01" works too) falls into a bucket of `size` numbers (default
//                        10). A value without a leading integer is returned unchanged, so a
//                        track without a year keeps an empty component rather than a
//                        half-expanded call. A size that is not a positive integer is an error:
//                        the host leaves the call verbatim and logs why.
//
// Example template: "%bucket{$year,10}/%the{$albumartist}/$album/$track $title".
// Both functions are pure and thread-safe, as template.h demands. Their call operators take the
// arguments alone, so the helpers declare them MFS_TEMPLATE_ARGS_ONLY: editing a tag the
// template does not name (a genre, a comment) leaves the tree as it is.

#include <musicfs/cpp/sdk.hpp>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sdk = musicfs::sdk;

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

struct The {
    static constexpr const char* name = "the";
    static constexpr std::uint32_t min_args = 1;
    static constexpr std::uint32_t max_args = 1;
    static constexpr const char* description =
        "%the{text}: moves a leading 'The ' to the end ('The Beatles' -> 'Beatles, The')";

    std::string operator()(std::span<const std::string_view> args) const {
        const std::string_view text = args[0];
        constexpr std::string_view kArticle = "the";
        if (text.size() <= kArticle.size() + 1 || !is_space(text[kArticle.size()])) {
            return std::string(text);
        }
        for (std::size_t i = 0; i < kArticle.size(); ++i) {
            if ((text[i] | 0x20) != kArticle[i]) {  // ASCII case-insensitive
                return std::string(text);
            }
        }
        std::string_view rest = text.substr(kArticle.size());
        while (!rest.empty() && is_space(rest.front())) {
            rest.remove_prefix(1);
        }
        if (rest.empty()) {
            return std::string(text);
        }
        return sdk::concat(rest, ", ", text.substr(0, kArticle.size()));
    }
};

struct Bucket {
    static constexpr const char* name = "bucket";
    static constexpr std::uint32_t min_args = 1;
    static constexpr std::uint32_t max_args = 2;
    static constexpr const char* description =
        "%bucket{value,size}: the range of `size` (default 10) numbers holding the leading "
        "integer of value ('1965',10 -> '1960-1969')";

    std::string operator()(std::span<const std::string_view> args) const {
        const std::string_view text = args[0];
        std::int64_t size = 10;
        if (args.size() > 1) {
            const std::string_view s = args[1];
            const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), size);
            if (ec != std::errc() || end != s.data() + s.size() || size <= 0 ||
                size > 1'000'000'000) {
                throw sdk::Error(-EINVAL, sdk::concat("bucket size '", s,
                                                      "' is not a positive integer"));
            }
        }
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || value < 0 || value > 1'000'000'000'000) {
            return std::string(text);  // no leading (reasonable) integer: leave it as it is
        }
        (void)end;
        const std::int64_t low = value / size * size;
        return sdk::concat(low, "-", low + size - 1);
    }
};

constexpr sdk::PluginInfo kInfo{
    .id = "org.musicfs.example.template.the",
    .name = "the",
    .version = "0.1.0",
    .description = "Template functions %the{text} and %bucket{value,size}",
};

}  // namespace

MUSICFS_SDK_PLUGIN(kInfo, sdk::TemplateKind<The, Bucket>);
