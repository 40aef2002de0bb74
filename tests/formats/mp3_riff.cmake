# Tests of the MP3, WAV and AIFF format writers (plugins/format-mp3, plugins/format-riff):
# originals made with lame/sox/ffmpeg/mutagen, served through musicfs_layout_tool, checked with
# mutagen (/usr/bin/python3 has it), TagLib through meta-taglib, mp3val and ffmpeg.
set(_mp3_riff_env
  "MUSICFS_LAYOUT_TOOL=$<TARGET_FILE:musicfs_layout_tool>"
  "MUSICFS_TAGDUMP=$<TARGET_FILE:musicfs_tagdump>"
  "MUSICFS_META_TAGLIB=$<TARGET_FILE:meta-taglib>"
  "MUSICFS_FORMAT_MP3=$<TARGET_FILE:format-mp3>"
  "MUSICFS_FORMAT_RIFF=$<TARGET_FILE:format-riff>"
  "MUSICFS_CORPUS=${PROJECT_SOURCE_DIR}/../shared/corpus/public")
foreach(_suite IN ITEMS mp3 riff fuzz)
  if(_suite STREQUAL "fuzz")
    set(_name formats.fuzz_mp3_riff)
  else()
    set(_name formats.${_suite})
  endif()
  add_test(NAME ${_name}
           COMMAND /usr/bin/python3 "${CMAKE_CURRENT_LIST_DIR}/test_mp3_riff.py" ${_suite})
  set_tests_properties(${_name} PROPERTIES
    ENVIRONMENT "${_mp3_riff_env}"
    TIMEOUT 900
    SKIP_RETURN_CODE 77
    LABELS "formats")
endforeach()
