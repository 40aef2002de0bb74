# The M4A (AAC, ALAC) format writer, plugins/format-mp4: served files checked with FFmpeg,
# mutagen (as /usr/bin/python3 has it) and TagLib through meta-taglib. See test_mp4.py.

set(_mp4_env
  "MUSICFS_LAYOUT_TOOL=$<TARGET_FILE:musicfs_layout_tool>"
  "MUSICFS_FORMAT_MP4=$<TARGET_FILE:format-mp4>"
  "MUSICFS_META_TAGLIB=$<TARGET_FILE:meta-taglib>"
  "MUSICFS_TAGDUMP=$<TARGET_FILE:musicfs_tagdump>"
  "MUSICFS_CORPUS=${PROJECT_SOURCE_DIR}/../shared/corpus/public")

foreach(_mp4_test IN ITEMS roundtrip co64 fuzz)
  if(_mp4_test STREQUAL "roundtrip")
    set(_mp4_name formats.mp4)
  elseif(_mp4_test STREQUAL "fuzz")
    set(_mp4_name formats.fuzz_mp4)
  else()
    set(_mp4_name formats.mp4_co64)
  endif()
  add_test(NAME ${_mp4_name}
           COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/test_mp4.py ${_mp4_test})
  set_tests_properties(${_mp4_name} PROPERTIES
    ENVIRONMENT "${_mp4_env}"
    SKIP_RETURN_CODE 77
    TIMEOUT 900
    LABELS "formats")
endforeach()
