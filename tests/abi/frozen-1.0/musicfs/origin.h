/*
 * Origin plugins: where original files live (a local directory, NFS, SMB, S3, SFTP, ...).
 *
 * An origin lists directories, stats entries and reads byte ranges of files. It never writes.
 * Paths are relative to the origin's root, use '/' as separator, have no leading '/', and the
 * root itself is "". Paths are NUL-terminated byte strings: usually UTF-8, but a local origin
 * passes a file system's non-UTF-8 names through unchanged (the host treats them as opaque keys).
 *
 * Reads may be slow (remote origins): the host calls them from worker threads, never from a
 * thread that must answer other requests, and may issue several concurrently on one file.
 */
#ifndef MUSICFS_ORIGIN_H
#define MUSICFS_ORIGIN_H

#include "abi.h"
#include "host.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MFS_ORIGIN_KIND_ID "musicfs.origin/1"

/* Entry types (mfs_origin_stat_t.type). */
#define MFS_ENTRY_OTHER 0
#define MFS_ENTRY_FILE 1
#define MFS_ENTRY_DIRECTORY 2

typedef struct mfs_origin mfs_origin_t;           /* an origin instance, opaque to the host */
typedef struct mfs_origin_file mfs_origin_file_t; /* an open file, opaque to the host */

typedef struct mfs_origin_stat {
    uint32_t struct_size;
    uint32_t type;     /* MFS_ENTRY_* (symlinks are resolved by the origin) */
    uint64_t size;     /* bytes, for files */
    int64_t mtime_ns;  /* modification time, nanoseconds since the Unix epoch */
} mfs_origin_stat_t;

/* Receives one directory entry during list(). `name` is a single path component; `st` is filled
 * as by stat(). Both live for the call only. Return 0 to continue, non-zero to stop listing.
 * Called on the thread that called list(). */
typedef int32_t (*mfs_origin_list_sink_fn)(void* sink_ctx, const char* name,
                                           const mfs_origin_stat_t* st);

typedef struct mfs_origin_kind {
    uint32_t struct_size;

    /* Creates an instance from its configuration (the origin's table of the config file minus
     * the keys the host uses: name, type). `config` and `host` live for the call; copy what you
     * keep (`host` itself stays valid until the plugin's deinit). On success stores the instance
     * in *out and returns 0; a configuration error returns -EINVAL after logging what is wrong.
     * [main-thread] */
    int32_t (*create)(const mfs_host_t* host, const mfs_config_t* config, mfs_origin_t** out);

    /* Destroys an instance; every file opened from it has been closed. [main-thread] */
    void (*destroy)(mfs_origin_t* origin);

    /* Lists the directory `dir`, calling `sink` once per entry (not "." or ".."). Entries that
     * cannot be stat'ed are logged and skipped. Returns 0, or a negative errno for the directory
     * itself (-ENOENT, -ENOTDIR, -EACCES, -EIO, ...). [thread-safe] */
    int32_t (*list)(mfs_origin_t* origin, const char* dir, mfs_origin_list_sink_fn sink,
                    void* sink_ctx);

    /* Stats one path into *out (out->struct_size is set by the host). [thread-safe] */
    int32_t (*stat)(mfs_origin_t* origin, const char* path, mfs_origin_stat_t* out);

    /* Opens a file for reading; stores the handle in *out. [thread-safe] */
    int32_t (*open)(mfs_origin_t* origin, const char* path, mfs_origin_file_t** out);

    /* Reads up to `len` bytes at `offset` into `buf` (owned by the caller). Returns the number
     * of bytes read (fewer than `len` only at end of file, 0 at or past it) or a negative
     * errno. [thread-safe]: concurrent reads on the same handle are allowed. */
    int64_t (*read)(mfs_origin_file_t* file, uint64_t offset, void* buf, uint64_t len);

    /* Closes a file handle. No read on it is in progress or follows. [per-handle] */
    void (*close)(mfs_origin_file_t* file);

    /* Returns an optional capability of this instance by id with revision (e.g.
     * "musicfs.origin.watch/1"), or NULL. May itself be NULL: no extensions. [thread-safe] */
    const void* (*get_extension)(mfs_origin_t* origin, const char* id);
} mfs_origin_kind_t;

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_ORIGIN_H */
