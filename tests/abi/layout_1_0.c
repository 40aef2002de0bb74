/*
 * The frozen memory layout of the MusicFS plugin ABI 1.0 on x86_64 (LP64, System V).
 *
 * Every struct that crosses the plugin boundary is pinned here: its size, its alignment and the
 * offset of every member. A plugin compiled against the 1.0 headers has these numbers burnt in.
 *
 * If this file stops compiling, the change you made to sdk/include/musicfs/ is an ABI BREAK:
 * plugins already built would read and write the wrong bytes. Do not "fix" the numbers here.
 * The only allowed growth is a new member at the END of a struct that starts with `struct_size`
 * (readers honour struct_size and treat what lies past it as absent). When you add one, add its
 * offset below and raise the struct's size, leaving every existing line as it is; bump
 * MFS_ABI_VERSION_MINOR; regenerate the abidiff baseline (tests/abi/README.md).
 * mfs_config_entry_t and mfs_tag_t have no struct_size and sit in arrays: they can never grow.
 *
 * Compiled as C11 (this file) and as C++20 (layout_1_0.cpp includes it), with -Werror.
 */
#include <musicfs/musicfs.h>

#if !(defined(__x86_64__) && defined(__LP64__))
#error "layout_1_0.c pins the x86_64 LP64 layout; add the numbers for this target first"
#endif

#ifdef __cplusplus
#define MFS_TEST_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define MFS_TEST_ALIGNOF(type) alignof(type)
#define MFS_TEST_MEMBER_SIZE(type, member) sizeof(type::member)
#else
#define MFS_TEST_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define MFS_TEST_ALIGNOF(type) _Alignof(type)
#define MFS_TEST_MEMBER_SIZE(type, member) sizeof(((type*)0)->member)
#endif

#define SIZE(type, bytes) \
    MFS_TEST_STATIC_ASSERT(sizeof(type) == (bytes), "ABI break: sizeof(" #type ") != " #bytes)
#define ALIGN(type, bytes)                                    \
    MFS_TEST_STATIC_ASSERT(MFS_TEST_ALIGNOF(type) == (bytes), \
                           "ABI break: alignof(" #type ") != " #bytes)
#define AT(type, member, bytes)                                 \
    MFS_TEST_STATIC_ASSERT(offsetof(type, member) == (bytes), \
                           "ABI break: offsetof(" #type ", " #member ") != " #bytes)
#define WIDTH(type, member, bytes)                                          \
    MFS_TEST_STATIC_ASSERT(MFS_TEST_MEMBER_SIZE(type, member) == (bytes), \
                           "ABI break: sizeof(" #type "." #member ") != " #bytes)

/* Versions and constants a built plugin has compiled in. */
MFS_TEST_STATIC_ASSERT(MFS_ABI_VERSION_MAJOR == 1, "a new major needs a new layout file");
MFS_TEST_STATIC_ASSERT(MFS_ABI_VERSION_MINOR >= 0, "minor versions only grow");
MFS_TEST_STATIC_ASSERT(MFS_LOG_TRACE == 0 && MFS_LOG_DEBUG == 1 && MFS_LOG_INFO == 2 &&
                           MFS_LOG_WARN == 3 && MFS_LOG_ERROR == 4,
                       "ABI break: MFS_LOG_* values");
MFS_TEST_STATIC_ASSERT(MFS_ENTRY_OTHER == 0 && MFS_ENTRY_FILE == 1 && MFS_ENTRY_DIRECTORY == 2,
                       "ABI break: MFS_ENTRY_* values");

/* abi.h */
SIZE(mfs_config_entry_t, 16);
ALIGN(mfs_config_entry_t, 8);
AT(mfs_config_entry_t, key, 0);
AT(mfs_config_entry_t, value, 8);

SIZE(mfs_config_t, 16);
ALIGN(mfs_config_t, 8);
AT(mfs_config_t, struct_size, 0);
WIDTH(mfs_config_t, struct_size, 4);
AT(mfs_config_t, count, 4);
WIDTH(mfs_config_t, count, 4);
AT(mfs_config_t, entries, 8);

/* host.h */
SIZE(mfs_host_t, 64);
ALIGN(mfs_host_t, 8);
AT(mfs_host_t, struct_size, 0);
WIDTH(mfs_host_t, struct_size, 4);
AT(mfs_host_t, abi_major, 4);
WIDTH(mfs_host_t, abi_major, 2);
AT(mfs_host_t, abi_minor, 6);
WIDTH(mfs_host_t, abi_minor, 2);
AT(mfs_host_t, host_version, 8);
AT(mfs_host_t, ctx, 16);
AT(mfs_host_t, log, 24);
AT(mfs_host_t, config_get, 32);
AT(mfs_host_t, counter_add, 40);
AT(mfs_host_t, progress, 48);
AT(mfs_host_t, get_extension, 56);

/* plugin.h */
SIZE(mfs_plugin_t, 64);
ALIGN(mfs_plugin_t, 8);
AT(mfs_plugin_t, struct_size, 0);
WIDTH(mfs_plugin_t, struct_size, 4);
AT(mfs_plugin_t, abi_major, 4);
WIDTH(mfs_plugin_t, abi_major, 2);
AT(mfs_plugin_t, abi_minor, 6);
WIDTH(mfs_plugin_t, abi_minor, 2);
AT(mfs_plugin_t, id, 8);
AT(mfs_plugin_t, name, 16);
AT(mfs_plugin_t, version, 24);
AT(mfs_plugin_t, description, 32);
AT(mfs_plugin_t, init, 40);
AT(mfs_plugin_t, deinit, 48);
AT(mfs_plugin_t, get_kind, 56);

/* track.h */
SIZE(mfs_track_source_t, 40);
ALIGN(mfs_track_source_t, 8);
AT(mfs_track_source_t, struct_size, 0);
WIDTH(mfs_track_source_t, struct_size, 4);
AT(mfs_track_source_t, path, 8);
AT(mfs_track_source_t, size, 16);
WIDTH(mfs_track_source_t, size, 8);
AT(mfs_track_source_t, read, 24);
AT(mfs_track_source_t, ctx, 32);

SIZE(mfs_tag_t, 16);
ALIGN(mfs_tag_t, 8);
AT(mfs_tag_t, key, 0);
AT(mfs_tag_t, value, 8);

SIZE(mfs_tag_list_t, 16);
ALIGN(mfs_tag_list_t, 8);
AT(mfs_tag_list_t, struct_size, 0);
WIDTH(mfs_tag_list_t, struct_size, 4);
AT(mfs_tag_list_t, count, 4);
WIDTH(mfs_tag_list_t, count, 4);
AT(mfs_tag_list_t, tags, 8);

/* origin.h */
SIZE(mfs_origin_stat_t, 24);
ALIGN(mfs_origin_stat_t, 8);
AT(mfs_origin_stat_t, struct_size, 0);
WIDTH(mfs_origin_stat_t, struct_size, 4);
AT(mfs_origin_stat_t, type, 4);
WIDTH(mfs_origin_stat_t, type, 4);
AT(mfs_origin_stat_t, size, 8);
WIDTH(mfs_origin_stat_t, size, 8);
AT(mfs_origin_stat_t, mtime_ns, 16);
WIDTH(mfs_origin_stat_t, mtime_ns, 8);

SIZE(mfs_origin_kind_t, 72);
ALIGN(mfs_origin_kind_t, 8);
AT(mfs_origin_kind_t, struct_size, 0);
WIDTH(mfs_origin_kind_t, struct_size, 4);
AT(mfs_origin_kind_t, create, 8);
AT(mfs_origin_kind_t, destroy, 16);
AT(mfs_origin_kind_t, list, 24);
AT(mfs_origin_kind_t, stat, 32);
AT(mfs_origin_kind_t, open, 40);
AT(mfs_origin_kind_t, read, 48);
AT(mfs_origin_kind_t, close, 56);
AT(mfs_origin_kind_t, get_extension, 64);

/* metadata.h */
SIZE(mfs_metadata_sink_t, 40);
ALIGN(mfs_metadata_sink_t, 8);
AT(mfs_metadata_sink_t, struct_size, 0);
WIDTH(mfs_metadata_sink_t, struct_size, 4);
AT(mfs_metadata_sink_t, ctx, 8);
AT(mfs_metadata_sink_t, tag, 16);
AT(mfs_metadata_sink_t, property, 24);
AT(mfs_metadata_sink_t, format, 32);

SIZE(mfs_metadata_kind_t, 40);
ALIGN(mfs_metadata_kind_t, 8);
AT(mfs_metadata_kind_t, struct_size, 0);
WIDTH(mfs_metadata_kind_t, struct_size, 4);
AT(mfs_metadata_kind_t, create, 8);
AT(mfs_metadata_kind_t, destroy, 16);
AT(mfs_metadata_kind_t, read, 24);
AT(mfs_metadata_kind_t, get_extension, 32);

/* template.h */
SIZE(mfs_template_call_t, 40);
ALIGN(mfs_template_call_t, 8);
AT(mfs_template_call_t, struct_size, 0);
WIDTH(mfs_template_call_t, struct_size, 4);
AT(mfs_template_call_t, argc, 4);
WIDTH(mfs_template_call_t, argc, 4);
AT(mfs_template_call_t, argv, 8);
AT(mfs_template_call_t, tags, 16);
AT(mfs_template_call_t, field, 24);
AT(mfs_template_call_t, ctx, 32);

SIZE(mfs_template_function_t, 48);  /* 1.1: + flags */
ALIGN(mfs_template_function_t, 8);
AT(mfs_template_function_t, struct_size, 0);
WIDTH(mfs_template_function_t, struct_size, 4);
AT(mfs_template_function_t, name, 8);
AT(mfs_template_function_t, min_args, 16);
WIDTH(mfs_template_function_t, min_args, 4);
AT(mfs_template_function_t, max_args, 20);
WIDTH(mfs_template_function_t, max_args, 4);
AT(mfs_template_function_t, description, 24);
AT(mfs_template_function_t, call, 32);
AT(mfs_template_function_t, flags, 40);
WIDTH(mfs_template_function_t, flags, 4);

SIZE(mfs_template_kind_t, 16);
ALIGN(mfs_template_kind_t, 8);
AT(mfs_template_kind_t, struct_size, 0);
WIDTH(mfs_template_kind_t, struct_size, 4);
AT(mfs_template_kind_t, function_count, 4);
WIDTH(mfs_template_kind_t, function_count, 4);
AT(mfs_template_kind_t, functions, 8);

/* format.h */
SIZE(mfs_picture_t, 48);
ALIGN(mfs_picture_t, 8);
AT(mfs_picture_t, struct_size, 0);
WIDTH(mfs_picture_t, struct_size, 4);
AT(mfs_picture_t, type, 4);
WIDTH(mfs_picture_t, type, 4);
AT(mfs_picture_t, mime, 8);
AT(mfs_picture_t, description, 16);
AT(mfs_picture_t, width, 24);
WIDTH(mfs_picture_t, width, 4);
AT(mfs_picture_t, height, 28);
WIDTH(mfs_picture_t, height, 4);
AT(mfs_picture_t, data, 32);
AT(mfs_picture_t, size, 40);
WIDTH(mfs_picture_t, size, 8);

SIZE(mfs_picture_list_t, 16);
ALIGN(mfs_picture_list_t, 8);
AT(mfs_picture_list_t, struct_size, 0);
WIDTH(mfs_picture_list_t, struct_size, 4);
AT(mfs_picture_list_t, count, 4);
WIDTH(mfs_picture_list_t, count, 4);
AT(mfs_picture_list_t, pictures, 8);

SIZE(mfs_layout_sink_t, 40);
ALIGN(mfs_layout_sink_t, 8);
AT(mfs_layout_sink_t, struct_size, 0);
WIDTH(mfs_layout_sink_t, struct_size, 4);
AT(mfs_layout_sink_t, ctx, 8);
AT(mfs_layout_sink_t, literal, 16);
AT(mfs_layout_sink_t, original, 24);
AT(mfs_layout_sink_t, transformed, 32);

SIZE(mfs_format_kind_t, 56);
ALIGN(mfs_format_kind_t, 8);
AT(mfs_format_kind_t, struct_size, 0);
WIDTH(mfs_format_kind_t, struct_size, 4);
AT(mfs_format_kind_t, formats, 8);
AT(mfs_format_kind_t, create, 16);
AT(mfs_format_kind_t, destroy, 24);
AT(mfs_format_kind_t, layout, 32);
AT(mfs_format_kind_t, transform, 40);
AT(mfs_format_kind_t, get_extension, 48);
