/*
 * Types shared by the plugin kinds that look at a track: its original bytes and its tags.
 */
#ifndef MUSICFS_TRACK_H
#define MUSICFS_TRACK_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An original file, readable by byte range. Lives for the duration of the call it is passed
 * to; the reader may sit on a slow remote origin, so read what you need, in few calls. */
typedef struct mfs_track_source {
    uint32_t struct_size;
    /* Path of the file relative to its origin's root (see origin.h); its extension is a hint
     * to the format, not a promise. */
    const char* path;
    /* Size of the file in bytes. */
    uint64_t size;
    /* Reads up to `len` bytes at `offset` into `buf` (owned by the caller); returns bytes read
     * (0 at end of file) or a negative errno. [per-handle]: call it from the thread that
     * received this source. */
    int64_t (*read)(void* ctx, uint64_t offset, void* buf, uint64_t len);
    void* ctx;
} mfs_track_source_t;

/* One tag value under a Picard name ("title", "artists", ...). A multi-valued tag is several
 * consecutive entries with the same key, in order. */
typedef struct mfs_tag {
    const char* key;
    const char* value;
} mfs_tag_t;

typedef struct mfs_tag_list {
    uint32_t struct_size;
    uint32_t count;
    const mfs_tag_t* tags;
} mfs_tag_list_t;

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_TRACK_H */
