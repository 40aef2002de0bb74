// MusicFS C++ helpers: the plugin descriptor and its one exported entry point.
//
//   constexpr musicfs::sdk::PluginInfo kInfo{
//       .id = "org.example.meta.sidecar",          // reverse-DNS, never changes
//       .name = "sidecar",                         // the name config files use
//       .version = "0.1.0",
//       .description = "Tags from JSON files next to the audio files",
//   };
//   MUSICFS_SDK_PLUGIN(kInfo, musicfs::sdk::MetadataKind<Sidecar>);
//
// MUSICFS_SDK_PLUGIN(info, Kind...) defines `musicfs_plugin_entry`, so use it once per plugin,
// at global scope, after `info` (a constexpr PluginInfo at namespace scope). Each Kind is an
// sdk::OriginKind<...>, MetadataKind<...>, TemplateKind<...> or FormatKind<...>; one plugin may
// offer several kinds. The descriptor is built for the ABI version of the headers compiled
// against (MFS_ABI_VERSION_MAJOR/MINOR).
//
// Lifecycle: the host calls init once after loading (main thread): the helpers keep the host
// (sdk::host() returns it until deinit) and run info.init when set; an sdk::Error it throws
// refuses the plugin with that code and message. deinit runs once before unloading, after every
// instance was destroyed: info.deinit, then sdk::host() is reset.
#ifndef MUSICFS_CPP_PLUGIN_HPP
#define MUSICFS_CPP_PLUGIN_HPP

#include <musicfs/cpp/host.hpp>
#include <musicfs/plugin.h>

#include <cstring>

namespace musicfs {
namespace sdk MUSICFS_SDK_HIDDEN {

struct PluginInfo {
    const char* id = nullptr;           // reverse-DNS unique id, e.g. "org.example.origin.tar"
    const char* name = nullptr;         // short name for config files, e.g. "tar"
    const char* version = nullptr;      // the plugin's own version, e.g. "1.0.0"
    const char* description = nullptr;  // one line for `musicfs plugins`
    // Optional: run once after loading [main-thread]; may throw sdk::Error to refuse loading.
    void (*init)(const Host& host) = nullptr;
    // Optional: run once before unloading [main-thread].
    void (*deinit)() = nullptr;
};

namespace detail {

template <const PluginInfo& Info, typename... Kinds>
class PluginDefinition {
    static_assert(Info.id != nullptr && Info.name != nullptr,
                  "a plugin needs an id and a name");
    static_assert(sizeof...(Kinds) > 0, "a plugin offers at least one kind");

public:
    static const mfs_plugin_t* entry() noexcept {
        plugin_state().plugin_id = Info.id;
        return &kDescriptor;
    }

private:
    static std::int32_t init(const mfs_host_t* c_host) noexcept {
        PluginState& state = plugin_state();
        state.plugin_id = Info.id;
        state.host = Host(c_host, Info.id);
        if (Info.init == nullptr) {
            return 0;
        }
        const std::int32_t rc =
            guard<std::int32_t>(state.host, "init", {nullptr, 0}, MFS_LOG_ERROR, [&] {
                Info.init(state.host);
                return 0;
            });
        if (rc != 0) {
            state.host = Host();  // the host calls no deinit after a failed init
        }
        return rc;
    }

    static void deinit() noexcept {
        PluginState& state = plugin_state();
        if (Info.deinit != nullptr) {
            guard_void(state.host, "deinit", [] { Info.deinit(); });
        }
        state.host = Host();
    }

    static const void* get_kind(const char* kind_id) noexcept {
        const void* found = nullptr;
        if (kind_id != nullptr) {
            ((found == nullptr && std::strcmp(kind_id, Kinds::kind_id) == 0
                  ? (found = Kinds::table(), 0)
                  : 0),
             ...);
        }
        return found;
    }

    static constexpr mfs_plugin_t kDescriptor{
        .struct_size = sizeof(mfs_plugin_t),
        .abi_major = MFS_ABI_VERSION_MAJOR,
        .abi_minor = MFS_ABI_VERSION_MINOR,
        .id = Info.id,
        .name = Info.name,
        .version = Info.version != nullptr ? Info.version : "0",
        .description = Info.description != nullptr ? Info.description : "",
        .init = &init,
        .deinit = &deinit,
        .get_kind = &get_kind,
    };
};

}  // namespace detail

// The descriptor of a plugin, for authors who write musicfs_plugin_entry themselves.
template <const PluginInfo& Info, typename... Kinds>
const mfs_plugin_t* plugin_descriptor() noexcept {
    return detail::PluginDefinition<Info, Kinds...>::entry();
}

}  // namespace sdk
}  // namespace musicfs

// Defines the plugin's one exported symbol. Use once, at global scope (not inside an unnamed
// namespace: the symbol would not be exported), followed by a semicolon.
#define MUSICFS_SDK_PLUGIN(info, ...)                                                      \
    MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) noexcept {     \
        return ::musicfs::sdk::plugin_descriptor<info, __VA_ARGS__>();                    \
    }                                                                                      \
    static_assert(true, "")

#endif  // MUSICFS_CPP_PLUGIN_HPP
