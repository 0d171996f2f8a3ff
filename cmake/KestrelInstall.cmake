# What `cmake --install build --prefix P` puts under P, and the CMake package that finds it:
#   P/bin/kestrel                      the command (dsl/cli/CMakeLists.txt installs it)
#   P/lib/libkestrel.so                the public API (Kestrel::kestrel)
#   P/lib/libkestrel_jit.so            the JIT module, loaded on the first compile: the engine
#                                      looks beside itself, then in ../lib (jit_loader.cpp)
#   P/include/kestrel/*.hpp            the public header(s)
#   P/share/kestrel/stdlib/*.kst       the standard library: an installed engine's default
#                                      (engine.cpp: ../share/kestrel/stdlib from its file)
#   P/lib/cmake/Kestrel/               KestrelConfig.cmake, KestrelConfigVersion.cmake, targets
# Included by the top-level CMakeLists.txt after every target exists. The same package is also
# written into the build folder, so -DKestrel_DIR=<build> keeps working there.
include(CMakePackageConfigHelpers)

set(KESTREL_INSTALL_CMAKEDIR lib/cmake/Kestrel)
# The engine's relative paths (jit_loader.cpp, engine.cpp) assume these three: keep them fixed.
set(KESTREL_INSTALL_BINDIR bin)
set(KESTREL_INSTALL_LIBDIR lib)
set(KESTREL_STDLIB_INSTALL_DIR share/kestrel/stdlib)

install(TARGETS kestrel_shared EXPORT KestrelTargets
  LIBRARY DESTINATION ${KESTREL_INSTALL_LIBDIR}
  INCLUDES DESTINATION include)
install(TARGETS kestrel_jit LIBRARY DESTINATION ${KESTREL_INSTALL_LIBDIR})
install(DIRECTORY ${KESTREL_ROOT}/dsl/include/kestrel DESTINATION include
  FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${KESTREL_ROOT}/stdlib/ DESTINATION ${KESTREL_STDLIB_INSTALL_DIR}
  FILES_MATCHING PATTERN "*.kst")
install(EXPORT KestrelTargets NAMESPACE Kestrel:: DESTINATION ${KESTREL_INSTALL_CMAKEDIR})

# find_package(Kestrel 0.1) accepts any 0.y with y >= 1.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/KestrelConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)

# The installed config.
configure_package_config_file(${KESTREL_ROOT}/cmake/KestrelConfig.cmake.in
  ${PROJECT_BINARY_DIR}/install-config/KestrelConfig.cmake
  INSTALL_DESTINATION ${KESTREL_INSTALL_CMAKEDIR}
  PATH_VARS KESTREL_STDLIB_INSTALL_DIR)
install(FILES ${PROJECT_BINARY_DIR}/install-config/KestrelConfig.cmake
  ${PROJECT_BINARY_DIR}/KestrelConfigVersion.cmake DESTINATION ${KESTREL_INSTALL_CMAKEDIR})

# The build folder's config: the targets where they were built, the source tree's stdlib.
set(KESTREL_STDLIB_INSTALL_DIR ${KESTREL_ROOT}/stdlib)
configure_package_config_file(${KESTREL_ROOT}/cmake/KestrelConfig.cmake.in
  ${PROJECT_BINARY_DIR}/KestrelConfig.cmake
  INSTALL_DESTINATION ${PROJECT_BINARY_DIR} INSTALL_PREFIX ${PROJECT_BINARY_DIR}
  PATH_VARS KESTREL_STDLIB_INSTALL_DIR)
export(EXPORT KestrelTargets NAMESPACE Kestrel:: FILE ${PROJECT_BINARY_DIR}/KestrelTargets.cmake)
set(KESTREL_STDLIB_INSTALL_DIR share/kestrel/stdlib)
