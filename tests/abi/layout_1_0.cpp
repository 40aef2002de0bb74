// The ABI 1.0 layout as a C++20 compiler sees it (the same numbers as in C: layout_1_0.c), plus
// what only C++ can pin at compile time: the exact type of every member (so a callback's
// signature cannot drift without its size changing) and the string constants a plugin has
// compiled in. If this file stops compiling, the header change is an ABI break; see
// layout_1_0.c for what may change and how.
#include "layout_1_0.c"

#include <string_view>
#include <type_traits>

#define TYPE(type, member, ...)                                           \
    static_assert(std::is_same_v<decltype(type::member), __VA_ARGS__>, \
                  "ABI break: the type of " #type "." #member " changed")
#define TEXT(macro, text) \
    static_assert(std::string_view(macro) == (text), "ABI break: " #macro " changed")

TEXT(MFS_PLUGIN_ENTRY_SYMBOL, "musicfs_plugin_entry");
TEXT(MFS_ORIGIN_KIND_ID, "musicfs.origin/1");
TEXT(MFS_METADATA_KIND_ID, "musicfs.metadata/1");
TEXT(MFS_TEMPLATE_KIND_ID, "musicfs.template/1");
TEXT(MFS_FORMAT_KIND_ID, "musicfs.format/1");
TEXT(MFS_PROP_DURATION_MS, "duration_ms");
TEXT(MFS_PROP_BITRATE_KBPS, "bitrate_kbps");
TEXT(MFS_PROP_SAMPLE_RATE, "sample_rate");
TEXT(MFS_PROP_CHANNELS, "channels");
TEXT(MFS_PROP_BITS_PER_SAMPLE, "bits_per_sample");

static_assert(std::is_same_v<mfs_plugin_entry_fn, const mfs_plugin_t* (*)()>);
static_assert(std::is_same_v<mfs_origin_list_sink_fn,
                             int32_t (*)(void*, const char*, const mfs_origin_stat_t*)>);

// abi.h
TYPE(mfs_config_entry_t, key, const char*);
TYPE(mfs_config_entry_t, value, const char*);
TYPE(mfs_config_t, struct_size, uint32_t);
TYPE(mfs_config_t, count, uint32_t);
TYPE(mfs_config_t, entries, const mfs_config_entry_t*);

// host.h
TYPE(mfs_host_t, struct_size, uint32_t);
TYPE(mfs_host_t, abi_major, uint16_t);
TYPE(mfs_host_t, abi_minor, uint16_t);
TYPE(mfs_host_t, host_version, const char*);
TYPE(mfs_host_t, ctx, void*);
TYPE(mfs_host_t, log, void (*)(void*, int32_t, const char*, const char*));
TYPE(mfs_host_t, config_get, int64_t (*)(void*, const char*, const char*, char*, size_t));
TYPE(mfs_host_t, counter_add, void (*)(void*, const char*, const char*, int64_t));
TYPE(mfs_host_t, progress, void (*)(void*, const char*, const char*, uint64_t, uint64_t));
TYPE(mfs_host_t, get_extension, const void* (*)(void*, const char*));

// plugin.h
TYPE(mfs_plugin_t, struct_size, uint32_t);
TYPE(mfs_plugin_t, abi_major, uint16_t);
TYPE(mfs_plugin_t, abi_minor, uint16_t);
TYPE(mfs_plugin_t, id, const char*);
TYPE(mfs_plugin_t, name, const char*);
TYPE(mfs_plugin_t, version, const char*);
TYPE(mfs_plugin_t, description, const char*);
TYPE(mfs_plugin_t, init, int32_t (*)(const mfs_host_t*));
TYPE(mfs_plugin_t, deinit, void (*)());
TYPE(mfs_plugin_t, get_kind, const void* (*)(const char*));

// track.h
TYPE(mfs_track_source_t, struct_size, uint32_t);
TYPE(mfs_track_source_t, path, const char*);
TYPE(mfs_track_source_t, size, uint64_t);
TYPE(mfs_track_source_t, read, int64_t (*)(void*, uint64_t, void*, uint64_t));
TYPE(mfs_track_source_t, ctx, void*);
TYPE(mfs_tag_t, key, const char*);
TYPE(mfs_tag_t, value, const char*);
TYPE(mfs_tag_list_t, struct_size, uint32_t);
TYPE(mfs_tag_list_t, count, uint32_t);
TYPE(mfs_tag_list_t, tags, const mfs_tag_t*);

// origin.h
TYPE(mfs_origin_stat_t, struct_size, uint32_t);
TYPE(mfs_origin_stat_t, type, uint32_t);
TYPE(mfs_origin_stat_t, size, uint64_t);
TYPE(mfs_origin_stat_t, mtime_ns, int64_t);
TYPE(mfs_origin_kind_t, struct_size, uint32_t);
TYPE(mfs_origin_kind_t, create, int32_t (*)(const mfs_host_t*, const mfs_config_t*, mfs_origin_t**));
TYPE(mfs_origin_kind_t, destroy, void (*)(mfs_origin_t*));
TYPE(mfs_origin_kind_t, list,
     int32_t (*)(mfs_origin_t*, const char*, mfs_origin_list_sink_fn, void*));
TYPE(mfs_origin_kind_t, stat, int32_t (*)(mfs_origin_t*, const char*, mfs_origin_stat_t*));
TYPE(mfs_origin_kind_t, open, int32_t (*)(mfs_origin_t*, const char*, mfs_origin_file_t**));
TYPE(mfs_origin_kind_t, read, int64_t (*)(mfs_origin_file_t*, uint64_t, void*, uint64_t));
TYPE(mfs_origin_kind_t, close, void (*)(mfs_origin_file_t*));
TYPE(mfs_origin_kind_t, get_extension, const void* (*)(mfs_origin_t*, const char*));

// metadata.h
TYPE(mfs_metadata_sink_t, struct_size, uint32_t);
TYPE(mfs_metadata_sink_t, ctx, void*);
TYPE(mfs_metadata_sink_t, tag, void (*)(void*, const char*, const char*));
TYPE(mfs_metadata_sink_t, property, void (*)(void*, const char*, int64_t));
TYPE(mfs_metadata_sink_t, format, void (*)(void*, const char*));
TYPE(mfs_metadata_kind_t, struct_size, uint32_t);
TYPE(mfs_metadata_kind_t, create,
     int32_t (*)(const mfs_host_t*, const mfs_config_t*, mfs_metadata_t**));
TYPE(mfs_metadata_kind_t, destroy, void (*)(mfs_metadata_t*));
TYPE(mfs_metadata_kind_t, read,
     int32_t (*)(mfs_metadata_t*, const mfs_track_source_t*, const mfs_metadata_sink_t*, char*,
                 size_t));
TYPE(mfs_metadata_kind_t, get_extension, const void* (*)(mfs_metadata_t*, const char*));

// template.h
TYPE(mfs_template_call_t, struct_size, uint32_t);
TYPE(mfs_template_call_t, argc, uint32_t);
TYPE(mfs_template_call_t, argv, const char* const*);
TYPE(mfs_template_call_t, tags, const mfs_tag_list_t*);
TYPE(mfs_template_call_t, field, int64_t (*)(void*, const char*, char*, size_t));
TYPE(mfs_template_call_t, ctx, void*);
TYPE(mfs_template_function_t, struct_size, uint32_t);
TYPE(mfs_template_function_t, name, const char*);
TYPE(mfs_template_function_t, min_args, uint32_t);
TYPE(mfs_template_function_t, max_args, uint32_t);
TYPE(mfs_template_function_t, description, const char*);
TYPE(mfs_template_function_t, call, int64_t (*)(const mfs_template_call_t*, char*, size_t));
TYPE(mfs_template_function_t, flags, uint32_t);  // 1.1
TYPE(mfs_template_kind_t, struct_size, uint32_t);
TYPE(mfs_template_kind_t, function_count, uint32_t);
TYPE(mfs_template_kind_t, functions, const mfs_template_function_t* const*);

// format.h
TYPE(mfs_picture_t, struct_size, uint32_t);
TYPE(mfs_picture_t, type, uint32_t);
TYPE(mfs_picture_t, mime, const char*);
TYPE(mfs_picture_t, description, const char*);
TYPE(mfs_picture_t, width, uint32_t);
TYPE(mfs_picture_t, height, uint32_t);
TYPE(mfs_picture_t, data, const uint8_t*);
TYPE(mfs_picture_t, size, uint64_t);
TYPE(mfs_picture_list_t, struct_size, uint32_t);
TYPE(mfs_picture_list_t, count, uint32_t);
TYPE(mfs_picture_list_t, pictures, const mfs_picture_t* const*);
TYPE(mfs_layout_sink_t, struct_size, uint32_t);
TYPE(mfs_layout_sink_t, ctx, void*);
TYPE(mfs_layout_sink_t, literal, int32_t (*)(void*, const uint8_t*, uint64_t));
TYPE(mfs_layout_sink_t, original, int32_t (*)(void*, uint64_t, uint64_t));
TYPE(mfs_layout_sink_t, transformed, int32_t (*)(void*, uint64_t, uint64_t, uint64_t));
TYPE(mfs_format_kind_t, struct_size, uint32_t);
TYPE(mfs_format_kind_t, formats, const char* const*);
TYPE(mfs_format_kind_t, create,
     int32_t (*)(const mfs_host_t*, const mfs_config_t*, mfs_format_writer_t**));
TYPE(mfs_format_kind_t, destroy, void (*)(mfs_format_writer_t*));
TYPE(mfs_format_kind_t, layout,
     int32_t (*)(mfs_format_writer_t*, const mfs_track_source_t*, const mfs_tag_list_t*,
                 const mfs_picture_list_t*, const mfs_layout_sink_t*, char*, size_t));
TYPE(mfs_format_kind_t, transform,
     int32_t (*)(mfs_format_writer_t*, uint64_t, const uint8_t*, uint8_t*, uint64_t));
TYPE(mfs_format_kind_t, get_extension, const void* (*)(mfs_format_writer_t*, const char*));
