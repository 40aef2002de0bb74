# Tests of the FLAC and Ogg format writers (plugins/format-flac, plugins/format-ogg): originals
# made with sox/flac/metaflac/oggenc/opusenc/ffmpeg/mutagen, served through musicfs_layout_tool,
# checked with mutagen (/usr/bin/python3 has it), TagLib through meta-taglib, metaflac, flac -t,
# ogginfo, opusinfo and ffmpeg. See test_flac_ogg.py.
set(_flac_ogg_env
  "MUSICFS_LAYOUT_TOOL=$<TARGET_FILE:musicfs_layout_tool>"
  "MUSICFS_TAGDUMP=$<TARGET_FILE:musicfs_tagdump>"
  "MUSICFS_META_TAGLIB=$<TARGET_FILE:meta-taglib>"
  "MUSICFS_FORMAT_FLAC=$<TARGET_FILE:format-flac>"
  "MUSICFS_FORMAT_OGG=$<TARGET_FILE:format-ogg>"
  "MUSICFS_CORPUS=${PROJECT_SOURCE_DIR}/../shared/corpus/public")
foreach(_suite IN ITEMS flac ogg fuzz)
  if(_suite STREQUAL "fuzz")
    set(_name formats.fuzz_flac_ogg)
  else()
    set(_name formats.${_suite})
  endif()
  add_test(NAME ${_name}
           COMMAND /usr/bin/python3 "${CMAKE_CURRENT_LIST_DIR}/test_flac_ogg.py" ${_suite})
  set_tests_properties(${_name} PROPERTIES
    ENVIRONMENT "${_flac_ogg_env}"
    TIMEOUT 900
    SKIP_RETURN_CODE 77
    LABELS "formats")
endforeach()
