# eddy::http: the HTTP/1.1 protocol layer, built on llhttp (the parser of Node.js).
# Included from net/CMakeLists.txt, so relative paths are relative to net/.
#
# llhttp's C sources come from Debian's node-llhttp package. They are compiled into
# an OBJECT library whose objects end up inside eddy_http, so consumers never link
# or include llhttp themselves: llhttp.h stays a private include directory.
set(EDDY_LLHTTP_SOURCE_DIR /usr/share/llhttp CACHE PATH "Directory with llhttp's api.c, http.c, llhttp.c")
set(EDDY_LLHTTP_INCLUDE_DIR /usr/share/include/llhttp CACHE PATH "Directory with llhttp.h")
if(NOT EXISTS ${EDDY_LLHTTP_SOURCE_DIR}/llhttp.c OR NOT EXISTS ${EDDY_LLHTTP_INCLUDE_DIR}/llhttp.h)
  message(FATAL_ERROR "llhttp not found (install node-llhttp or set EDDY_LLHTTP_SOURCE_DIR / EDDY_LLHTTP_INCLUDE_DIR)")
endif()

add_library(eddy_llhttp OBJECT
  ${EDDY_LLHTTP_SOURCE_DIR}/api.c
  ${EDDY_LLHTTP_SOURCE_DIR}/http.c
  ${EDDY_LLHTTP_SOURCE_DIR}/llhttp.c)
# Strict mode rejects what a server must not guess about: spaces in header names,
# bare LF line endings, data after `Connection: close`.
target_compile_definitions(eddy_llhttp PRIVATE LLHTTP_STRICT_MODE=1)
target_include_directories(eddy_llhttp PRIVATE ${EDDY_LLHTTP_INCLUDE_DIR})
set_target_properties(eddy_llhttp PROPERTIES POSITION_INDEPENDENT_CODE ON C_STANDARD 99)

add_library(eddy_http
  src/http/buffer_pool.cpp
  src/http/date_cache.cpp
  src/http/header_text.cpp
  src/http/headers.cpp
  src/http/mime.cpp
  src/http/output_buffer.cpp
  src/http/request.cpp
  src/http/response.cpp
  src/http/router.cpp
  src/http/serializer.cpp
  src/http/server.cpp
  src/http/server_connection.cpp
  src/http/server_codec.cpp
  src/http/static_file.cpp
  src/http/status.cpp
  src/http/stream_writer.cpp
  $<TARGET_OBJECTS:eddy_llhttp>)
add_library(eddy::http ALIAS eddy_http)
set_target_properties(eddy_http PROPERTIES EXPORT_NAME http POSITION_INDEPENDENT_CODE ON)
target_link_libraries(eddy_http PUBLIC eddy::eddy PRIVATE $<BUILD_INTERFACE:eddy_warnings>)
# Private headers are included by their path from the top: "net/src/http/target.hpp".
# llhttp.h is found only while building eddy_http's own sources.
target_include_directories(eddy_http PRIVATE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
  $<BUILD_INTERFACE:${EDDY_LLHTTP_INCLUDE_DIR}>)
target_compile_definitions(eddy_http PRIVATE LLHTTP_STRICT_MODE=1)
set_property(GLOBAL APPEND PROPERTY EDDY_INSTALL_TARGETS eddy_http)
# GCC 12 at -O2 reports std::string assignments inlined into server_codec.cpp as
# overlapping memcpy (-Wrestrict, GCC bug 105329, a false positive), which breaks
# the -Werror release build that `make run` does.
set_source_files_properties(src/http/server_codec.cpp PROPERTIES
  COMPILE_OPTIONS "$<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>")
