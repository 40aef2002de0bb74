/*
 * The ABI probe: a shared library whose only purpose is to carry the plugin ABI's types into
 * DWARF, where abidw/abidiff can see them. It exports one function per ABI struct (and per
 * function-pointer typedef) taking a pointer to it, so every struct, every member and every
 * callback signature is reachable from an exported symbol and lands in the ABI corpus.
 *
 * Built with -g -Og; compared by abidiff-check.sh against the baselines in tests/abi/baseline/.
 * When a struct is added to the ABI, add its probe here (an added function is allowed growth);
 * never remove or rename a probe (a removed function is an incompatible change).
 */
#include <musicfs/musicfs.h>

#define PROBE(name, type)                                                          \
    MFS_EXPORT void mfs_abi_probe_##name(const type* value);                       \
    MFS_EXPORT void mfs_abi_probe_##name(const type* value) { (void)value; }

/* abi.h */
PROBE(config_entry, mfs_config_entry_t)
PROBE(config, mfs_config_t)
/* host.h */
PROBE(host, mfs_host_t)
/* plugin.h */
PROBE(plugin, mfs_plugin_t)
PROBE(plugin_entry_fn, mfs_plugin_entry_fn)
/* track.h */
PROBE(track_source, mfs_track_source_t)
PROBE(tag, mfs_tag_t)
PROBE(tag_list, mfs_tag_list_t)
/* origin.h */
PROBE(origin_stat, mfs_origin_stat_t)
PROBE(origin_list_sink_fn, mfs_origin_list_sink_fn)
PROBE(origin_kind, mfs_origin_kind_t)
/* metadata.h */
PROBE(metadata_sink, mfs_metadata_sink_t)
PROBE(metadata_kind, mfs_metadata_kind_t)
/* template.h */
PROBE(template_call, mfs_template_call_t)
PROBE(template_function, mfs_template_function_t)
PROBE(template_kind, mfs_template_kind_t)
/* format.h */
PROBE(picture, mfs_picture_t)
PROBE(picture_list, mfs_picture_list_t)
PROBE(layout_sink, mfs_layout_sink_t)
PROBE(format_kind, mfs_format_kind_t)
