/*
 * Metadata-source plugins: give tags and audio properties for a track.
 *
 * The host hands the source a byte reader over the original file (which may sit on a slow
 * remote origin) and a sink. The source reports each tag value and each audio property to the
 * sink. Tag keys are MusicBrainz Picard's internal names in lower case ("title", "artist",
 * "artists", "albumartist", "tracknumber", "totaltracks", "musicbrainz_recordingid", ...);
 * a multi-valued tag is reported once per value, in order.
 */
#ifndef MUSICFS_METADATA_H
#define MUSICFS_METADATA_H

#include "abi.h"
#include "host.h"
#include "track.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MFS_METADATA_KIND_ID "musicfs.metadata/1"

/* Audio property keys for mfs_metadata_sink_t.property. */
#define MFS_PROP_DURATION_MS "duration_ms"
#define MFS_PROP_BITRATE_KBPS "bitrate_kbps"
#define MFS_PROP_SAMPLE_RATE "sample_rate"
#define MFS_PROP_CHANNELS "channels"
#define MFS_PROP_BITS_PER_SAMPLE "bits_per_sample"

typedef struct mfs_metadata mfs_metadata_t; /* a metadata-source instance, opaque to the host */

/* Where a source reports what it found. Strings live for the call only (the host copies). */
typedef struct mfs_metadata_sink {
    uint32_t struct_size;
    void* ctx;
    /* One tag value; call again with the same key for each further value. */
    void (*tag)(void* ctx, const char* key, const char* value);
    /* One audio property (MFS_PROP_*); unknown keys are ignored by the host. */
    void (*property)(void* ctx, const char* key, int64_t value);
    /* The container format in lower case: "flac", "mp3", "vorbis", "opus", "oggflac", "aac",
     * "alac", "wav", "aiff", ... Called at most once. */
    void (*format)(void* ctx, const char* format);
} mfs_metadata_sink_t;

typedef struct mfs_metadata_kind {
    uint32_t struct_size;

    /* Creates an instance from its configuration (the plugin's table in the config file).
     * Same contract as mfs_origin_kind_t.create. [main-thread] */
    int32_t (*create)(const mfs_host_t* host, const mfs_config_t* config, mfs_metadata_t** out);

    /* Destroys an instance. No read() is in progress. [main-thread] */
    void (*destroy)(mfs_metadata_t* source);

    /* Reads the tags and properties of one file into `sink`. Returns 0 when the file was
     * understood (even with no tags), -ENOTSUP when the source does not handle this format,
     * or -EINVAL / -EIO when the file is broken; in the error cases, `reason` (a caller buffer
     * of `reason_size` bytes, may be NULL) receives a NUL-terminated one-line explanation.
     * [thread-safe] */
    int32_t (*read)(mfs_metadata_t* source, const mfs_track_source_t* file,
                    const mfs_metadata_sink_t* sink, char* reason, size_t reason_size);

    /* Optional capabilities by id with revision, or NULL; may itself be NULL. [thread-safe] */
    const void* (*get_extension)(mfs_metadata_t* source, const char* id);
} mfs_metadata_kind_t;

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_METADATA_H */
