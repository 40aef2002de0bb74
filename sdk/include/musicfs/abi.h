/*
 * MusicFS plugin ABI: versions, common types and conventions.
 *
 * Conventions that hold for every header in this directory:
 *  - Pure C11. Only fixed-width integers, `const char*` (UTF-8 unless stated), byte spans,
 *    opaque handles and function pointers cross the boundary.
 *  - Every struct that crosses starts with `struct_size` (sizeof as the writer compiled it).
 *    Structs only grow at the end; a reader never touches bytes past `struct_size` and treats a
 *    NULL callback as "not implemented".
 *  - Functions return `int32_t`: 0 on success, a negative errno value on failure (or, where
 *    stated, a non-negative count). Human-readable detail goes to the host log.
 *  - Threading tags on every callback:
 *      [thread-safe]  may be called from any thread, concurrently;
 *      [main-thread]  called from the thread that loaded the plugin, never concurrently;
 *      [per-handle]   concurrent calls on different handles, never on the same handle.
 */
#ifndef MUSICFS_ABI_H
#define MUSICFS_ABI_H

#include <stddef.h>
#include <stdint.h>

/* A plugin built for another major version is refused. A host accepts plugins built for an
 * older minor of its major; each side then uses min(host minor, plugin minor). */
#define MFS_ABI_VERSION_MAJOR 1
#define MFS_ABI_VERSION_MINOR 1

#if defined(_WIN32)
#define MFS_EXPORT __declspec(dllexport)
#else
#define MFS_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
#define MFS_EXTERN_C extern "C"
#else
#define MFS_EXTERN_C
#endif

/* Log levels for mfs_host_t.log. */
#define MFS_LOG_TRACE 0
#define MFS_LOG_DEBUG 1
#define MFS_LOG_INFO 2
#define MFS_LOG_WARN 3
#define MFS_LOG_ERROR 4

/* One configuration entry handed to a plugin instance: a key of the instance's TOML table and
 * its value rendered as a string (numbers and booleans in TOML spelling, arrays as JSON).
 * Both strings live for the duration of the call they are passed to. */
typedef struct mfs_config_entry {
    const char* key;
    const char* value;
} mfs_config_entry_t;

/* A read-only list of configuration entries. */
typedef struct mfs_config {
    uint32_t struct_size;
    uint32_t count;
    const mfs_config_entry_t* entries;
} mfs_config_t;

#endif /* MUSICFS_ABI_H */
