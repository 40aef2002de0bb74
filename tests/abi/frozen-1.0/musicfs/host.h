/*
 * Services the host hands to every plugin. A plugin never links against core symbols; everything
 * it needs from the host comes through this table.
 */
#ifndef MUSICFS_HOST_H
#define MUSICFS_HOST_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mfs_host {
    uint32_t struct_size;
    /* The ABI version the host speaks (MFS_ABI_VERSION_* of the host build). */
    uint16_t abi_major;
    uint16_t abi_minor;
    /* Host version string, e.g. "0.1.0". Lives as long as the plugin is loaded. */
    const char* host_version;
    /* Opaque host context; pass it back as the first argument of every service below. */
    void* ctx;

    /* Writes one log line attributed to `plugin_id`. `message` is UTF-8 without a trailing
     * newline; both strings are copied before the call returns. Levels: MFS_LOG_*.
     * [thread-safe] */
    void (*log)(void* ctx, int32_t level, const char* plugin_id, const char* message);

    /* Reads one value of the plugin's own table in the configuration file
     * (`[plugins.<name>]`), rendered as in mfs_config_entry_t. Copies at most `size` bytes
     * including the terminating NUL into `buf` (which may be NULL when `size` is 0) and returns
     * the full length without the NUL, so a plugin can retry with a bigger buffer; -ENOENT when
     * the key is not set. [thread-safe] */
    int64_t (*config_get)(void* ctx, const char* plugin_id, const char* key, char* buf,
                          size_t size);

    /* Adds `delta` to the counter `name` (lower_snake_case, e.g. "requests_total"), exported
     * by the host's metrics as musicfs_plugin_<name>{plugin="<plugin_id>"}. [thread-safe] */
    void (*counter_add)(void* ctx, const char* plugin_id, const char* name, int64_t delta);

    /* Reports progress of a long task (a listing, a download): `done` of `total` units, total
     * 0 when unknown. The host shows it in logs and status. [thread-safe] */
    void (*progress)(void* ctx, const char* plugin_id, const char* task, uint64_t done,
                     uint64_t total);

    /* Returns a host extension by id with revision (e.g. "musicfs.host.cache/1"), or NULL
     * when this host does not offer it. The pointer lives as long as the plugin is loaded.
     * [thread-safe] */
    const void* (*get_extension)(void* ctx, const char* id);
} mfs_host_t;

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_HOST_H */
