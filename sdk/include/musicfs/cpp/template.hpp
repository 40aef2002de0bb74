// MusicFS C++ helpers: path-template functions (musicfs/template.h) from function objects.
//
//   struct The {
//       static constexpr const char* name = "the";               // %the{...}, [a-z0-9_]+
//       static constexpr std::uint32_t min_args = 1;
//       static constexpr std::uint32_t max_args = 1;
//       static constexpr const char* description = "%the{text}: moves a leading 'The ' to the end";
//       std::string operator()(std::span<const std::string_view> args,
//                              const sdk::Tags& tags) const;
//   };
//   ... sdk::TemplateKind<The, Bucket> in MUSICFS_SDK_PLUGIN(...).
//
// Instead of (args, tags) the call operator may take `const sdk::TemplateCall&`, which also looks
// up derived fields the way the template engine does, or the arguments alone,
// `(std::span<const std::string_view> args)`: the function is then declared
// MFS_TEMPLATE_ARGS_ONLY, and an edit of a tag no path names does not rebuild the tree. Prefer
// that form whenever the result depends on the arguments only. The object is
// default-constructed for each call; the result must depend on the inputs only (the host caches
// it), and the call operator must be [thread-safe]. Throwing sdk::Error makes the host leave the
// call verbatim.
#ifndef MUSICFS_CPP_TEMPLATE_HPP
#define MUSICFS_CPP_TEMPLATE_HPP

#include <musicfs/cpp/host.hpp>
#include <musicfs/cpp/track.hpp>
#include <musicfs/template.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace musicfs {
namespace sdk MUSICFS_SDK_HIDDEN {

// One call of a template function; lives for the call. [per-handle]
class TemplateCall {
public:
    explicit TemplateCall(const mfs_template_call_t* call)
        : call_(abi_copy(call)), tags_(call_.tags) {
        for (std::uint32_t i = 0; call_.argv != nullptr && i < call_.argc; ++i) {
            args_.emplace_back(call_.argv[i] != nullptr ? call_.argv[i] : "");
        }
    }

    // The expanded arguments (UTF-8).
    [[nodiscard]] std::span<const std::string_view> args() const noexcept { return args_; }
    // The effective tags of the track the path is built for.
    [[nodiscard]] const Tags& tags() const noexcept { return tags_; }

    // A field as the template engine computes it ("albumartist" falling back to "artist",
    // "track" zero-padded, ...), or nullopt when it is not set or the host cannot say.
    [[nodiscard]] std::optional<std::string> field(const char* name) const {
        if (call_.field == nullptr || name == nullptr) {
            return std::nullopt;
        }
        std::int64_t need = call_.field(call_.ctx, name, nullptr, 0);
        for (int attempt = 0; need >= 0 && attempt < 4; ++attempt) {
            std::string value(static_cast<std::size_t>(need) + 1, '\0');
            const std::int64_t got = call_.field(call_.ctx, name, value.data(), value.size());
            if (got >= 0 && got <= need) {
                value.resize(static_cast<std::size_t>(got));
                return value;
            }
            need = got;
        }
        return std::nullopt;
    }

private:
    mfs_template_call_t call_;
    Tags tags_;
    std::vector<std::string_view> args_;
};

namespace detail {

constexpr bool valid_function_name(const char* name) {
    if (name == nullptr || *name == '\0') {
        return false;
    }
    for (const char* c = name; *c != '\0'; ++c) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_')) {
            return false;
        }
    }
    return true;
}

// A call operator that takes the arguments alone cannot read the track.
template <typename F>
inline constexpr bool kArgsOnly =
    std::is_invocable_r_v<std::string, const F&, std::span<const std::string_view>>;

template <typename F>
std::string invoke_template_function(const TemplateCall& call) {
    if constexpr (kArgsOnly<F>) {
        return F{}(call.args());
    } else if constexpr (std::is_invocable_r_v<std::string, const F&, const TemplateCall&>) {
        return F{}(call);
    } else {
        static_assert(std::is_invocable_r_v<std::string, const F&,
                                            std::span<const std::string_view>, const Tags&>,
                      "a template function is called as (args), (args, tags) or "
                      "(const TemplateCall&) and returns std::string");
        return F{}(call.args(), call.tags());
    }
}

// The mfs_template_function_t of one function object.
template <typename F>
struct TemplateFunctionTable {
    static_assert(valid_function_name(F::name), "a template function name is [a-z0-9_]+");
    static_assert(F::min_args <= F::max_args, "min_args must not exceed max_args");

    static std::int64_t call(const mfs_template_call_t* c, char* out,
                             std::size_t out_size) noexcept {
        return guard<std::int64_t>(host(), F::name, {nullptr, 0}, MFS_LOG_DEBUG, [&] {
            const std::string result = invoke_template_function<F>(TemplateCall(c));
            if (out != nullptr && out_size > 0) {
                const std::size_t n = std::min(result.size(), out_size - 1);
                std::memcpy(out, result.data(), n);
                out[n] = '\0';
            }
            return static_cast<std::int64_t>(result.size());
        });
    }

    static constexpr mfs_template_function_t kTable{
        .struct_size = sizeof(mfs_template_function_t),
        .name = F::name,
        .min_args = F::min_args,
        .max_args = F::max_args,
        .description = F::description,
        .call = &call,
        .flags = kArgsOnly<F> ? MFS_TEMPLATE_ARGS_ONLY : 0u,
    };
};

}  // namespace detail

// The mfs_template_kind_t of a set of template functions, for MUSICFS_SDK_PLUGIN(...).
template <typename... Fs>
class TemplateKind {
    static_assert(sizeof...(Fs) > 0, "a template plugin offers at least one function");

public:
    static constexpr const char* kind_id = MFS_TEMPLATE_KIND_ID;
    static const void* table() noexcept { return &kTable; }

private:
    static constexpr const mfs_template_function_t* kFunctions[] = {
        &detail::TemplateFunctionTable<Fs>::kTable...};

    static constexpr mfs_template_kind_t kTable{
        .struct_size = sizeof(mfs_template_kind_t),
        .function_count = sizeof...(Fs),
        .functions = kFunctions,
    };
};

}  // namespace sdk
}  // namespace musicfs

#endif  // MUSICFS_CPP_TEMPLATE_HPP
