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
} mfs_host_t;

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_HOST_H */
