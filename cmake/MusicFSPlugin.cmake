# musicfs_add_plugin(<target> SOURCES <src>...)
#
# Builds a MusicFS plugin: a MODULE library that exports only `musicfs_plugin_entry` (hidden
# visibility plus a symbol version script), refuses undefined symbols at link time (-z defs) so a
# missing dependency fails the build instead of the load, and carries no "lib" prefix.
# Used by the bundled plugins and, through the installed CMake package, by third-party plugins.
set(_MUSICFS_PLUGIN_MAP "${CMAKE_CURRENT_LIST_DIR}/musicfs-plugin.map" CACHE INTERNAL "")

function(musicfs_add_plugin target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "OUTPUT_NAME" "SOURCES")
  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE MusicFS::sdk)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(arg_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${arg_OUTPUT_NAME})
  endif()
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${_MUSICFS_PLUGIN_MAP}" "LINKER:-z,defs")
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${_MUSICFS_PLUGIN_MAP}")
endfunction()
