#include "plugin/registry.hpp"

#include "plugin/host.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <map>
#include <regex>
#include <stdexcept>

namespace musicfs::plugin {
namespace {

// Largest struct size a plugin may declare: anything bigger is a corrupt table, not growth.
constexpr std::uint32_t kMaxStructSize = 1u << 16;

// Copies a plugin's kind vtable into a zeroed host-sized struct. A plugin built against an
// older minor hands a shorter struct (the fields it lacks stay NULL: "not implemented"); one
// built against a newer minor hands a longer one (the host ignores what it does not know).
template <typename Kind>
std::unique_ptr<Kind> adopt_kind(const void* raw, std::size_t min_size, const char* kind_id) {
    if (!raw) return nullptr;
    const auto declared = *static_cast<const std::uint32_t*>(raw);
    if (declared < min_size || declared > kMaxStructSize) {
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

#define MFS_SIZE_THROUGH(type, member) (offsetof(type, member) + sizeof(static_cast<type*>(nullptr)->member))

// dlopen() hands back the library already loaded under the same path, even when the file was
// replaced since. A reload therefore loads through a link with a name never used before; the
// loader then compares the file itself (device and inode) and maps the new one.
std::filesystem::path fresh_name(const std::filesystem::path& path) {
    static std::atomic<unsigned> generation{0};
    auto link = std::filesystem::temp_directory_path() /
                fmt::format("musicfs-{}-{}-{}.so", getpid(), ++generation, path.stem().string());
    std::filesystem::create_symlink(std::filesystem::absolute(path), link);
    return link;
}

// Libraries can be loaded more than once (two paths to one file, a reload that finds the
// same file): init and deinit run once per library, counted here.
std::mutex g_init_mu;
std::map<const mfs_plugin_t*, int> g_init_count;  // guarded by g_init_mu

}  // namespace

Plugin::Plugin(std::filesystem::path path, boost::dll::shared_library lib, const mfs_plugin_t* desc)
    : path_(std::move(path)), lib_(std::move(lib)), desc_(desc) {}

Plugin::~Plugin() {
    if (!initialised_) return;
    std::lock_guard lock(g_init_mu);
    if (--g_init_count[desc_] > 0) return;
    g_init_count.erase(desc_);
    spdlog::debug("plugin {} {}: deinit", id(), version());
    try {
        if (desc_->deinit) desc_->deinit();
    } catch (...) {
        spdlog::error("plugin {}: deinit threw an exception", id());
    }
}

std::vector<const mfs_template_function_t*> Plugin::template_functions() const {
    std::vector<const mfs_template_function_t*> out;
    for (const auto& f : template_functions_) out.push_back(&f);
    return out;
}

void Plugin::initialise() {
    register_plugin_name(id(), name());  // before init: init may already read its options
    {
        std::lock_guard lock(g_init_mu);
        if (g_init_count[desc_] == 0 && desc_->init) {
            int32_t rc = 0;
            try {
                rc = desc_->init(host_services());
            } catch (...) {
                rc = -EIO;
            }
            if (rc != 0) {
                g_init_count.erase(desc_);
                throw std::runtime_error(fmt::format("its init failed ({})", std::strerror(-rc)));
            }
        }
        ++g_init_count[desc_];
        initialised_ = true;
    }
    if (desc_->get_kind) {
        // Every callback of version 1.0 of a table must be inside the declared size (it may
        // still be NULL where the header allows it).
        origin_kind_ = adopt_kind<mfs_origin_kind_t>(
            desc_->get_kind(MFS_ORIGIN_KIND_ID), MFS_SIZE_THROUGH(mfs_origin_kind_t, close),
            MFS_ORIGIN_KIND_ID);
        metadata_kind_ = adopt_kind<mfs_metadata_kind_t>(
            desc_->get_kind(MFS_METADATA_KIND_ID), MFS_SIZE_THROUGH(mfs_metadata_kind_t, read),
            MFS_METADATA_KIND_ID);
        template_kind_ = adopt_kind<mfs_template_kind_t>(
            desc_->get_kind(MFS_TEMPLATE_KIND_ID),
            MFS_SIZE_THROUGH(mfs_template_kind_t, functions), MFS_TEMPLATE_KIND_ID);
        format_kind_ = adopt_kind<mfs_format_kind_t>(
            desc_->get_kind(MFS_FORMAT_KIND_ID), MFS_SIZE_THROUGH(mfs_format_kind_t, transform),
            MFS_FORMAT_KIND_ID);
    }
    if (origin_kind_ && (!origin_kind_->create || !origin_kind_->destroy || !origin_kind_->list ||
                         !origin_kind_->stat || !origin_kind_->open || !origin_kind_->read ||
                         !origin_kind_->close))
        throw std::runtime_error("its origin table lacks a required callback");
    if (metadata_kind_ &&
        (!metadata_kind_->create || !metadata_kind_->destroy || !metadata_kind_->read))
        throw std::runtime_error("its metadata table lacks a required callback");
    if (format_kind_ && (!format_kind_->formats || !format_kind_->create ||
                         !format_kind_->destroy || !format_kind_->layout))
        throw std::runtime_error("its format table lacks a required field");
    if (template_kind_) {
        static const std::regex kName("[a-z0-9_]+");
        if (template_kind_->function_count > 0 && !template_kind_->functions)
            throw std::runtime_error("its template table has no functions array");
        for (std::uint32_t i = 0; i < template_kind_->function_count; ++i) {
            const auto* f = template_kind_->functions[i];
            if (!f || f->struct_size < MFS_SIZE_THROUGH(mfs_template_function_t, call) ||
                f->struct_size > kMaxStructSize)
                throw std::runtime_error(
                    fmt::format("its template function #{} has an impossible size", i));
            if (!f->name || !std::regex_match(f->name, kName) || !f->call)
                throw std::runtime_error(fmt::format(
                    "its template function #{} has no valid name ([a-z0-9_]+) or no call", i));
            // A host-sized copy, as for the kind tables: members past the plugin's struct_size
            // (a plugin built before they existed) read 0.
            mfs_template_function_t copy;
            std::memset(&copy, 0, sizeof copy);
            std::memcpy(&copy, f, std::min<std::size_t>(f->struct_size, sizeof copy));
            copy.struct_size = sizeof copy;
            template_functions_.push_back(copy);
        }
    }
    if (!origin_kind_ && !metadata_kind_ && !template_kind_ && !format_kind_)
        throw std::runtime_error("it provides no plugin kind this musicfs knows");
}

std::string Plugin::kinds() const {
    std::vector<std::string> k;
    if (origin_kind_) k.emplace_back("origin");
    if (metadata_kind_) k.emplace_back("metadata");
    if (template_kind_) k.emplace_back("template");
    if (format_kind_) k.emplace_back("format");
    return fmt::format("{}", fmt::join(k, ","));
}

Registry::Registry(std::vector<std::filesystem::path> dirs) : dirs_(std::move(dirs)) {
    std::lock_guard lock(mu_);
    for (const auto& f : plugin_files()) load_locked(f, false);
}

std::vector<std::filesystem::path> Registry::plugin_files() const {
    std::vector<std::filesystem::path> out;
    for (const auto& dir : dirs_) {
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
        out.insert(out.end(), files.begin(), files.end());
    }
    return out;
}

PluginPtr Registry::load_file(const std::filesystem::path& path) {
    std::lock_guard lock(mu_);
    return load_locked(path, false);
}

PluginPtr Registry::load_locked(const std::filesystem::path& path, bool fresh) {
    // `expected`: a refusal the configuration asked for (an override), not worth a warning.
    auto refuse = [&](const std::string& reason, bool expected = false) -> PluginPtr {
        if (expected)
            spdlog::info("plugin {} not loaded: {}", path.string(), reason);
        else
            spdlog::warn("plugin {} refused: {}", path.string(), reason);
        refused_.push_back({path, reason});
        return nullptr;
    };
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return refuse(fmt::format("{}", std::strerror(errno)));
    boost::dll::shared_library lib;
    std::filesystem::path load_path = path;
    try {
        if (fresh) load_path = fresh_name(path);
        lib.load(load_path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        std::error_code ignored;
        if (fresh) std::filesystem::remove(load_path, ignored);
        return refuse(fmt::format("cannot be loaded: {}", e.what()));
    }
    std::error_code ignored;
    if (fresh) std::filesystem::remove(load_path, ignored);  // mapped now; the name has served
    if (!lib.has(MFS_PLUGIN_ENTRY_SYMBOL))
        return refuse("it does not export " MFS_PLUGIN_ENTRY_SYMBOL);
    const mfs_plugin_t* desc = nullptr;
    try {
        desc = lib.get<const mfs_plugin_t*()>(MFS_PLUGIN_ENTRY_SYMBOL)();
    } catch (...) {
        return refuse("its entry point threw an exception");
    }
    if (!desc) return refuse("its entry point returned no descriptor");
    // Only the first 8 bytes (struct_size, abi_major, abi_minor) mean the same in every major:
    // the version comes first, and nothing past those bytes (not even the id) is read from a
    // descriptor of another major, whose shape may differ.
    if (desc->abi_major != MFS_ABI_VERSION_MAJOR)
        return refuse(fmt::format("built for plugin ABI {}.{}, but this musicfs speaks ABI {}.{}",
                                  desc->abi_major, desc->abi_minor, MFS_ABI_VERSION_MAJOR,
                                  MFS_ABI_VERSION_MINOR));
    if (desc->struct_size < MFS_SIZE_THROUGH(mfs_plugin_t, get_kind) ||
        desc->struct_size > kMaxStructSize)
        return refuse(fmt::format("its descriptor declares an impossible size of {} bytes",
                                  desc->struct_size));
    const std::string id = desc->id ? desc->id : "";
    if (id.empty() || !desc->name || !*desc->name)
        return refuse("its descriptor has no id or name");
    for (const auto& e : entries_) {
        if (e.plugin->id() != id || e.plugin->path() == path) continue;
        // Directories are searched in order and the first provider of an id wins: one in an
        // earlier directory (plugins.path) overrides this one on purpose, which is no cause for
        // a warning on every start. Two of one id in the same directory are a mistake.
        if (e.plugin->path().parent_path() != path.parent_path())
            return refuse(fmt::format("overridden by {} (id {}, from an earlier directory)",
                                      e.plugin->path().string(), id),
                          true);
        return refuse(fmt::format("id {} is already provided by {}", id,
                                  e.plugin->path().string()));
    }

    auto plugin = std::make_shared<Plugin>(path, std::move(lib), desc);
    try {
        plugin->initialise();
    } catch (const std::exception& e) {
        return refuse(fmt::format("{} ({}): {}", id, desc->name, e.what()));
    }
    spdlog::debug("loaded plugin {} {} ({}) from {}", plugin->id(), plugin->version(),
                  plugin->kinds(), path.string());
    std::error_code ec;
    entries_.push_back({plugin, std::filesystem::last_write_time(path, ec),
                        static_cast<std::uintmax_t>(st.st_size), static_cast<std::uint64_t>(st.st_ino)});
    return plugin;
}

std::vector<PluginPtr> Registry::plugins() const {
    std::lock_guard lock(mu_);
    std::vector<PluginPtr> out;
    for (const auto& e : entries_) out.push_back(e.plugin);
    return out;
}

std::vector<RefusedPlugin> Registry::refused() const {
    std::lock_guard lock(mu_);
    return refused_;
}

PluginPtr Registry::find_locked(const std::string& name, bool (*has_kind)(const Plugin&)) const {
    for (const auto& e : entries_)
        if (has_kind(*e.plugin) && (e.plugin->name() == name || e.plugin->id() == name))
            return e.plugin;
    return nullptr;
}

PluginPtr Registry::find_origin(const std::string& name) const {
    std::lock_guard lock(mu_);
    return find_locked(name, [](const Plugin& p) { return p.origin_kind() != nullptr; });
}

PluginPtr Registry::find_metadata(const std::string& name) const {
    std::lock_guard lock(mu_);
    return find_locked(name, [](const Plugin& p) { return p.metadata_kind() != nullptr; });
}

PluginPtr Registry::find_format(const std::string& format) const {
    std::lock_guard lock(mu_);
    for (const auto& e : entries_) {
        const auto* kind = e.plugin->format_kind();
        if (!kind) continue;
        for (const char* const* f = kind->formats; *f; ++f)
            if (format == *f) return e.plugin;
    }
    return nullptr;
}

ReloadReport Registry::reload() {
    std::lock_guard lock(mu_);
    ReloadReport report;
    refused_.clear();
    const auto files = plugin_files();
    std::vector<Entry> kept;
    std::vector<Entry> stale;
    for (auto& e : entries_) {
        struct stat st {};
        std::error_code ec;
        const bool present = std::find(files.begin(), files.end(), e.plugin->path()) != files.end();
        if (present && ::stat(e.plugin->path().c_str(), &st) == 0 &&
            static_cast<std::uint64_t>(st.st_ino) == e.inode &&
            static_cast<std::uintmax_t>(st.st_size) == e.size &&
            std::filesystem::last_write_time(e.plugin->path(), ec) == e.mtime)
            kept.push_back(std::move(e));
        else
            stale.push_back(std::move(e));
    }
    entries_ = std::move(kept);
    for (const auto& f : files) {
        const bool known = std::any_of(entries_.begin(), entries_.end(),
                                       [&](const Entry& e) { return e.plugin->path() == f; });
        if (known) continue;
        auto fresh = load_locked(f, true);
        if (!fresh) continue;
        auto old = std::find_if(stale.begin(), stale.end(),
                                [&](const Entry& e) { return e.plugin->id() == fresh->id(); });
        if (old != stale.end()) {
            spdlog::info("plugin {} reloaded: {} -> {}", fresh->id(), old->plugin->version(),
                         fresh->version());
            report.replaced.emplace_back(old->plugin, fresh);
            stale.erase(old);
        } else {
            spdlog::info("plugin {} {} loaded", fresh->id(), fresh->version());
            report.added.push_back(fresh);
        }
    }
    for (auto& e : stale) {
        spdlog::info("plugin {} {} is gone", e.plugin->id(), e.plugin->version());
        report.removed.push_back(std::move(e.plugin));
    }
    return report;
}

std::filesystem::path default_plugin_dir() {
    const auto exe = boost::dll::program_location();
    return exe.parent_path().parent_path() / "lib" / "musicfs" / "plugins";
}

}  // namespace musicfs::plugin
