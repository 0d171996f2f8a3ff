# `make package` (cmake --build build --target package): a Debian package of what
# cmake/KestrelInstall.cmake installs, under /usr, as build/package/kestrel_<version>_<arch>.deb.
# Install it with `apt install ./build/package/kestrel_*.deb`; its Depends come from
# dpkg-shlibdeps (the libraries the command and libkestrel.so link: libc, libstdc++, TBB, libedit).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kestrel)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Kestrel")
set(CPACK_PACKAGE_CONTACT "Kestrel maintainers <kestrel@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Kestrel, a statically typed array language: the command, libkestrel and its C++ package")
set(CPACK_PACKAGE_DESCRIPTION
  "The kestrel command (run, check, fmt, emit, bench, the REPL), libkestrel.so with the JIT module \
libkestrel_jit.so, the public header <kestrel/kestrel.hpp>, the standard library and \
the CMake package: find_package(Kestrel CONFIG) and link Kestrel::kestrel.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/package)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps may look in the build folder (-l) for libraries the package itself ships.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR})
set(CPACK_STRIP_FILES ON)
include(CPack)
