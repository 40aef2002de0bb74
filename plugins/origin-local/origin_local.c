/*
 * origin-local: a directory tree on a local (or locally mounted) file system.
 *
 * Configuration:
 *   root = "/path/to/music"   required; the directory the origin serves
 *
 * Symbolic links are followed. A link to a directory that is one of its own ancestors is
 * reported as "other" (and logged) so that a walk of the tree always ends. Names are passed
 * through as bytes; a name that is not valid UTF-8 is logged once when listed.
 */
#include <musicfs/musicfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLUGIN_ID "org.musicfs.origin.local"

static const mfs_host_t* g_host;

struct mfs_origin {
    char* root; /* canonical absolute path, no trailing slash (except "/") */
};

struct mfs_origin_file {
    int fd;
};

static void logf_(int32_t level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int32_t level, const char* fmt, ...) {
    if (!g_host || !g_host->log) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_host->log(g_host->ctx, level, PLUGIN_ID, buf);
}

/* Copies `s` into `out` (size n) with bytes that are not valid UTF-8 written as \xNN, so that
 * the name can go into a UTF-8 log line. Returns 1 when `s` was valid UTF-8. */
static int escape_utf8(const char* s, char* out, size_t n) {
    const unsigned char* p = (const unsigned char*)s;
    size_t o = 0;
    int valid = 1;
    while (*p && o + 5 < n) {
        size_t len = 0;
        if (p[0] < 0x80) len = 1;
        else if (p[0] >= 0xC2 && p[0] <= 0xDF) len = 2;
        else if (p[0] >= 0xE0 && p[0] <= 0xEF) len = 3;
        else if (p[0] >= 0xF0 && p[0] <= 0xF4) len = 4;
        size_t k = 1;
        for (; len && k < len; ++k)
            if ((p[k] & 0xC0) != 0x80) break;
        if (len == 0 || k < len || o + len >= n) {
            if (len && o + len >= n) break;
            valid = 0;
            o += (size_t)snprintf(out + o, n - o, "\\x%02X", p[0]);
            ++p;
            continue;
        }
        memcpy(out + o, p, len);
        o += len;
        p += len;
    }
    out[o] = '\0';
    return valid && !*p;
}

/* A relative path is acceptable when it does not climb out of the root. */
static int path_ok(const char* path) {
    if (path[0] == '/') return 0;
    for (const char* c = path; *c;) {
        const char* end = strchr(c, '/');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (len == 2 && c[0] == '.' && c[1] == '.') return 0;
        if (!end) break;
        c = end + 1;
    }
    return 1;
}

/* Joins root and path into a malloc'ed string; NULL (errno set) on failure. */
static char* join(const struct mfs_origin* o, const char* path) {
    if (!path_ok(path)) {
        errno = EINVAL;
        return NULL;
    }
    size_t rl = strlen(o->root), pl = strlen(path);
    char* s = malloc(rl + 1 + pl + 1);
    if (!s) return NULL;
    memcpy(s, o->root, rl);
    size_t at = rl;
    if (pl) {
        if (at == 0 || s[at - 1] != '/') s[at++] = '/';
        memcpy(s + at, path, pl);
        at += pl;
    }
    s[at] = '\0';
    return s;
}

static void fill_stat(const struct stat* st, mfs_origin_stat_t* out) {
    out->type = S_ISREG(st->st_mode) ? MFS_ENTRY_FILE
              : S_ISDIR(st->st_mode) ? MFS_ENTRY_DIRECTORY
                                     : MFS_ENTRY_OTHER;
    out->size = S_ISREG(st->st_mode) ? (uint64_t)st->st_size : 0;
    out->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* True when the directory `target` (after resolving links) is `dir` or one of its ancestors:
 * following it would walk in a circle. */
static int is_ancestor_link(const char* dir, const char* entry_path) {
    char resolved_target[PATH_MAX], resolved_dir[PATH_MAX];
    if (!realpath(entry_path, resolved_target) || !realpath(dir, resolved_dir)) return 0;
    size_t tl = strlen(resolved_target);
    if (strncmp(resolved_dir, resolved_target, tl) != 0) return 0;
    return resolved_dir[tl] == '\0' || resolved_dir[tl] == '/' || tl == 1;
}

static int32_t origin_create(const mfs_host_t* host, const mfs_config_t* config,
                             mfs_origin_t** out) {
    (void)host;
    const char* root = NULL;
    for (uint32_t i = 0; i < config->count; ++i) {
        const mfs_config_entry_t* e = &config->entries[i];
        if (strcmp(e->key, "root") == 0) root = e->value;
        else logf_(MFS_LOG_WARN, "unknown option '%s' ignored", e->key);
    }
    if (!root || !*root) {
        logf_(MFS_LOG_ERROR, "the option 'root' (the music directory) is required");
        return -EINVAL;
    }
    char resolved[PATH_MAX];
    if (!realpath(root, resolved)) {
        int err = errno;
        logf_(MFS_LOG_ERROR, "root %s: %s", root, strerror(err));
        return -err;
    }
    struct stat st;
    if (stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode)) {
        logf_(MFS_LOG_ERROR, "root %s is not a directory", root);
        return -ENOTDIR;
    }
    struct mfs_origin* o = calloc(1, sizeof *o);
    if (!o || !(o->root = strdup(resolved))) {
        free(o);
        return -ENOMEM;
    }
    *out = o;
    return 0;
}

static void origin_destroy(mfs_origin_t* o) {
    if (!o) return;
    free(o->root);
    free(o);
}

static int32_t origin_list(mfs_origin_t* o, const char* dir, mfs_origin_list_sink_fn sink,
                           void* sink_ctx) {
    char* full = join(o, dir);
    if (!full) return -errno;
    int dfd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        int err = errno;
        free(full);
        return -err;
    }
    DIR* d = fdopendir(dfd);
    if (!d) {
        int err = errno;
        close(dfd);
        free(full);
        return -err;
    }
    int32_t rc = 0;
    struct dirent* de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char* name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        char shown[512];
        if (!escape_utf8(name, shown, sizeof shown))
            logf_(MFS_LOG_WARN, "%s/%s: the name is not valid UTF-8; passed through as bytes",
                  dir, shown);
        struct stat st;
        if (fstatat(dfd, name, &st, 0) != 0) {
            logf_(MFS_LOG_WARN, "%s%s%s: %s; skipped", dir, *dir ? "/" : "", shown,
                  strerror(errno));
            errno = 0;
            continue;
        }
        mfs_origin_stat_t ms = {sizeof ms, 0, 0, 0};
        fill_stat(&st, &ms);
        if (ms.type == MFS_ENTRY_DIRECTORY && de->d_type == DT_LNK) {
            size_t fl = strlen(full), nl = strlen(name);
            char* entry = malloc(fl + 1 + nl + 1);
            if (entry) {
                memcpy(entry, full, fl);
                entry[fl] = '/';
                memcpy(entry + fl + 1, name, nl + 1);
                if (is_ancestor_link(full, entry)) {
                    logf_(MFS_LOG_WARN,
                          "%s%s%s: symbolic link to one of its own parent directories; not "
                          "followed",
                          dir, *dir ? "/" : "", shown);
                    ms.type = MFS_ENTRY_OTHER;
                }
                free(entry);
            }
        }
        if (sink(sink_ctx, name, &ms) != 0) {
            errno = 0;  // stopping early is not an error
            break;
        }
        errno = 0;
    }
    if (errno != 0) rc = -errno;
    closedir(d);
    free(full);
    return rc;
}

static int32_t origin_stat(mfs_origin_t* o, const char* path, mfs_origin_stat_t* out) {
    char* full = join(o, path);
    if (!full) return -errno;
    struct stat st;
    int rc = stat(full, &st);
    int err = errno;
    free(full);
    if (rc != 0) return -err;
    fill_stat(&st, out);
    return 0;
}

static int32_t origin_open(mfs_origin_t* o, const char* path, mfs_origin_file_t** out) {
    char* full = join(o, path);
    if (!full) return -errno;
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    int err = errno;
    free(full);
    if (fd < 0) return -err;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    }
    struct mfs_origin_file* f = malloc(sizeof *f);
    if (!f) {
        close(fd);
        return -ENOMEM;
    }
    f->fd = fd;
    *out = f;
    return 0;
}

static int64_t origin_read(mfs_origin_file_t* f, uint64_t offset, void* buf, uint64_t len) {
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = pread(f->fd, (char*)buf + done, (size_t)(len - done), (off_t)(offset + done));
        if (n < 0) {
            if (errno == EINTR) continue;
            return done ? (int64_t)done : -errno;
        }
        if (n == 0) break;
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

static void origin_close(mfs_origin_file_t* f) {
    if (!f) return;
    close(f->fd);
    free(f);
}

static const mfs_origin_kind_t kOriginKind = {
    .struct_size = sizeof(mfs_origin_kind_t),
    .create = origin_create,
    .destroy = origin_destroy,
    .list = origin_list,
    .stat = origin_stat,
    .open = origin_open,
    .read = origin_read,
    .close = origin_close,
};

static int32_t plugin_init(const mfs_host_t* host) {
    g_host = host;
    return 0;
}

static void plugin_deinit(void) { g_host = NULL; }

static const void* plugin_get_kind(const char* kind_id) {
    if (strcmp(kind_id, MFS_ORIGIN_KIND_ID) == 0) return &kOriginKind;
    return NULL;
}

static const mfs_plugin_t kPlugin = {
    .struct_size = sizeof(mfs_plugin_t),
    .abi_major = MFS_ABI_VERSION_MAJOR,
    .abi_minor = MFS_ABI_VERSION_MINOR,
    .id = PLUGIN_ID,
    .name = "local",
    .version = "0.1.0",
    .description = "Files in a local directory tree (or any mounted file system)",
    .init = plugin_init,
    .deinit = plugin_deinit,
    .get_kind = plugin_get_kind,
};

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) { return &kPlugin; }
