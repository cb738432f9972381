# Installs the build tree into a fresh prefix, then configures, builds and runs the
# consumer project against it, once through find_package and once through pkg-config.
# Inputs: BUILD_DIR, PREFIX, SOURCE, WORK, CXX, CXX_FLAGS, LINK_FLAGS.
file(REMOVE_RECURSE "${PREFIX}" "${WORK}")

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
endfunction()

run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}")
run(${CMAKE_COMMAND} -S "${SOURCE}" -B "${WORK}/cmake" "-DCMAKE_PREFIX_PATH=${PREFIX}"
    "-DCMAKE_CXX_COMPILER=${CXX}" "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
run(${CMAKE_COMMAND} --build "${WORK}/cmake")
run("${WORK}/cmake/consumer")

find_program(PKG_CONFIG pkg-config)
if(PKG_CONFIG)
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/lib/pkgconfig")
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs eddy OUTPUT_VARIABLE pc
                  RESULT_VARIABLE rc OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config does not know eddy")
  endif()
  separate_arguments(pc UNIX_COMMAND "${pc}")
  separate_arguments(flags UNIX_COMMAND "${CXX_FLAGS} ${LINK_FLAGS}")
  run(${CXX} ${flags} "${SOURCE}/main.cpp" -o "${WORK}/consumer_pc" ${pc})
  run("${WORK}/consumer_pc")
endif()
