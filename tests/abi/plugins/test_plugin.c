/*
 * Test plugins for the loader's version negotiation and refusals, one source built many times
 * (tests/abi/CMakeLists.txt) with a different defect each. TP_NAME names the variant (and makes
 * its id unique); the other macros select the defect:
 *
 *   TP_ABI_MAJOR, TP_ABI_MINOR  the version the descriptor claims (default: the SDK's)
 *   TP_DESCRIPTOR_SIZE          the descriptor's struct_size (default: sizeof(mfs_plugin_t))
 *   TP_KIND_SIZE                the origin table's struct_size (default: sizeof)
 *   TP_KIND_BEFORE_EXTENSIONS   the origin table as built before get_extension existed: its
 *                               struct_size stops before the field, and the bytes past it hold
 *                               a poisoned get_extension that aborts if the host ever calls it
 *   TP_KIND_GROWN               the origin table of a newer minor: longer than the host's, with
 *                               trailing fields the host must ignore
 *   TP_INIT_RC                  what init returns (deinit then aborts: it must not run)
 *   TP_NO_ENTRY, TP_NULL_ENTRY  no entry symbol at all / an entry returning NULL
 *   TP_NO_READ                  an origin table without its required read callback
 *   TP_NO_KIND                  get_kind answers NULL to every kind
 *   TP_TEMPLATE                 also a template kind: %tp_echo{text}, declared
 *                               MFS_TEMPLATE_ARGS_ONLY (ABI 1.1)
 *   TP_TEMPLATE_BEFORE_FLAGS    with TP_TEMPLATE: the function as built before `flags` existed:
 *                               its struct_size stops before the field, whose bytes still hold
 *                               MFS_TEMPLATE_ARGS_ONLY, which the host must not read
 *
 * The origin serves one file, "only.txt", holding the variant's name and a newline.
 */
#include <musicfs/musicfs.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TP_STR2(x) #x
#define TP_STR(x) TP_STR2(x)
#define TP_ID "org.musicfs.test." TP_STR(TP_NAME)

#ifndef TP_ABI_MAJOR
#define TP_ABI_MAJOR MFS_ABI_VERSION_MAJOR
#endif
#ifndef TP_ABI_MINOR
#define TP_ABI_MINOR MFS_ABI_VERSION_MINOR
#endif
#ifndef TP_DESCRIPTOR_SIZE
#define TP_DESCRIPTOR_SIZE sizeof(mfs_plugin_t)
#endif

static const char kContent[] = TP_STR(TP_NAME) "\n";

struct mfs_origin {
    int unused;
};
struct mfs_origin_file {
    int unused;
};

static int32_t tp_create(const mfs_host_t* host, const mfs_config_t* config, mfs_origin_t** out) {
    (void)host;
    (void)config;
    static mfs_origin_t instance;
    *out = &instance;
    return 0;
}

static void tp_destroy(mfs_origin_t* o) { (void)o; }

static void tp_fill(mfs_origin_stat_t* st, uint32_t type, uint64_t size) {
    st->type = type;
    st->size = size;
    st->mtime_ns = 0;
}

static int32_t tp_list(mfs_origin_t* o, const char* dir, mfs_origin_list_sink_fn sink,
                       void* sink_ctx) {
    (void)o;
    if (strcmp(dir, "") != 0) return strcmp(dir, "only.txt") == 0 ? -ENOTDIR : -ENOENT;
    mfs_origin_stat_t st = {sizeof st, 0, 0, 0};
    tp_fill(&st, MFS_ENTRY_FILE, sizeof kContent - 1);
    sink(sink_ctx, "only.txt", &st);
    return 0;
}

static int32_t tp_stat(mfs_origin_t* o, const char* path, mfs_origin_stat_t* out) {
    (void)o;
    if (strcmp(path, "") == 0) tp_fill(out, MFS_ENTRY_DIRECTORY, 0);
    else if (strcmp(path, "only.txt") == 0) tp_fill(out, MFS_ENTRY_FILE, sizeof kContent - 1);
    else return -ENOENT;
    return 0;
}

static int32_t tp_open(mfs_origin_t* o, const char* path, mfs_origin_file_t** out) {
    (void)o;
    static mfs_origin_file_t file;
    if (strcmp(path, "") == 0) return -EISDIR;
    if (strcmp(path, "only.txt") != 0) return -ENOENT;
    *out = &file;
    return 0;
}

static int64_t tp_read(mfs_origin_file_t* f, uint64_t offset, void* buf, uint64_t len) {
    (void)f;
    const uint64_t size = sizeof kContent - 1;
    if (offset >= size) return 0;
    if (len > size - offset) len = size - offset;
    memcpy(buf, kContent + offset, (size_t)len);
    return (int64_t)len;
}

static void tp_close(mfs_origin_file_t* f) { (void)f; }

#if defined(TP_KIND_BEFORE_EXTENSIONS) || defined(TP_KIND_GROWN)
/* Must never be called: either it lies past the struct_size the plugin declared, or it is a
 * field of a newer minor the host does not know. */
static const void* tp_poisoned(mfs_origin_t* o, const char* id) {
    (void)o;
    (void)id;
    abort();
}
#endif

#if defined(TP_KIND_GROWN)
/* A table from a future minor: the 1.0 fields, then two the host has never heard of. */
static const struct {
    mfs_origin_kind_t base;
    void (*future_callback)(void);
    uint64_t future_flags;
} kGrownKind = {
    {
        .struct_size = sizeof kGrownKind,
        .create = tp_create,
        .destroy = tp_destroy,
        .list = tp_list,
        .stat = tp_stat,
        .open = tp_open,
        .read = tp_read,
        .close = tp_close,
        .get_extension = NULL,
    },
    (void (*)(void))tp_poisoned,
    ~(uint64_t)0,
};
#define TP_KIND (&kGrownKind.base)
#else
static const mfs_origin_kind_t kKind = {
#if defined(TP_KIND_SIZE)
    .struct_size = TP_KIND_SIZE,
#elif defined(TP_KIND_BEFORE_EXTENSIONS)
    .struct_size = offsetof(mfs_origin_kind_t, get_extension),
#else
    .struct_size = sizeof(mfs_origin_kind_t),
#endif
    .create = tp_create,
    .destroy = tp_destroy,
    .list = tp_list,
    .stat = tp_stat,
    .open = tp_open,
#if defined(TP_NO_READ)
    .read = NULL,
#else
    .read = tp_read,
#endif
    .close = tp_close,
#if defined(TP_KIND_BEFORE_EXTENSIONS)
    .get_extension = tp_poisoned,
#else
    .get_extension = NULL,
#endif
};
#define TP_KIND (&kKind)
#endif

#if defined(TP_TEMPLATE)
static int64_t tp_echo(const mfs_template_call_t* call, char* out, size_t out_size) {
    const char* text = call->argc > 0 ? call->argv[0] : "";
    const size_t n = strlen(text);
    if (out_size > 0) {
        const size_t copied = n < out_size - 1 ? n : out_size - 1;
        memcpy(out, text, copied);
        out[copied] = '\0';
    }
    return (int64_t)n;
}

static const mfs_template_function_t kEcho = {
#if defined(TP_TEMPLATE_BEFORE_FLAGS)
    .struct_size = offsetof(mfs_template_function_t, flags),
#else
    .struct_size = sizeof(mfs_template_function_t),
#endif
    .name = "tp_echo",
    .min_args = 1,
    .max_args = 1,
    .description = "%tp_echo{text}: text",
    .call = tp_echo,
    .flags = MFS_TEMPLATE_ARGS_ONLY,
};
static const mfs_template_function_t* const kEchoTable[] = {&kEcho};
static const mfs_template_kind_t kTemplateKind = {
    .struct_size = sizeof(mfs_template_kind_t),
    .function_count = 1,
    .functions = kEchoTable,
};
#endif

static int32_t tp_init(const mfs_host_t* host) {
    (void)host;
#if defined(TP_NO_READ)
    (void)tp_read; /* defined, just not in the table */
#endif
#if defined(TP_INIT_RC)
    return TP_INIT_RC;
#else
    return 0;
#endif
}

static void tp_deinit(void) {
#if defined(TP_INIT_RC)
    abort(); /* init failed: the host must not call deinit */
#endif
}

static const void* tp_get_kind(const char* kind_id) {
#if defined(TP_NO_KIND)
    (void)kind_id;
    (void)TP_KIND;
    return NULL;
#else
#if defined(TP_TEMPLATE)
    if (strcmp(kind_id, MFS_TEMPLATE_KIND_ID) == 0) return &kTemplateKind;
#endif
    return strcmp(kind_id, MFS_ORIGIN_KIND_ID) == 0 ? (const void*)TP_KIND : NULL;
#endif
}

static const mfs_plugin_t kPlugin = {
    .struct_size = TP_DESCRIPTOR_SIZE,
    .abi_major = TP_ABI_MAJOR,
    .abi_minor = TP_ABI_MINOR,
    .id = TP_ID,
    .name = TP_STR(TP_NAME),
    .version = "0.0.1",
    .description = "ABI test plugin",
    .init = tp_init,
    .deinit = tp_deinit,
    .get_kind = tp_get_kind,
};

#if !defined(TP_NO_ENTRY)
MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void) {
#if defined(TP_NULL_ENTRY)
    return (void)kPlugin, NULL;
#else
    return &kPlugin;
#endif
}
#else
/* The entry point under another name: present in the object, but not what the host looks for. */
MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry_v0(void);
MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry_v0(void) { return &kPlugin; }
#endif
