# Installs headers, the libraries, an exported package config (find_package(eddy))
# and a pkg-config file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

foreach(module IN LISTS EDDY_MODULES)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endforeach()

get_property(eddy_extra_targets GLOBAL PROPERTY EDDY_INSTALL_TARGETS)
install(TARGETS eddy ${eddy_extra_targets} EXPORT eddyTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT eddyTargets NAMESPACE eddy:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/eddyConfig.cmake.in
  ${PROJECT_BINARY_DIR}/eddyConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/eddyConfig.cmake ${PROJECT_BINARY_DIR}/eddyConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/eddy)

configure_file(${CMAKE_CURRENT_LIST_DIR}/eddy.pc.in ${PROJECT_BINARY_DIR}/eddy.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/eddy.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
