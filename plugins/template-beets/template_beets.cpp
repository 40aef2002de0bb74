// template-beets: beets' standard path-template functions, %lower{} %upper{} %capitalize{}
// %title{} %left{} %right{} %if{} %ifdef{} %asciify{} %time{} %first{} (see functions.hpp).
// %aunique{} and %sunique{} belong to the core, which knows the whole library.
//
// Options ([plugins.beets]): time_format, the format %time{} parses its first argument with
// (beets' time_format, default "%Y-%m-%d %H:%M:%S").

#include "functions.hpp"

#include <musicfs/abi.h>
#include <musicfs/host.h>
#include <musicfs/plugin.h>
#include <musicfs/template.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <algorithm>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tb = musicfs::template_beets;

namespace {

constexpr const char* kId = "org.musicfs.template.beets";

const mfs_host_t* g_host = nullptr;            // set by init, cleared by deinit [main-thread]
std::string g_time_format(tb::kDefaultTimeFormat);  // read once by init

void log(int32_t level, const std::string& message) {
    if (g_host && g_host->log) g_host->log(g_host->ctx, level, kId, message.c_str());
}

// One call's arguments and track, with beets' defaults for missing trailing arguments.
class Args {
public:
    explicit Args(const mfs_template_call_t* call) : call_(call) {
        for (uint32_t i = 0; call && call->argv && i < call->argc; ++i)
            args_.emplace_back(call->argv[i] ? call->argv[i] : "");
    }
    std::string_view operator[](std::size_t i) const { return i < args_.size() ? args_[i] : ""; }
    std::string_view get(std::size_t i, std::string_view dflt) const {
        return i < args_.size() ? args_[i] : dflt;
    }

    // The host's field lookup, when this host's call struct has one.
    std::optional<std::string> field(std::string_view name) const {
        if (!call_ || call_->struct_size < offsetof(mfs_template_call_t, ctx) + sizeof(void*) ||
            !call_->field)
            return std::nullopt;
        const std::string key(name);
        int64_t need = call_->field(call_->ctx, key.c_str(), nullptr, 0);
        for (int attempt = 0; need >= 0 && attempt < 3; ++attempt) {
            std::string value(static_cast<std::size_t>(need) + 1, '\0');
            const int64_t got = call_->field(call_->ctx, key.c_str(), value.data(), value.size());
            if (got >= 0 && got <= need) {
                value.resize(static_cast<std::size_t>(got));
                return value;
            }
            need = got;
        }
        return std::nullopt;
    }

private:
    const mfs_template_call_t* call_;
    std::vector<std::string_view> args_;
};

using Impl = std::string (*)(const Args&);

// Copies the result as template.h asks; exceptions become errors, never cross the ABI.
template <Impl F>
int64_t trampoline(const mfs_template_call_t* call, char* out, size_t out_size) noexcept {
    try {
        const std::string result = F(Args(call));
        if (out && out_size > 0) {
            const std::size_t n = std::min(result.size(), out_size - 1);
            std::memcpy(out, result.data(), n);
            out[n] = '\0';
        }
        return static_cast<int64_t>(result.size());
    } catch (const tb::Error& e) {
        log(MFS_LOG_DEBUG, e.what());
        return -EINVAL;
    } catch (const std::bad_alloc&) {
        return -ENOMEM;
    } catch (...) {
        return -EIO;
    }
}

std::string f_lower(const Args& a) { return tb::lower(a[0]); }
std::string f_upper(const Args& a) { return tb::upper(a[0]); }
std::string f_capitalize(const Args& a) { return tb::capitalize(a[0]); }
std::string f_title(const Args& a) { return tb::title(a[0]); }
std::string f_left(const Args& a) { return tb::left(a[0], a[1]); }
std::string f_right(const Args& a) { return tb::right(a[0], a[1]); }
std::string f_if(const Args& a) { return tb::if_(a[0], a[1], a.get(2, "")); }
std::string f_ifdef(const Args& a) {
    return tb::ifdef(a[0], a.get(1, ""), a.get(2, ""),
                     [&](std::string_view name) { return a.field(name); });
}
std::string f_asciify(const Args& a) { return tb::asciify(a[0]); }
std::string f_time(const Args& a) { return tb::time(a[0], a[1], g_time_format); }
std::string f_first(const Args& a) {
    return tb::first(a[0], a.get(1, "1"), a.get(2, "0"), a.get(3, "; "), a.get(4, "; "));
}

// Every function but %ifdef computes from its arguments alone (MFS_TEMPLATE_ARGS_ONLY): an edit
// of a tag no path names then leaves the tree alone. %ifdef looks a field up by name.
#define MFS_FUNCTION_FLAGS(var, fname, lo, hi, impl, text, flags)                              \
    constexpr mfs_template_function_t var{sizeof(mfs_template_function_t), fname, lo, hi, text, \
                                          &trampoline<impl>, flags}
#define MFS_FUNCTION(var, fname, lo, hi, impl, text) \
    MFS_FUNCTION_FLAGS(var, fname, lo, hi, impl, text, MFS_TEMPLATE_ARGS_ONLY)

MFS_FUNCTION(kLower, "lower", 1, 1, f_lower, "%lower{text}: lower case");
MFS_FUNCTION(kUpper, "upper", 1, 1, f_upper, "%upper{text}: UPPER CASE");
MFS_FUNCTION(kCapitalize, "capitalize", 1, 1, f_capitalize,
             "%capitalize{text}: first character upper case, the rest lower case");
MFS_FUNCTION(kTitle, "title", 1, 1, f_title, "%title{text}: Each Word Capitalized");
MFS_FUNCTION(kLeft, "left", 2, 2, f_left, "%left{text,n}: the first n characters");
MFS_FUNCTION(kRight, "right", 2, 2, f_right, "%right{text,n}: the last n characters");
MFS_FUNCTION(kIf, "if", 2, 3, f_if,
             "%if{condition,text[,else]}: text when condition is non-empty and not 0 or false");
MFS_FUNCTION_FLAGS(kIfdef, "ifdef", 1, 3, f_ifdef,
                   "%ifdef{field[,text[,else]]}: text (or the field's value) when the field exists",
                   0);
MFS_FUNCTION(kAsciify, "asciify", 1, 1, f_asciify,
             "%asciify{text}: transliterated to ASCII (ICU Any-Latin; Latin-ASCII)");
MFS_FUNCTION(kTime, "time", 2, 2, f_time,
             "%time{date,format}: a date in time_format reformatted with strftime");
MFS_FUNCTION(kFirst, "first", 1, 5, f_first,
             "%first{text[,count[,skip[,sep[,join]]]]}: some of the '; '-separated items");

constexpr const mfs_template_function_t* kFunctions[] = {
    &kLower, &kUpper, &kCapitalize, &kTitle, &kLeft, &kRight,
    &kIf,    &kIfdef, &kAsciify,    &kTime,  &kFirst,
};

constexpr mfs_template_kind_t kKind{sizeof(mfs_template_kind_t),
                                    sizeof(kFunctions) / sizeof(kFunctions[0]), kFunctions};

int32_t init(const mfs_host_t* host) {
    g_host = host;
    if (host && host->config_get) {
        char buf[256];
        const int64_t n = host->config_get(host->ctx, kId, "time_format", buf, sizeof buf);
        if (n >= 0 && static_cast<std::size_t>(n) < sizeof buf) g_time_format.assign(buf, static_cast<std::size_t>(n));
    }
    return 0;
}

void deinit() { g_host = nullptr; }

const void* get_kind(const char* kind_id) {
    return kind_id && std::strcmp(kind_id, MFS_TEMPLATE_KIND_ID) == 0 ? &kKind : nullptr;
}

constexpr mfs_plugin_t kPlugin{
    sizeof(mfs_plugin_t), MFS_ABI_VERSION_MAJOR, MFS_ABI_VERSION_MINOR, kId, "beets", "0.1.0",
    "beets' standard path-template functions", &init, &deinit, &get_kind,
};

}  // namespace

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) { return &kPlugin; }
