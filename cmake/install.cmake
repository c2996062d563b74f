# `cmake --install build --prefix P` installs the headers (P/include/hashengine), the static
# libraries and a CMake package, so a C++ service does
#   find_package(hashengine REQUIRED)
#   target_link_libraries(service PRIVATE hashengine::engine_retrieval)   # search only
#   target_link_libraries(trainer PRIVATE hashengine::engine_zoo)         # everything
include(CMakePackageConfigHelpers)
set(HE_INSTALL_TARGETS engine_kernels engine_dist engine engine_retrieval engine_nn engine_zoo)
install(TARGETS ${HE_INSTALL_TARGETS} EXPORT hashengineTargets ARCHIVE DESTINATION lib
        LIBRARY DESTINATION lib RUNTIME DESTINATION bin)
foreach(dir engine kernels layers losses optim retrieval zoo)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION include/hashengine
          FILES_MATCHING PATTERN "*.h" PATTERN "*.inl")
endforeach()
install(EXPORT hashengineTargets NAMESPACE hashengine:: DESTINATION lib/cmake/hashengine)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/hashengineConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/hashengineConfig.cmake INSTALL_DESTINATION lib/cmake/hashengine)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/hashengineConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/hashengineConfig.cmake ${PROJECT_BINARY_DIR}/hashengineConfigVersion.cmake
        DESTINATION lib/cmake/hashengine)
