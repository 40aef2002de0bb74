/*
 * Path-template function plugins: functions callable from path templates as %name{arg,...}
 * (beets syntax), e.g. a plugin adding %the{$artist} or %bucket{$year,10}.
 *
 * A plugin offers a static table of functions. The host expands a call's arguments first (they
 * may hold fields and nested calls), then calls the function with the resulting strings.
 */
#ifndef MUSICFS_TEMPLATE_H
#define MUSICFS_TEMPLATE_H

#include "abi.h"
#include "host.h"
#include "track.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MFS_TEMPLATE_KIND_ID "musicfs.template/1"

/* One call of a template function. Lives for the duration of the call. */
typedef struct mfs_template_call {
    uint32_t struct_size;
    /* The expanded arguments, UTF-8. */
    uint32_t argc;
    const char* const* argv;
    /* The track the path is being built for (its effective tags). */
    const mfs_tag_list_t* tags;
    /* Looks up a field the way the template engine does (derived fields such as albumartist
     * falling back to artist, track zero-padded, ...): copies at most `size` bytes including
     * the NUL into `buf` and returns the full length, or -ENOENT. [per-handle] */
    int64_t (*field)(void* ctx, const char* name, char* buf, size_t size);
    void* ctx;
} mfs_template_call_t;

typedef struct mfs_template_function {
    uint32_t struct_size;
    /* The name used in templates, [a-z0-9_]+, e.g. "the" for %the{...}. */
    const char* name;
    /* Accepted argument counts; calls outside the range are left verbatim by the host. */
    uint32_t min_args;
    uint32_t max_args;
    /* One line for `musicfs plugins` and docs, e.g. "%the{text}: moves a leading 'The' to the end". */
    const char* description;
    /* Computes the result into `out` (a caller buffer of `out_size` bytes): copies at most
     * out_size bytes including the NUL and returns the full length without the NUL, so the host
     * can retry with a bigger buffer. A negative errno makes the host leave the call verbatim
     * and log it. Must be a pure function of its inputs: the host caches results.
     * [thread-safe] */
    int64_t (*call)(const mfs_template_call_t* call, char* out, size_t out_size);
    /* Since ABI 1.1: MFS_TEMPLATE_* flags (0 when the struct ends before it). */
    uint32_t flags;
} mfs_template_function_t;

/* mfs_template_function_t.flags: the result depends on argc/argv alone; the function never
 * reads `tags` nor calls `field`. The host may then take in an edit of a tag that no path
 * reads without rebuilding the tree. A function without it is assumed to read every tag. */
#define MFS_TEMPLATE_ARGS_ONLY (1u << 0)

typedef struct mfs_template_kind {
    uint32_t struct_size;
    /* A static array of `function_count` pointers to functions, each starting with its own
     * struct_size (so the function struct can grow like any other). */
    uint32_t function_count;
    const mfs_template_function_t* const* functions;
} mfs_template_kind_t;

#ifdef __cplusplus
}
#endif

#endif /* MUSICFS_TEMPLATE_H */
