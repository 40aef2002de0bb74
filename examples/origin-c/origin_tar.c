/*
 * origin-tar: the members of an uncompressed tar archive, served read-only as files.
 *
 * An album bought as one .tar, a backup written with `tar cf`, a tape image: MusicFS can mount
 * the music inside without unpacking it. Written in plain C11 against the MusicFS plugin ABI, as
 * an example of an origin plugin built outside the MusicFS source tree.
 *
 * Configuration ([[origin]] table of the MusicFS config file):
 *   type    = "tar"                  this plugin
 *   archive = "/path/to/music.tar"   required; an uncompressed tar archive (POSIX ustar, pax or
 *                                    GNU format, as GNU tar, bsdtar and Python's tarfile write)
 *
 * The archive is indexed once, when the origin is created (one 512-byte header read per member;
 * the data is skipped). Directories are served as the members' paths imply, whether or not the
 * archive has entries for them. Symbolic links and hard links to files in the archive are
 * served as those files; links that lead outside the archive, to a directory, or nowhere are
 * "other" entries (not served). Devices, FIFOs and sparse members are "other" entries too.
 * When a path occurs twice, the later member wins, as when the archive is extracted.
 *
 * The archive must not change while it is mounted: open() refuses with ESTALE (and logs why)
 * once its size or modification time differ from when it was indexed. Remount to re-index.
 *
 * Threading: the index is read-only after create(); reads use pread() on one descriptor, so
 * every callback is safe to call concurrently, as origin.h requires.
 */
#define _POSIX_C_SOURCE 200809L

#include <musicfs/musicfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PLUGIN_ID "org.musicfs.example.origin.tar"
#define BLOCK 512
#define MAX_LINK_HOPS 16

static const mfs_host_t* g_host; /* set by init (main thread) before any other call */

static void logf_(int32_t level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int32_t level, const char* fmt, ...) {
    if (!g_host || g_host->struct_size < offsetof(mfs_host_t, log) + sizeof g_host->log ||
        !g_host->log)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    g_host->log(g_host->ctx, level, PLUGIN_ID, buf);
}

/* --- The index ----------------------------------------------------------------------------- */

enum { KIND_FILE, KIND_DIR, KIND_SYMLINK, KIND_HARDLINK, KIND_OTHER };

struct member {
    char* path;    /* normalised: no leading "./" or "/", no trailing "/", no empty components */
    char* link;    /* symlink or hard link target as stored, else NULL */
    int kind;      /* KIND_*; links are resolved to KIND_FILE or KIND_OTHER after indexing */
    uint64_t data; /* offset of the data in the archive */
    uint64_t size;
    int64_t mtime_ns;
    size_t order;  /* position in the archive: the later of two equal paths wins */
};

struct mfs_origin {
    int fd;
    struct stat archive; /* as indexed; open() compares */
    struct member* members; /* sorted by path, unique */
    size_t count, capacity;
};

struct mfs_origin_file {
    const struct mfs_origin* origin;
    uint64_t data, size;
};

static int by_path_then_order(const void* a, const void* b) {
    const struct member *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    if (c) return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static struct member* find(const struct mfs_origin* o, const char* path) {
    size_t lo = 0, hi = o->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(o->members[mid].path, path);
        if (c == 0) return &o->members[mid];
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Normalises a member name into a new string: drops "/", "./" and empty components. Returns
 * NULL with errno EINVAL for a name with a ".." component (it would climb out of the archive),
 * or ENOMEM. An empty result ("./" itself) is returned as "". */
static char* normalise(const char* name, size_t len) {
    char* out = malloc(len + 1);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && name[j] != '/') ++j;
        size_t n = j - i;
        if (n == 2 && name[i] == '.' && name[i + 1] == '.') {
            free(out);
            errno = EINVAL;
            return NULL;
        }
        if (n > 0 && !(n == 1 && name[i] == '.')) {
            if (o) out[o++] = '/';
            memcpy(out + o, name + i, n);
            o += n;
        }
        i = j + 1;
    }
    out[o] = '\0';
    return out;
}

static int add_member(struct mfs_origin* o, const struct member* m) {
    if (o->count == o->capacity) {
        size_t cap = o->capacity ? o->capacity * 2 : 64;
        struct member* grown = realloc(o->members, cap * sizeof *grown);
        if (!grown) return -ENOMEM;
        o->members = grown;
        o->capacity = cap;
    }
    o->members[o->count++] = *m;
    return 0;
}

/* A numeric header field: octal digits (space/NUL padded), or GNU base-256 when the first byte
 * has its high bit set. Returns -1 when malformed. */
static int64_t number(const unsigned char* field, size_t len) {
    uint64_t v = 0;
    if (field[0] & 0x80) {
        if (field[0] & 0x40) return -1; /* negative: no valid size or time of ours */
        v = field[0] & 0x3F;
        for (size_t i = 1; i < len; ++i) {
            if (v >> 55) return -1;
            v = v << 8 | field[i];
        }
        return (int64_t)v;
    }
    size_t i = 0;
    while (i < len && field[i] == ' ') ++i;
    if (i == len || field[i] == '\0') return 0;
    if (field[i] < '0' || field[i] > '7') return -1;
    for (; i < len && field[i] >= '0' && field[i] <= '7'; ++i) {
        if (v >> 60) return -1;
        v = v << 3 | (uint64_t)(field[i] - '0');
    }
    return (int64_t)v;
}

static int checksum_ok(const unsigned char* h) {
    int64_t stored = number(h + 148, 8);
    uint64_t sum = 0;
    int64_t ssum = 0; /* some old tars summed signed chars */
    for (int i = 0; i < BLOCK; ++i) {
        unsigned char c = (i >= 148 && i < 156) ? ' ' : h[i];
        sum += c;
        ssum += (signed char)c;
    }
    return stored >= 0 && ((uint64_t)stored == sum || stored == ssum);
}

static int read_exact(int fd, uint64_t offset, void* buf, size_t len) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char*)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) return -EINVAL; /* the archive ends inside a header or a name */
        done += (size_t)n;
    }
    return 0;
}

/* Values a pax extended header ('x') or a GNU long name ('L', 'K') sets for the next member. */
struct pending {
    char* path;
    char* link;
    int64_t size;     /* -1: not set */
    int64_t mtime_ns; /* INT64_MIN: not set */
};

static void pending_clear(struct pending* p) {
    free(p->path);
    free(p->link);
    p->path = p->link = NULL;
    p->size = -1;
    p->mtime_ns = INT64_MIN;
}

static char* strndup_(const char* s, size_t n) {
    char* d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* Parses pax records "<len> <key>=<value>\n" for the keys we use. */
static int parse_pax(const char* data, size_t len, struct pending* p) {
    size_t at = 0;
    while (at < len) {
        size_t rec = 0, i = at;
        while (i < len && data[i] >= '0' && data[i] <= '9')
            rec = rec * 10 + (size_t)(data[i++] - '0');
        if (i >= len || data[i] != ' ' || rec == 0 || rec > len - at) return -EINVAL;
        const char* key = data + i + 1;
        const char* end = data + at + rec - 1; /* the '\n' */
        const char* eq = memchr(key, '=', (size_t)(end - key));
        if (!eq || *end != '\n') return -EINVAL;
        size_t klen = (size_t)(eq - key), vlen = (size_t)(end - eq - 1);
        const char* value = eq + 1;
        char** text = NULL;
        if (klen == 4 && memcmp(key, "path", 4) == 0) text = &p->path;
        else if (klen == 8 && memcmp(key, "linkpath", 8) == 0) text = &p->link;
        if (text) {
            free(*text);
            if (!(*text = strndup_(value, vlen))) return -ENOMEM;
        } else if ((klen == 4 && memcmp(key, "size", 4) == 0) ||
                   (klen == 5 && memcmp(key, "mtime", 5) == 0)) {
            char num[64];
            if (vlen >= sizeof num) return -EINVAL;
            memcpy(num, value, vlen);
            num[vlen] = '\0';
            char* stop;
            errno = 0;
            if (klen == 4) { /* size */
                unsigned long long v = strtoull(num, &stop, 10);
                if (errno || *stop || v > INT64_MAX) return -EINVAL;
                p->size = (int64_t)v;
            } else { /* mtime: seconds with an optional fraction */
                long long secs = strtoll(num, &stop, 10);
                long long ns = 0, scale = 100000000;
                if (errno) return -EINVAL;
                if (*stop == '.')
                    for (++stop; *stop >= '0' && *stop <= '9'; ++stop, scale /= 10)
                        ns += (*stop - '0') * scale;
                p->mtime_ns = (int64_t)secs * 1000000000 + (secs < 0 ? -ns : ns);
            }
        }
        at += rec;
    }
    return 0;
}

/* Reads a member's data (a long name, pax records) into a new NUL-terminated string. */
static char* read_text(int fd, uint64_t offset, int64_t size, int* err) {
    if (size < 0 || size > (1 << 20)) {
        *err = -EINVAL;
        return NULL;
    }
    char* s = malloc((size_t)size + 1);
    if (!s) {
        *err = -ENOMEM;
        return NULL;
    }
    if ((*err = read_exact(fd, offset, s, (size_t)size)) != 0) {
        free(s);
        return NULL;
    }
    s[size] = '\0';
    return s;
}

/* Walks the archive's headers and fills o->members (unsorted). */
static int index_archive(struct mfs_origin* o) {
    unsigned char h[BLOCK];
    uint64_t at = 0, end = (uint64_t)o->archive.st_size;
    struct pending p = {NULL, NULL, -1, INT64_MIN};
    int rc = 0;
    size_t order = 0;
    while (at + BLOCK <= end) {
        if ((rc = read_exact(o->fd, at, h, BLOCK)) != 0) break;
        int zero = 1;
        for (int i = 0; i < BLOCK && zero; ++i) zero = h[i] == 0;
        if (zero) break; /* end-of-archive marker */
        if (!checksum_ok(h)) {
            logf_(MFS_LOG_ERROR, "bad header checksum at offset %llu: not a tar archive, or "
                  "a damaged or compressed one", (unsigned long long)at);
            rc = -EINVAL;
            break;
        }
        int64_t size = p.size >= 0 ? p.size : number(h + 124, 12);
        int64_t mtime = number(h + 136, 12);
        if (size < 0 || mtime < 0 || mtime > INT64_MAX / 1000000000) {
            logf_(MFS_LOG_ERROR, "malformed header at offset %llu", (unsigned long long)at);
            rc = -EINVAL;
            break;
        }
        const char type = (char)h[156];
        const uint64_t data = at + BLOCK;
        const uint64_t next = data + ((uint64_t)size + BLOCK - 1) / BLOCK * BLOCK;
        if ((uint64_t)size > end - data) {
            logf_(MFS_LOG_WARN, "the archive ends inside the member at offset %llu (truncated?); "
                  "it and the rest are ignored", (unsigned long long)at);
            break;
        }
        if (type == 'x' || type == 'L' || type == 'K') { /* describes the next member */
            char* text = read_text(o->fd, data, size, &rc);
            if (!text) break;
            if (type == 'x') {
                rc = parse_pax(text, (size_t)size, &p);
                free(text);
                if (rc) {
                    logf_(MFS_LOG_ERROR, "malformed pax header at offset %llu",
                          (unsigned long long)at);
                    break;
                }
            } else {
                char** slot = type == 'L' ? &p.path : &p.link;
                free(*slot);
                *slot = text;
            }
            at = next;
            continue;
        }
        if (type == 'g') { /* global pax header: nothing we use */
            at = next;
            continue;
        }

        /* The name: pax/GNU long name, else ustar prefix + "/" + name. */
        char name[256 + 1];
        const char* raw = p.path;
        if (!raw) {
            size_t n = strnlen((const char*)h, 100), pre = 0;
            if (memcmp(h + 257, "ustar\0", 6) == 0 && h[345]) { /* POSIX ustar prefix */
                pre = strnlen((const char*)h + 345, 155);
                memcpy(name, h + 345, pre);
                name[pre++] = '/';
            }
            memcpy(name + pre, h, n);
            name[pre + n] = '\0';
            raw = name;
        }
        struct member m = {0};
        m.data = data;
        m.size = (uint64_t)size;
        m.mtime_ns = p.mtime_ns != INT64_MIN ? p.mtime_ns : mtime * 1000000000;
        m.order = ++order; /* from 1: implied directories (0) lose to real entries */
        switch (type) {
            case '0': case '\0': case '7': m.kind = KIND_FILE; break;
            case '5': m.kind = KIND_DIR; m.size = 0; break;
            case '1': m.kind = KIND_HARDLINK; m.size = 0; break;
            case '2': m.kind = KIND_SYMLINK; m.size = 0; break;
            default: m.kind = KIND_OTHER; m.size = 0; break; /* devices, FIFOs, sparse files */
        }
        if (m.kind == KIND_HARDLINK || m.kind == KIND_SYMLINK) {
            const char* stored = (const char*)h + 157;
            m.link = p.link ? strdup(p.link) : strndup_(stored, strnlen(stored, 100));
            if (!m.link) {
                rc = -ENOMEM;
                break;
            }
        }
        m.path = normalise(raw, strlen(raw));
        if (!m.path && errno == EINVAL) {
            logf_(MFS_LOG_WARN, "member %s climbs out of the archive with '..'; skipped", raw);
        } else if (!m.path) {
            rc = -ENOMEM;
        } else if (!*m.path) {
            free(m.path); /* "./": the root itself */
            m.path = NULL;
        } else {
            rc = add_member(o, &m);
            if (!rc) m.link = NULL; /* now owned by o->members */
        }
        free(m.link);
        if (rc) {
            free(m.path);
            break;
        }
        pending_clear(&p);
        at = next;
    }
    pending_clear(&p);
    if (!rc && at + BLOCK > end && at < end)
        logf_(MFS_LOG_WARN, "the archive ends inside a header; the rest is ignored");
    return rc;
}

/* Adds the directories the members' paths imply, sorts, and keeps the last member per path. */
static int finish_index(struct mfs_origin* o) {
    size_t n = o->count;
    for (size_t i = 0; i < n; ++i) {
        for (char* slash = strchr(o->members[i].path, '/'); slash; slash = strchr(slash + 1, '/')) {
            struct member d = {0};
            d.kind = KIND_DIR;
            d.mtime_ns = o->members[i].mtime_ns;
            d.order = 0; /* an entry of the archive itself wins over an implied directory */
            if (!(d.path = strndup_(o->members[i].path, (size_t)(slash - o->members[i].path))))
                return -ENOMEM;
            if (add_member(o, &d)) {
                free(d.path);
                return -ENOMEM;
            }
        }
    }
    if (o->count) qsort(o->members, o->count, sizeof *o->members, by_path_then_order);
    size_t keep = 0;
    for (size_t i = 0; i < o->count; ++i) {
        if (keep && strcmp(o->members[keep - 1].path, o->members[i].path) == 0) {
            struct member* older = &o->members[keep - 1];
            free(older->path);
            free(older->link);
            *older = o->members[i]; /* the later one wins */
        } else {
            o->members[keep++] = o->members[i];
        }
    }
    o->count = keep;
    return 0;
}

/* Resolves a symbolic link's target relative to the link's directory, into a new string;
 * NULL when it leaves the archive (absolute or climbing over the root). */
static char* resolve_relative(const char* link_path, const char* target) {
    if (target[0] == '/') return NULL;
    size_t dir = 0;
    const char* slash = strrchr(link_path, '/');
    if (slash) dir = (size_t)(slash - link_path);
    size_t cap = dir + 1 + strlen(target) + 1;
    char* out = malloc(cap);
    if (!out) return NULL;
    memcpy(out, link_path, dir);
    size_t o = dir;
    for (const char* c = target; *c;) {
        const char* e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 2 && c[0] == '.' && c[1] == '.') {
            if (o == 0) {
                free(out);
                return NULL;
            }
            while (o > 0 && out[o - 1] != '/') --o;
            if (o > 0) --o;
        } else if (n > 0 && !(n == 1 && c[0] == '.')) {
            if (o) out[o++] = '/';
            memcpy(out + o, c, n);
            o += n;
        }
        c += n + (e ? 1 : 0);
    }
    out[o] = '\0';
    return out;
}

/* Turns links into the files they lead to, or into "other" entries. */
static void resolve_links(struct mfs_origin* o) {
    for (size_t i = 0; i < o->count; ++i) {
        struct member* m = &o->members[i];
        if (m->kind != KIND_SYMLINK && m->kind != KIND_HARDLINK) continue;
        const struct member* t = m;
        char* path = NULL;
        for (int hop = 0; hop < MAX_LINK_HOPS && t &&
                          (t->kind == KIND_SYMLINK || t->kind == KIND_HARDLINK); ++hop) {
            char* next = t->kind == KIND_SYMLINK ? resolve_relative(t->path, t->link)
                                                  : normalise(t->link, strlen(t->link));
            free(path);
            path = next;
            t = path ? find(o, path) : NULL;
        }
        if (t && t->kind == KIND_FILE) {
            m->kind = KIND_FILE;
            m->data = t->data;
            m->size = t->size;
        } else {
            logf_(MFS_LOG_DEBUG, "%s: link to %s does not lead to a file in the archive; not "
                  "served", m->path, m->link);
            m->kind = KIND_OTHER;
        }
        free(path);
    }
}

static void fill_stat(const struct mfs_origin* o, const struct member* m, mfs_origin_stat_t* st) {
    if (!m) { /* the root */
        st->type = MFS_ENTRY_DIRECTORY;
        st->size = 0;
        st->mtime_ns = (int64_t)o->archive.st_mtim.tv_sec * 1000000000 + o->archive.st_mtim.tv_nsec;
        return;
    }
    st->type = m->kind == KIND_FILE ? MFS_ENTRY_FILE
             : m->kind == KIND_DIR  ? MFS_ENTRY_DIRECTORY
                                    : MFS_ENTRY_OTHER;
    st->size = m->kind == KIND_FILE ? m->size : 0;
    st->mtime_ns = m->mtime_ns;
}

/* --- The origin callbacks ------------------------------------------------------------------- */

static void origin_destroy(mfs_origin_t* o) {
    if (!o) return;
    for (size_t i = 0; i < o->count; ++i) {
        free(o->members[i].path);
        free(o->members[i].link);
    }
    free(o->members);
    if (o->fd >= 0) close(o->fd);
    free(o);
}

static int32_t origin_create(const mfs_host_t* host, const mfs_config_t* config,
                             mfs_origin_t** out) {
    (void)host; /* the same host as init's */
    const char* archive = NULL;
    for (uint32_t i = 0; i < config->count; ++i) {
        const mfs_config_entry_t* e = &config->entries[i];
        if (strcmp(e->key, "archive") == 0) archive = e->value;
        else logf_(MFS_LOG_WARN, "unknown option '%s' ignored", e->key);
    }
    if (!archive || !*archive) {
        logf_(MFS_LOG_ERROR, "the option 'archive' (the .tar file to serve) is required");
        return -EINVAL;
    }
    struct mfs_origin* o = calloc(1, sizeof *o);
    if (!o) return -ENOMEM;
    o->fd = open(archive, O_RDONLY | O_CLOEXEC);
    if (o->fd < 0 || fstat(o->fd, &o->archive) != 0) {
        int err = errno;
        logf_(MFS_LOG_ERROR, "archive %s: %s", archive, strerror(err));
        origin_destroy(o);
        return -err;
    }
    if (!S_ISREG(o->archive.st_mode)) {
        logf_(MFS_LOG_ERROR, "archive %s is not a regular file", archive);
        origin_destroy(o);
        return -EINVAL;
    }
    int rc = index_archive(o);
    if (!rc) rc = finish_index(o);
    if (rc) {
        logf_(MFS_LOG_ERROR, "archive %s cannot be indexed: %s", archive, strerror(-rc));
        origin_destroy(o);
        return rc == -ENOMEM ? rc : -EINVAL;
    }
    resolve_links(o);
    logf_(MFS_LOG_INFO, "archive %s: %zu entries", archive, o->count);
    *out = o;
    return 0;
}

static int32_t origin_list(mfs_origin_t* o, const char* dir, mfs_origin_list_sink_fn sink,
                           void* sink_ctx) {
    const size_t dl = strlen(dir);
    if (dl) {
        const struct member* d = find(o, dir);
        if (!d) return -ENOENT;
        if (d->kind != KIND_DIR) return -ENOTDIR;
    }
    /* Children of "a/b" sort right after it, as the contiguous run of paths starting "a/b/". */
    size_t lo = 0, hi = o->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(o->members[mid].path, dir) <= 0) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < o->count; ++i) {
        const struct member* m = &o->members[i];
        if (dl && (strncmp(m->path, dir, dl) != 0 || m->path[dl] != '/')) {
            if (strncmp(m->path, dir, dl) > 0) break;
            continue; /* e.g. "a/b c" sorts between "a/b" and "a/b/..." */
        }
        const char* name = m->path + (dl ? dl + 1 : 0);
        if (strchr(name, '/')) continue; /* deeper down */
        mfs_origin_stat_t st = {sizeof st, 0, 0, 0};
        fill_stat(o, m, &st);
        if (sink(sink_ctx, name, &st) != 0) break;
    }
    return 0;
}

static int32_t origin_stat(mfs_origin_t* o, const char* path, mfs_origin_stat_t* out) {
    const struct member* m = NULL;
    if (*path && !(m = find(o, path))) return -ENOENT;
    mfs_origin_stat_t st = {sizeof st, 0, 0, 0};
    fill_stat(o, m, &st);
    /* Never write past the size the host gave. */
    uint32_t size = out->struct_size;
    memcpy(out, &st, size < sizeof st ? size : sizeof st);
    out->struct_size = size;
    return 0;
}

static int32_t origin_open(mfs_origin_t* o, const char* path, mfs_origin_file_t** out) {
    const struct member* m = *path ? find(o, path) : NULL;
    if (*path && !m) return -ENOENT;
    if (!m || m->kind == KIND_DIR) return -EISDIR;
    if (m->kind != KIND_FILE) return -EINVAL;
    struct stat now;
    if (fstat(o->fd, &now) != 0) return -errno;
    if (now.st_size != o->archive.st_size || now.st_mtim.tv_sec != o->archive.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != o->archive.st_mtim.tv_nsec) {
        logf_(MFS_LOG_ERROR, "the archive changed since it was indexed; remount to serve it");
        return -ESTALE;
    }
    struct mfs_origin_file* f = malloc(sizeof *f);
    if (!f) return -ENOMEM;
    f->origin = o;
    f->data = m->data;
    f->size = m->size;
    *out = f;
    return 0;
}

static int64_t origin_read(mfs_origin_file_t* f, uint64_t offset, void* buf, uint64_t len) {
    if (offset >= f->size) return 0;
    if (len > f->size - offset) len = f->size - offset;
    uint64_t done = 0;
    while (done < len) {
        ssize_t n = pread(f->origin->fd, (char*)buf + done, (size_t)(len - done),
                          (off_t)(f->data + offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return done ? (int64_t)done : -errno;
        if (n == 0) break; /* the archive was truncated under us */
        done += (uint64_t)n;
    }
    return (int64_t)done;
}

static void origin_close(mfs_origin_file_t* f) { free(f); }

static const mfs_origin_kind_t kOriginKind = {
    .struct_size = sizeof(mfs_origin_kind_t),
    .create = origin_create,
    .destroy = origin_destroy,
    .list = origin_list,
    .stat = origin_stat,
    .open = origin_open,
    .read = origin_read,
    .close = origin_close,
    .get_extension = NULL, /* no optional capabilities */
};

/* --- The plugin ------------------------------------------------------------------------------ */

static int32_t plugin_init(const mfs_host_t* host) {
    g_host = host;
    return 0;
}

static void plugin_deinit(void) { g_host = NULL; }

static const void* plugin_get_kind(const char* kind_id) {
    if (kind_id && strcmp(kind_id, MFS_ORIGIN_KIND_ID) == 0) return &kOriginKind;
    return NULL;
}

static const mfs_plugin_t kPlugin = {
    .struct_size = sizeof(mfs_plugin_t),
    .abi_major = MFS_ABI_VERSION_MAJOR,
    .abi_minor = MFS_ABI_VERSION_MINOR,
    .id = PLUGIN_ID,
    .name = "tar",
    .version = "0.1.0",
    .description = "Members of an uncompressed tar archive, served read-only",
    .init = plugin_init,
    .deinit = plugin_deinit,
    .get_kind = plugin_get_kind,
};

MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) { return &kPlugin; }
