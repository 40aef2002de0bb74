/*
 * A plugin as someone built it against the ABI 1.0 SDK and never rebuilt: compiled ONLY against
 * the frozen copy tests/abi/frozen-1.0/ (not MusicFS::sdk). The test abi.loader checks that the
 * current host still loads it and serves its files; that must stay true for every 1.x host.
 *
 * An origin serving a small in-memory tree:
 *   hello.txt              "Hello from a MusicFS 1.0 plugin\n"
 *   album/                 directory
 *   album/01 track.bin     `track_size` bytes (default 70001), byte i = (i * 31 + 7) mod 251
 *   album/empty.bin        0 bytes
 * Configuration: `track_size` (optional, a decimal byte count); any other key is refused with
 * -EINVAL.
 */
#include <musicfs/musicfs.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_ID "org.musicfs.test.frozen-1.0-origin"

static const char kHello[] = "Hello from a MusicFS 1.0 plugin\n";
static const mfs_host_t* g_host;

struct mfs_origin {
    uint64_t track_size;
};

struct mfs_origin_file {
    const char* text; /* hello.txt, or NULL for the generated track */
    uint64_t size;
};

static void log_line(int32_t level, const char* message) {
    if (g_host && g_host->log) g_host->log(g_host->ctx, level, PLUGIN_ID, message);
}

static int32_t entry_stat(const mfs_origin_t* o, const char* path, mfs_origin_stat_t* st) {
    st->mtime_ns = 1000000000LL * 1700000000LL;
    st->size = 0;
    if (strcmp(path, "") == 0 || strcmp(path, "album") == 0) {
        st->type = MFS_ENTRY_DIRECTORY;
    } else if (strcmp(path, "hello.txt") == 0) {
        st->type = MFS_ENTRY_FILE;
        st->size = sizeof kHello - 1;
    } else if (strcmp(path, "album/01 track.bin") == 0) {
        st->type = MFS_ENTRY_FILE;
        st->size = o->track_size;
    } else if (strcmp(path, "album/empty.bin") == 0) {
        st->type = MFS_ENTRY_FILE;
    } else {
        return -ENOENT;
    }
    return 0;
}

static int32_t origin_create(const mfs_host_t* host, const mfs_config_t* config,
                             mfs_origin_t** out) {
    (void)host;
    uint64_t track_size = 70001;
    for (uint32_t i = 0; config && i < config->count; ++i) {
        const mfs_config_entry_t* e = &config->entries[i];
        char* end = NULL;
        if (strcmp(e->key, "track_size") == 0) {
            errno = 0;
            unsigned long long v = strtoull(e->value, &end, 10);
            if (errno != 0 || end == e->value || *end != '\0') {
                log_line(MFS_LOG_ERROR, "track_size must be a byte count");
                return -EINVAL;
            }
            track_size = (uint64_t)v;
        } else {
            log_line(MFS_LOG_ERROR, "unknown configuration key");
            return -EINVAL;
        }
    }
    mfs_origin_t* o = malloc(sizeof *o);
    if (!o) return -ENOMEM;
    o->track_size = track_size;
    *out = o;
    return 0;
}

static void origin_destroy(mfs_origin_t* o) { free(o); }

static int32_t origin_list(mfs_origin_t* o, const char* dir, mfs_origin_list_sink_fn sink,
                           void* sink_ctx) {
    static const char* const kRoot[] = {"hello.txt", "album", NULL};
    static const char* const kAlbum[] = {"01 track.bin", "empty.bin", NULL};
    const char* const* names;
    if (strcmp(dir, "") == 0) names = kRoot;
    else if (strcmp(dir, "album") == 0) names = kAlbum;
    else if (strcmp(dir, "hello.txt") == 0 || strcmp(dir, "album/01 track.bin") == 0 ||
             strcmp(dir, "album/empty.bin") == 0)
        return -ENOTDIR;
    else
        return -ENOENT;
    for (; *names; ++names) {
        char path[64];
        snprintf(path, sizeof path, "%s%s%s", dir, *dir ? "/" : "", *names);
        mfs_origin_stat_t st = {sizeof st, 0, 0, 0};
        entry_stat(o, path, &st);
        if (sink(sink_ctx, *names, &st) != 0) break;
    }
    return 0;
}

static int32_t origin_stat(mfs_origin_t* o, const char* path, mfs_origin_stat_t* out) {
    return entry_stat(o, path, out);
}

static int32_t origin_open(mfs_origin_t* o, const char* path, mfs_origin_file_t** out) {
    mfs_origin_stat_t st = {sizeof st, 0, 0, 0};
    int32_t rc = entry_stat(o, path, &st);
    if (rc != 0) return rc;
    if (st.type != MFS_ENTRY_FILE) return -EISDIR;
    mfs_origin_file_t* f = malloc(sizeof *f);
    if (!f) return -ENOMEM;
    f->text = strcmp(path, "hello.txt") == 0 ? kHello : NULL;
    f->size = st.size;
    *out = f;
    return 0;
}

static int64_t origin_read(mfs_origin_file_t* f, uint64_t offset, void* buf, uint64_t len) {
    if (offset >= f->size) return 0;
    if (len > f->size - offset) len = f->size - offset;
    unsigned char* out = buf;
    for (uint64_t i = 0; i < len; ++i)
        out[i] = f->text ? (unsigned char)f->text[offset + i]
                         : (unsigned char)(((offset + i) * 31 + 7) % 251);
    return (int64_t)len;
}

static void origin_close(mfs_origin_file_t* f) { free(f); }

static const void* origin_get_extension(mfs_origin_t* o, const char* id) {
    (void)o;
    (void)id;
    return NULL;
}

static const mfs_origin_kind_t kOriginKind = {
    .struct_size = sizeof(mfs_origin_kind_t), /* 72: the 1.0 size, forever */
    .create = origin_create,
    .destroy = origin_destroy,
    .list = origin_list,
    .stat = origin_stat,
    .open = origin_open,
    .read = origin_read,
    .close = origin_close,
    .get_extension = origin_get_extension,
};

static int32_t plugin_init(const mfs_host_t* host) {
    /* A 1.x host hands a table at least as large as the 1.0 one, with every 1.0 service set. */
    if (!host || host->struct_size < sizeof(mfs_host_t) || host->abi_major != 1 || !host->log ||
        !host->config_get || !host->counter_add || !host->progress || !host->get_extension)
        return -EPROTO;
    if (host->get_extension(host->ctx, "org.musicfs.test.no-such-extension/1") != NULL)
        return -EPROTO;
    g_host = host;
    log_line(MFS_LOG_DEBUG, "frozen 1.0 origin initialised");
    return 0;
}

static void plugin_deinit(void) { g_host = NULL; }

static const void* plugin_get_kind(const char* kind_id) {
    return strcmp(kind_id, MFS_ORIGIN_KIND_ID) == 0 ? &kOriginKind : NULL;
}

static const mfs_plugin_t kPlugin = {
    .struct_size = sizeof(mfs_plugin_t),
    .abi_major = MFS_ABI_VERSION_MAJOR, /* 1 */
    .abi_minor = MFS_ABI_VERSION_MINOR, /* 0 */
    .id = PLUGIN_ID,
    .name = "frozen",
    .version = "1.0.0",
    .description = "Test origin built against the frozen ABI 1.0 headers",
    .init = plugin_init,
    .deinit = plugin_deinit,
    .get_kind = plugin_get_kind,
};

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) { return &kPlugin; }
