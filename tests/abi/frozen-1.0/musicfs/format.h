/*
 * Format-writer plugins: serve a file with the catalog's tags while every audio byte comes
 * untouched from the original.
 *
 * A writer turns (the original file, the effective tags, the pictures) into a LAYOUT: the
 * ordered segments that make up the virtual file. A segment is either
 *   - literal bytes the writer synthesised (new tag blocks, a rebuilt MP4 'moov'),
 *   - a range of the original file, served as is (the audio), or
 *   - a range of the original passed through the writer's `transform` (same length), for
 *     formats where untouched audio still needs a few bytes changed (Ogg page sequence numbers
 *     and CRCs after the comment packet changed the page count).
 * The virtual file's size is the exact sum of the segment lengths: the host reports it as
 * st_size, so a writer never estimates.
 *
 * The host calls layout() once per (track, tag revision) and caches the result; reads then
 * walk the segments without calling the writer, except transform() for transformed ranges.
 */
#ifndef MUSICFS_FORMAT_H
#define MUSICFS_FORMAT_H

#include "abi.h"
#include "host.h"
#include "track.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MFS_FORMAT_KIND_ID "musicfs.format/1"

typedef struct mfs_format_writer mfs_format_writer_t; /* a writer instance, opaque to the host */

/* An embedded picture (ID3v2 APIC semantics, also used for FLAC PICTURE, MP4 covr, ...). */
typedef struct mfs_picture {
    uint32_t struct_size;
    uint32_t type;            /* ID3v2 picture type: 3 = front cover, 4 = back cover, ... */
    const char* mime;         /* e.g. "image/jpeg" */
    const char* description;  /* UTF-8, may be "" */
    uint32_t width;           /* pixels; 0 when unknown */
    uint32_t height;
    const uint8_t* data;
    uint64_t size;
} mfs_picture_t;

typedef struct mfs_picture_list {
    uint32_t struct_size;
    uint32_t count;
    const mfs_picture_t* const* pictures;
} mfs_picture_list_t;

/* Where a writer puts its layout, in file order. Each call returns 0, or a negative errno
 * (e.g. -ENOMEM) that the writer must pass on from layout(). */
typedef struct mfs_layout_sink {
    uint32_t struct_size;
    void* ctx;
    /* Appends `len` synthesised bytes; the host copies them before returning. */
    int32_t (*literal)(void* ctx, const uint8_t* data, uint64_t len);
    /* Appends the original's bytes [offset, offset + len), served as is. */
    int32_t (*original)(void* ctx, uint64_t offset, uint64_t len);
    /* Appends the original's bytes [offset, offset + len) passed through transform() with
     * `arg`. The host transforms a whole transformed segment at once, so keep these segments
     * small (an Ogg page each) and self-contained. */
    int32_t (*transformed)(void* ctx, uint64_t offset, uint64_t len, uint64_t arg);
} mfs_layout_sink_t;

typedef struct mfs_format_kind {
    uint32_t struct_size;

    /* The formats handled, as mfs_metadata_sink_t.format names them ("flac", "mp3",
     * "vorbis", "opus", "oggflac", "aac", "alac", "wav", "aiff", ...); NULL-terminated,
     * static. */
    const char* const* formats;

    /* Creates an instance from its configuration (`[format.<name>]` table). Same contract as
     * mfs_origin_kind_t.create. [main-thread] */
    int32_t (*create)(const mfs_host_t* host, const mfs_config_t* config,
                      mfs_format_writer_t** out);

    /* Destroys an instance; no call on it is in progress. [main-thread] */
    void (*destroy)(mfs_format_writer_t* writer);

    /* Builds the layout of the virtual file for `original` carrying `tags` and `pictures`,
     * calling `sink` in file order. `tags` is complete: a tag not listed must not be in the
     * result (audio and technical data the format needs are not tags: keep them). `pictures`
     * NULL means "keep the original's embedded pictures as they are"; a list (possibly empty)
     * replaces them. Returns 0; -ENOTSUP when
     * the original is not in a format this writer handles; -EINVAL when it is broken (with a
     * one-line NUL-terminated explanation in `reason`, a caller buffer of `reason_size` bytes
     * that may be NULL). [thread-safe] */
    int32_t (*layout)(mfs_format_writer_t* writer, const mfs_track_source_t* original,
                      const mfs_tag_list_t* tags, const mfs_picture_list_t* pictures,
                      const mfs_layout_sink_t* sink, char* reason, size_t reason_size);

    /* Transforms one transformed segment: `in` holds the original's bytes of the segment,
     * `out` (same `len`, caller-owned, never overlapping `in`) receives the served bytes.
     * Returns 0 or a negative errno (the read then fails with EIO). May be NULL when the
     * writer never emits transformed segments. [thread-safe] */
    int32_t (*transform)(mfs_format_writer_t* writer, uint64_t arg, const uint8_t* in,
                         uint8_t* out, uint64_t len);

    /* Optional capabilities by id with revision, or NULL; may itself be NULL. [thread-safe] */
    const void* (*get_extension)(mfs_format_writer_t* writer, const char* id);
} mfs_format_kind_t;

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_FORMAT_H */
