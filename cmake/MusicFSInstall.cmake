# Install rules for the SDK: headers, the MusicFS::sdk target, musicfs_add_plugin() and the
# plugin version script, so third-party plugins build with find_package(MusicFS).
include(CMakePackageConfigHelpers)

set(MUSICFS_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/MusicFS")

install(DIRECTORY sdk/include/musicfs DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")
install(TARGETS musicfs_sdk EXPORT MusicFSTargets)
install(EXPORT MusicFSTargets NAMESPACE MusicFS:: DESTINATION ${MUSICFS_CMAKE_INSTALL_DIR})

configure_package_config_file(cmake/MusicFSConfig.cmake.in
  "${PROJECT_BINARY_DIR}/MusicFSConfig.cmake" INSTALL_DESTINATION ${MUSICFS_CMAKE_INSTALL_DIR})
write_basic_package_version_file("${PROJECT_BINARY_DIR}/MusicFSConfigVersion.cmake"
  COMPATIBILITY SameMajorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/MusicFSConfig.cmake"
  "${PROJECT_BINARY_DIR}/MusicFSConfigVersion.cmake"
  cmake/MusicFSPlugin.cmake
  cmake/musicfs-plugin.map
  DESTINATION ${MUSICFS_CMAKE_INSTALL_DIR})
