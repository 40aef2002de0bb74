/*
 * The one entry point of a MusicFS plugin.
 *
 * A plugin is a shared object exporting exactly one symbol, `musicfs_plugin_entry`, that returns
 * a pointer to a static `mfs_plugin_t`. The host checks the ABI version, calls `init` once, asks
 * for the kinds it knows with `get_kind`, and calls `deinit` once before unloading.
 *
 *   MFS_EXTERN_C MFS_EXPORT const mfs_plugin_t* musicfs_plugin_entry(void);
 */
#ifndef MUSICFS_PLUGIN_H
#define MUSICFS_PLUGIN_H

#include "abi.h"
#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MFS_PLUGIN_ENTRY_SYMBOL "musicfs_plugin_entry"

/*
 * The first 8 bytes of the descriptor are fixed forever, in every major version of the ABI:
 * struct_size (uint32_t at offset 0), abi_major (uint16_t at offset 4) and abi_minor (uint16_t
 * at offset 6). The host reads abi_major before anything else and refuses a plugin of another
 * major with a message naming both versions, without reading past those 8 bytes: a future major
 * may reshape everything after them, never them.
 */
typedef struct mfs_plugin {
    /* sizeof(mfs_plugin_t) as the plugin compiled it. Fixed forever (offset 0). */
    uint32_t struct_size;
    /* The ABI version the plugin was compiled against: set these to MFS_ABI_VERSION_MAJOR and
     * MFS_ABI_VERSION_MINOR. Fixed forever (offsets 4 and 6). */
    uint16_t abi_major;
    uint16_t abi_minor;
    /* Reverse-DNS style unique id, e.g. "org.musicfs.origin.local". Never changes. */
    const char* id;
    /* Short name used in configuration files, e.g. "local" for `type = "local"`. */
    const char* name;
    /* The plugin's own version, e.g. "1.2.0". */
    const char* version;
    /* One line describing the plugin. */
    const char* description;

    /* Called once after loading, before anything else. `host` lives until after deinit returns.
     * Returns 0, or a negative errno: the plugin is then reported and not used (deinit is not
     * called). May be NULL. [main-thread] */
    int32_t (*init)(const mfs_host_t* host);

    /* Called once before unloading, after every instance the plugin created was destroyed.
     * May be NULL. [main-thread] */
    void (*deinit)(void);

    /* Returns the vtable of a plugin kind by id with revision (e.g. MFS_ORIGIN_KIND_ID,
     * "musicfs.origin/1"), or NULL when the plugin does not provide that kind. The returned
     * pointer is static and valid until deinit. [thread-safe] */
    const void* (*get_kind)(const char* kind_id);
} mfs_plugin_t;

typedef const mfs_plugin_t* (*mfs_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_PLUGIN_H */
