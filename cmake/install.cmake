# install.cmake - what `cmake --install` puts where (GNUInstallDirs), and the
# Debian package `cpack` makes of it.  Included by the top-level
# CMakeLists.txt after every target exists.
#
#   bin/       zarrfs (when fuse3 was found), zarrfs-cat, zarrfs-info,
#              zarrfs-pack (their own folders' CMakeLists install them)
#   lib/       libzarrfs.so.VERSION (+ SONAME and dev links), libzarrfs.a,
#              pkgconfig/zarrfs.pc
#   include/   zarrfs/zarrfs.h, zarrfs/version.h
#   share/man/ man1/zarrfs.1, zarrfs-cat.1, zarrfs-info.1, zarrfs-pack.1

install(TARGETS zarrfs_engine zarrfs_shared
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/zarrfs/zarrfs.h
              ${PROJECT_BINARY_DIR}/include/zarrfs/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zarrfs)

# pkg-config: the engine's own dependencies are private (a static link
# needs them, a shared one does not); the prefix is relative to the file.
# libcurl is named in Libs.private, not Requires.private: `pkg-config
# --static` would add its own private libraries (nghttp2, rtmp, ldap, ...),
# whose -dev links Debian does not ship with libcurl's, and linking
# libzarrfs.a needs only -lcurl.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  message(FATAL_ERROR "CMAKE_INSTALL_LIBDIR must be relative to the prefix")
endif()
file(RELATIVE_PATH ZF_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
string(REGEX REPLACE "/$" "" ZF_PC_UP "${ZF_PC_UP}")
set(ZF_PC_REQUIRES "libzstd json-c zlib blosc liblz4 liblzma libcrypto libxml-2.0")
configure_file(${CMAKE_CURRENT_LIST_DIR}/zarrfs.pc.in
               ${PROJECT_BINARY_DIR}/zarrfs.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/zarrfs.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man pages: written by hand in doc/man; configured only for the version in
# their title lines.
foreach(page zarrfs zarrfs-cat zarrfs-info zarrfs-pack)
  configure_file(${PROJECT_SOURCE_DIR}/doc/man/${page}.1.in
                 ${PROJECT_BINARY_DIR}/man/${page}.1 @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/man/${page}.1
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endforeach()

# The Debian package (cpack -G DEB in the build folder):
# zarrfs_VERSION_ARCH.deb, installed under /usr.  Library dependencies come
# from dpkg-shlibdeps; fuse3 is declared for mount.fuse3 and fusermount3
# (mount -t fuse.zarrfs, fstab lines, unmounting).
set(ZF_DEB_MAINTAINER "zarrfs maintainers <zarrfs@example.org>" CACHE STRING
    "The Maintainer field of the Debian package")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME zarrfs)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${ZF_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Zarr arrays as flat binary files (FUSE file system and tools)")
set(CPACK_PACKAGE_DESCRIPTION
"zarrfs shows every array of a Zarr store (a folder, HTTP(S) or S3) as a
read-only flat file: the whole array in C order and native byte order.
Programs that only know flat files can read chunked, compressed and
sharded Zarr v2 and v3 data without a Zarr library.
.
This package holds the mount command zarrfs (also for mount -t
fuse.zarrfs and /etc/fstab), zarrfs-cat, zarrfs-info and zarrfs-pack,
and the libzarrfs library with its header and pkg-config file.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON) # shlibs + the ldconfig trigger
set(CPACK_DEBIAN_PACKAGE_DEPENDS "fuse3")
include(CPack)
