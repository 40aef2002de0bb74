// origin-probe: a test origin that serves a directory like origin-local and makes the host's
// plugin handling observable.
//
// Built in several versions (PROBE_VERSION, PROBE_ABI_MAJOR). It appends "init <version>" and
// "deinit <version>" to the file named by its plugin option `log` ([plugins.probe] log = ...,
// read through the host's config_get), and an instance created with `throw_on = "list"` (or
// "open") throws a C++ exception out of that callback, as a careless C++ plugin would.
#include <musicfs/musicfs.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const mfs_host_t* g_host = nullptr;
constexpr const char* kId = "org.musicfs.test.probe";

struct Instance {
    std::string root;
    std::string throw_on;
};

struct File {
    int fd;
};

void note(const char* what) {
    char path[4096];
    if (!g_host || g_host->config_get(g_host->ctx, kId, "log", path, sizeof path) <= 0) return;
    if (FILE* f = std::fopen(path, "a")) {
        std::fprintf(f, "%s %s\n", what, PROBE_VERSION);
        std::fclose(f);
    }
}

int32_t create(const mfs_host_t*, const mfs_config_t* config, mfs_origin_t** out) {
    auto* inst = new Instance;
    for (uint32_t i = 0; i < config->count; ++i) {
        const std::string key = config->entries[i].key;
        if (key == "root") inst->root = config->entries[i].value;
        if (key == "throw_on") inst->throw_on = config->entries[i].value;
    }
    if (inst->root.empty()) {
        delete inst;
        return -EINVAL;
    }
    *out = reinterpret_cast<mfs_origin_t*>(inst);
    return 0;
}

void destroy(mfs_origin_t* o) { delete reinterpret_cast<Instance*>(o); }

Instance& self(mfs_origin_t* o) { return *reinterpret_cast<Instance*>(o); }

void fill(const struct stat& st, mfs_origin_stat_t* out) {
    out->type = S_ISREG(st.st_mode) ? MFS_ENTRY_FILE : S_ISDIR(st.st_mode) ? MFS_ENTRY_DIRECTORY
                                                                            : MFS_ENTRY_OTHER;
    out->size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
    out->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

int32_t list(mfs_origin_t* o, const char* dir, mfs_origin_list_sink_fn sink, void* ctx) {
    if (self(o).throw_on == "list") throw std::runtime_error("probe: list throws on purpose");
    const std::string full = self(o).root + "/" + dir;
    DIR* d = opendir(full.c_str());
    if (!d) return -errno;
    while (const dirent* e = readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, "..")) continue;
        struct stat st {};
        if (stat((full + "/" + e->d_name).c_str(), &st) != 0) continue;
        mfs_origin_stat_t ms{sizeof ms, 0, 0, 0};
        fill(st, &ms);
        if (sink(ctx, e->d_name, &ms) != 0) break;
    }
    closedir(d);
    return 0;
}

int32_t stat_path(mfs_origin_t* o, const char* path, mfs_origin_stat_t* out) {
    struct stat st {};
    if (stat((self(o).root + "/" + path).c_str(), &st) != 0) return -errno;
    fill(st, out);
    return 0;
}

int32_t open_file(mfs_origin_t* o, const char* path, mfs_origin_file_t** out) {
    if (self(o).throw_on == "open") throw std::runtime_error("probe: open throws on purpose");
    const int fd = ::open((self(o).root + "/" + path).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    *out = reinterpret_cast<mfs_origin_file_t*>(new File{fd});
    return 0;
}

int64_t read_file(mfs_origin_file_t* f, uint64_t offset, void* buf, uint64_t len) {
    const ssize_t n = pread(reinterpret_cast<File*>(f)->fd, buf, len, static_cast<off_t>(offset));
    return n < 0 ? -errno : n;
}

void close_file(mfs_origin_file_t* f) {
    ::close(reinterpret_cast<File*>(f)->fd);
    delete reinterpret_cast<File*>(f);
}

const mfs_origin_kind_t kKind{
    .struct_size = sizeof(mfs_origin_kind_t),
    .create = create,
    .destroy = destroy,
    .list = list,
    .stat = stat_path,
    .open = open_file,
    .read = read_file,
    .close = close_file,
    .get_extension = nullptr,
};

int32_t init(const mfs_host_t* host) {
    g_host = host;
    note("init");
    return 0;
}

void deinit() { note("deinit"); }

const void* get_kind(const char* id) {
    return std::strcmp(id, MFS_ORIGIN_KIND_ID) == 0 ? &kKind : nullptr;
}

const mfs_plugin_t kPlugin{
    .struct_size = sizeof(mfs_plugin_t),
    .abi_major = PROBE_ABI_MAJOR,
    .abi_minor = MFS_ABI_VERSION_MINOR,
    .id = kId,
    .name = "probe",
    .version = PROBE_VERSION,
    .description = "Test origin making plugin handling observable",
    .init = init,
    .deinit = deinit,
    .get_kind = get_kind,
};

}  // namespace

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) { return &kPlugin; }
