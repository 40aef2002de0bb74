// MusicFS C++ helpers: errors, host services and configuration.
//
// The C++ helper layer (musicfs/cpp/*.hpp) is optional, header-only C++20 over the C ABI in
// musicfs/*.h. It generates the C tables of a plugin from C++ classes, and every C callback it
// generates is noexcept and ends in a catch-all: an exception never crosses into the host.
//
//   - A callback reports an expected failure by throwing sdk::Error(-ENOENT, "why"): the C
//     callback returns the error's code, puts its message in the `reason` buffer where the
//     callback has one, and logs it (at error level during create/init, else at debug level).
//   - Any other exception is a bug: it is logged at error level and the C callback returns -EIO
//     (with "internal error: ..." in `reason`).
//
// Nothing here crosses the ABI: the C++ types stay inside the plugin, the host only ever sees the
// C structs. Everything is in namespace musicfs::sdk with hidden visibility, so a plugin's .so
// still exports only musicfs_plugin_entry.
#ifndef MUSICFS_CPP_HOST_HPP
#define MUSICFS_CPP_HOST_HPP

#if !defined(__cplusplus) || __cplusplus < 202002L
#error "the MusicFS C++ helpers (musicfs/cpp/*.hpp) need C++20"
#endif

#include <musicfs/abi.h>
#include <musicfs/host.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#if defined(__GNUC__) || defined(__clang__)
#define MUSICFS_SDK_HIDDEN __attribute__((visibility("hidden")))
#else
#define MUSICFS_SDK_HIDDEN
#endif

namespace musicfs {
namespace sdk MUSICFS_SDK_HIDDEN {

// Copies an ABI struct the way the rules demand: the first `struct_size` bytes the writer gave
// into a zeroed struct of the size this plugin was compiled with, so every member the writer did
// not know about reads as NULL / 0 ("not implemented"), and nothing past its size is read.
// A NULL `in` gives an all-zero struct. The copy's struct_size is left as the writer's.
template <typename T>
T abi_copy(const T* in) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    T out{};
    if (in != nullptr) {
        std::memcpy(&out, in, std::min<std::size_t>(in->struct_size, sizeof(T)));
    }
    return out;
}

// Writes `value` into a struct the host handed over for output, never past the host's
// out->struct_size (and keeping it).
template <typename T>
void abi_store(T* out, const T& value) noexcept {
    static_assert(std::is_trivially_copyable_v<T>);
    if (out == nullptr) {
        return;
    }
    const std::uint32_t size = out->struct_size;
    std::memcpy(out, &value, std::min<std::size_t>(size, sizeof(T)));
    out->struct_size = size;
}

// An expected failure: a negative errno and a one-line explanation for the host (its log, the
// `reason` buffer). A positive errno is negated, 0 becomes -EIO.
class Error : public std::runtime_error {
public:
    explicit Error(int code, const std::string& message = {})
        : std::runtime_error(message), code_(code > 0 ? -code : code == 0 ? -EIO : code) {}

    [[nodiscard]] std::int32_t code() const noexcept { return code_; }

private:
    std::int32_t code_;
};

namespace detail {

inline void append(std::string& out, std::string_view s) { out += s; }
inline void append(std::string& out, const char* s) { out += s != nullptr ? s : "(null)"; }
inline void append(std::string& out, char c) { out += c; }
template <typename T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, char> && !std::is_same_v<T, bool>)
void append(std::string& out, T value) {
    char buf[64];  // enough for any integer, and for the shortest exact form of any double
    const auto result = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, result.ptr);
}
inline void append(std::string& out, bool value) { out += value ? "true" : "false"; }

}  // namespace detail

// Concatenates strings and numbers: sdk::concat("read ", n, " bytes of ", path).
template <typename... Parts>
std::string concat(const Parts&... parts) {
    std::string out;
    (detail::append(out, parts), ...);
    return out;
}

namespace detail {

// concat() for error paths: an empty string when even that fails (out of memory).
template <typename... Parts>
std::string concat_noexcept(const Parts&... parts) noexcept {
    try {
        return concat(parts...);
    } catch (...) {
        return {};
    }
}

}  // namespace detail

// The host services (mfs_host_t) for one plugin: a copy normalised by abi_copy(), plus the id
// log lines and metrics are attributed to. Every service checks that the host has it (within
// its struct_size, not NULL) and does nothing, or returns "not set", when it has not.
// Cheap to copy; a copy stays usable until the plugin's deinit. [thread-safe]
class Host {
public:
    Host() noexcept = default;
    Host(const mfs_host_t* host, const char* plugin_id) noexcept
        : host_(abi_copy(host)), plugin_id_(plugin_id != nullptr ? plugin_id : "?") {}

    // The ABI version the host speaks, and its own version ("" when unknown).
    [[nodiscard]] std::uint16_t abi_major() const noexcept { return host_.abi_major; }
    [[nodiscard]] std::uint16_t abi_minor() const noexcept { return host_.abi_minor; }
    [[nodiscard]] std::string_view version() const noexcept {
        return host_.host_version != nullptr ? host_.host_version : "";
    }
    [[nodiscard]] const char* plugin_id() const noexcept { return plugin_id_; }

    // One log line (MFS_LOG_*). Dropped if the host has no log or the line cannot be built.
    void log(std::int32_t level, std::string_view message) const noexcept {
        if (host_.log == nullptr) {
            return;
        }
        try {
            const std::string line(message);  // NUL-terminated
            host_.log(host_.ctx, level, plugin_id_, line.c_str());
        } catch (...) {
        }
    }
    template <typename... Parts>
    void trace(const Parts&... parts) const noexcept { log_parts(MFS_LOG_TRACE, parts...); }
    template <typename... Parts>
    void debug(const Parts&... parts) const noexcept { log_parts(MFS_LOG_DEBUG, parts...); }
    template <typename... Parts>
    void info(const Parts&... parts) const noexcept { log_parts(MFS_LOG_INFO, parts...); }
    template <typename... Parts>
    void warn(const Parts&... parts) const noexcept { log_parts(MFS_LOG_WARN, parts...); }
    template <typename... Parts>
    void error(const Parts&... parts) const noexcept { log_parts(MFS_LOG_ERROR, parts...); }

    // A value of the plugin's own table in the configuration file, or nullopt when the key is
    // not set or the host does not offer the service.
    [[nodiscard]] std::optional<std::string> config_get(const char* key) const {
        if (host_.config_get == nullptr || key == nullptr) {
            return std::nullopt;
        }
        std::int64_t need = host_.config_get(host_.ctx, plugin_id_, key, nullptr, 0);
        for (int attempt = 0; need >= 0 && attempt < 4; ++attempt) {
            std::string value(static_cast<std::size_t>(need) + 1, '\0');
            const std::int64_t got =
                host_.config_get(host_.ctx, plugin_id_, key, value.data(), value.size());
            if (got >= 0 && got <= need) {
                value.resize(static_cast<std::size_t>(got));
                return value;
            }
            need = got;  // the value grew between the calls: retry with its new length
        }
        return std::nullopt;
    }

    // Adds `delta` to the counter musicfs_plugin_<name>{plugin="<id>"}.
    void counter_add(const char* name, std::int64_t delta = 1) const noexcept {
        if (host_.counter_add != nullptr && name != nullptr) {
            host_.counter_add(host_.ctx, plugin_id_, name, delta);
        }
    }

    // Progress of a long task: `done` of `total` units (total 0 when unknown).
    void progress(const char* task, std::uint64_t done, std::uint64_t total = 0) const noexcept {
        if (host_.progress != nullptr && task != nullptr) {
            host_.progress(host_.ctx, plugin_id_, task, done, total);
        }
    }

    // A host extension by id with revision ("musicfs.host.cache/1"), or nullptr.
    [[nodiscard]] const void* extension(const char* id) const noexcept {
        return host_.get_extension != nullptr && id != nullptr
                   ? host_.get_extension(host_.ctx, id)
                   : nullptr;
    }

    // The normalised C table, for a service this class does not wrap yet.
    [[nodiscard]] const mfs_host_t& raw() const noexcept { return host_; }

private:
    template <typename... Parts>
    void log_parts(std::int32_t level, const Parts&... parts) const noexcept {
        if (host_.log == nullptr) {
            return;
        }
        try {
            log(level, concat(parts...));
        } catch (...) {
        }
    }

    mfs_host_t host_{};
    const char* plugin_id_ = "?";
};

// An instance's configuration (mfs_config_t): its table of the config file, values rendered as
// strings (TOML spelling for scalars, JSON for arrays and tables). The views returned live as
// long as the mfs_config_t, i.e. for the create() call: copy what you keep. [per-handle]
class Config {
public:
    explicit Config(const mfs_config_t* config) noexcept : config_(abi_copy(config)) {}

    // Entries in the host's order, as (key, value) views.
    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (std::uint32_t i = 0; config_.entries != nullptr && i < config_.count; ++i) {
            const mfs_config_entry_t& e = config_.entries[i];
            fn(std::string_view(e.key != nullptr ? e.key : ""),
               std::string_view(e.value != nullptr ? e.value : ""));
        }
    }

    // The value of `key`, or nullopt when it is not set.
    [[nodiscard]] std::optional<std::string_view> get(std::string_view key) const {
        std::optional<std::string_view> found;
        for_each([&](std::string_view k, std::string_view v) {
            if (!found && k == key) {
                found = v;
            }
        });
        return found;
    }

    // The value of `key`; throws Error(-EINVAL) naming the option when it is missing or empty.
    [[nodiscard]] std::string require(std::string_view key, std::string_view what = {}) const {
        const auto value = get(key);
        if (!value || value->empty()) {
            throw Error(-EINVAL, concat("the option '", key, "'", what.empty() ? "" : " (",
                                        what, what.empty() ? "" : ")", " is required"));
        }
        return std::string(*value);
    }

    // A boolean option in TOML spelling (true/false); `fallback` when unset; Error(-EINVAL)
    // when it is something else.
    [[nodiscard]] bool get_bool(std::string_view key, bool fallback) const {
        const auto value = get(key);
        if (!value) {
            return fallback;
        }
        if (*value == "true") {
            return true;
        }
        if (*value == "false") {
            return false;
        }
        throw Error(-EINVAL, concat("the option '", key, "' must be true or false, not '",
                                    *value, "'"));
    }

    // Logs a warning for every key not in `known`: a typo should not go unnoticed.
    void warn_unknown(const Host& host, std::initializer_list<std::string_view> known) const {
        for_each([&](std::string_view k, std::string_view) {
            if (std::find(known.begin(), known.end(), k) == known.end()) {
                host.warn("unknown option '", k, "' ignored");
            }
        });
    }

private:
    mfs_config_t config_;
};

namespace detail {

// What the plugin knows about itself, per loaded .so (hidden visibility: never shared between
// plugins). Written on the main thread by musicfs_plugin_entry() and init()/deinit(), which the
// host runs before (and after) any other call; read from any thread in between.
struct PluginState {
    const char* plugin_id = "?";
    Host host;
};

inline PluginState& plugin_state() noexcept {
    static PluginState state;
    return state;
}

// Fills a caller's `reason` buffer (NUL-terminated, truncated on a UTF-8 character boundary).
class Reason {
public:
    Reason(char* buffer, std::size_t size) noexcept : buffer_(buffer), size_(size) {
        if (buffer_ != nullptr && size_ > 0) {
            buffer_[0] = '\0';
        }
    }

    void set(std::string_view text) const noexcept {
        if (buffer_ == nullptr || size_ == 0) {
            return;
        }
        std::size_t n = std::min(text.size(), size_ - 1);
        if (n < text.size()) {
            while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0U) == 0x80U) {
                --n;  // back up over continuation bytes to the start of the cut character
            }
        }
        std::memcpy(buffer_, text.data(), n);
        buffer_[n] = '\0';
    }

private:
    char* buffer_;
    std::size_t size_;
};

// Runs `fn` (which returns the C callback's result) and turns every exception into an error
// code: Error -> its code, its message into `reason` and the log at `error_level`; anything
// else -> -EIO, logged at error level. `what` names the callback (and path) in log lines.
template <typename Result, typename Fn>
Result guard(const Host& host, std::string_view what, const Reason& reason,
             std::int32_t error_level, Fn&& fn) noexcept {
    try {
        return static_cast<Result>(fn());
    } catch (const Error& e) {
        reason.set(e.what());
        if (*e.what() != '\0') {
            host.log(error_level, concat_noexcept(what, ": ", e.what()));
        }
        return static_cast<Result>(e.code());
    } catch (const std::exception& e) {
        reason.set(concat_noexcept("internal error: ", e.what()));
        host.log(MFS_LOG_ERROR, concat_noexcept(what, ": internal error: ", e.what()));
    } catch (...) {
        reason.set("internal error: unknown exception");
        host.log(MFS_LOG_ERROR, concat_noexcept(what, ": internal error: unknown exception"));
    }
    return static_cast<Result>(-EIO);
}

// For callbacks without a result (destroy, close, deinit): exceptions are logged and dropped.
template <typename Fn>
void guard_void(const Host& host, std::string_view what, Fn&& fn) noexcept {
    guard<int>(host, what, Reason(nullptr, 0), MFS_LOG_ERROR, [&] {
        fn();
        return 0;
    });
}

}  // namespace detail

// The host handed to this plugin's init(); a no-op Host before init and after deinit.
inline const Host& host() noexcept { return detail::plugin_state().host; }

}  // namespace sdk
}  // namespace musicfs

#endif  // MUSICFS_CPP_HOST_HPP
