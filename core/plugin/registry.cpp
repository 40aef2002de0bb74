#include "plugin/registry.hpp"

#include "plugin/host.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>

namespace musicfs::plugin {
namespace {

// Copies a plugin's kind vtable into a zeroed host-sized struct. A plugin built against an
// older minor hands a shorter struct (the fields it lacks stay NULL: "not implemented"); one
// built against a newer minor hands a longer one (the host ignores what it does not know).
template <typename Kind>
std::unique_ptr<Kind> adopt_kind(const void* raw, std::size_t min_size, const char* kind_id) {
    if (!raw) return nullptr;
    const auto declared = *static_cast<const std::uint32_t*>(raw);
    if (declared < min_size || declared > (1u << 20)) {
        throw std::runtime_error(fmt::format(
            "its {} table declares an impossible size of {} bytes (at least {} expected)", kind_id,
            declared, min_size));
    }
    auto kind = std::make_unique<Kind>();
    std::memset(kind.get(), 0, sizeof(Kind));
    std::memcpy(kind.get(), raw, std::min<std::size_t>(declared, sizeof(Kind)));
    kind->struct_size = sizeof(Kind);
    return kind;
}


}  // namespace

Plugin::Plugin(std::filesystem::path path, boost::dll::shared_library lib, const mfs_plugin_t* desc)
    : path_(std::move(path)), lib_(std::move(lib)), desc_(desc) {}

Plugin::~Plugin() {
    if (initialised_ && desc_->deinit) desc_->deinit();
}

void Plugin::initialise() {
    if (desc_->init) {
        if (const int32_t rc = desc_->init(host_services()); rc != 0)
            throw std::runtime_error(fmt::format("its init failed ({})", std::strerror(-rc)));
    }
    initialised_ = true;
    if (desc_->get_kind) {
        // Version 1.0 of each table: every callback through the last one is required to exist
        // as a field (it may still be NULL where documented).
        origin_kind_ = adopt_kind<mfs_origin_kind_t>(desc_->get_kind(MFS_ORIGIN_KIND_ID),
                                                     offsetof(mfs_origin_kind_t, close) +
                                                         sizeof(void*),
                                                     MFS_ORIGIN_KIND_ID);
        metadata_kind_ = adopt_kind<mfs_metadata_kind_t>(desc_->get_kind(MFS_METADATA_KIND_ID),
                                                         offsetof(mfs_metadata_kind_t, read) +
                                                             sizeof(void*),
                                                         MFS_METADATA_KIND_ID);
    }
    if (origin_kind_ && (!origin_kind_->create || !origin_kind_->destroy || !origin_kind_->list ||
                         !origin_kind_->stat || !origin_kind_->open || !origin_kind_->read ||
                         !origin_kind_->close))
        throw std::runtime_error("its origin table lacks a required callback");
    if (metadata_kind_ &&
        (!metadata_kind_->create || !metadata_kind_->destroy || !metadata_kind_->read))
        throw std::runtime_error("its metadata table lacks a required callback");
    if (!origin_kind_ && !metadata_kind_)
        throw std::runtime_error("it provides no plugin kind this musicfs knows");
}

std::string Plugin::kinds() const {
    std::vector<std::string> k;
    if (origin_kind_) k.emplace_back("origin");
    if (metadata_kind_) k.emplace_back("metadata");
    return fmt::format("{}", fmt::join(k, ", "));
}

Registry::Registry(const std::vector<std::filesystem::path>& dirs) {
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!std::filesystem::is_directory(dir, ec)) {
            spdlog::debug("plugin directory {} does not exist; skipped", dir.string());
            continue;
        }
        std::vector<std::filesystem::path> files;
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            if (entry.path().extension() == ".so") files.push_back(entry.path());
        if (ec) spdlog::warn("cannot list plugin directory {}: {}", dir.string(), ec.message());
        std::sort(files.begin(), files.end());
        for (const auto& f : files) load(f);
    }
}

void Registry::load(const std::filesystem::path& path) {
    auto refuse = [&](const std::string& reason) {
        spdlog::warn("plugin {} refused: {}", path.string(), reason);
        refused_.push_back({path, reason});
    };
    boost::dll::shared_library lib;
    try {
        lib.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        return refuse(fmt::format("cannot be loaded: {}", e.what()));
    }
    if (!lib.has(MFS_PLUGIN_ENTRY_SYMBOL))
        return refuse("it does not export " MFS_PLUGIN_ENTRY_SYMBOL);
    const mfs_plugin_t* desc = nullptr;
    try {
        desc = lib.get<const mfs_plugin_t*()>(MFS_PLUGIN_ENTRY_SYMBOL)();
    } catch (const std::exception& e) {
        return refuse(fmt::format("its entry point failed: {}", e.what()));
    }
    if (!desc) return refuse("its entry point returned no descriptor");
    if (desc->struct_size < offsetof(mfs_plugin_t, get_kind) + sizeof(void*) ||
        desc->struct_size > (1u << 20))
        return refuse(fmt::format("its descriptor declares an impossible size of {} bytes",
                                  desc->struct_size));
    if (desc->abi_major != MFS_ABI_VERSION_MAJOR)
        return refuse(fmt::format("built for plugin ABI {}.{}, but this musicfs speaks ABI {}.{}",
                                  desc->abi_major, desc->abi_minor, MFS_ABI_VERSION_MAJOR,
                                  MFS_ABI_VERSION_MINOR));
    if (!desc->id || !*desc->id || !desc->name || !*desc->name)
        return refuse("its descriptor has no id or name");
    for (const auto& p : plugins_)
        if (p->id() == desc->id)
            return refuse(fmt::format("id {} is already provided by {}", desc->id,
                                      p->path().string()));

    auto plugin = std::make_unique<Plugin>(path, std::move(lib), desc);
    try {
        plugin->initialise();
    } catch (const std::exception& e) {
        return refuse(fmt::format("{} ({}): {}", plugin->id(), plugin->name(), e.what()));
    }
    spdlog::debug("loaded plugin {} {} ({}) from {}", plugin->id(), plugin->version(),
                  plugin->kinds(), path.string());
    plugins_.push_back(std::move(plugin));
}

const Plugin* Registry::find_origin(const std::string& name) const {
    for (const auto& p : plugins_)
        if (p->origin_kind() && (p->name() == name || p->id() == name)) return p.get();
    return nullptr;
}

const Plugin* Registry::find_metadata(const std::string& name) const {
    for (const auto& p : plugins_)
        if (p->metadata_kind() && (p->name() == name || p->id() == name)) return p.get();
    return nullptr;
}

std::filesystem::path default_plugin_dir() {
    const auto exe = boost::dll::program_location();
    return exe.parent_path().parent_path() / "lib" / "musicfs" / "plugins";
}

}  // namespace musicfs::plugin
