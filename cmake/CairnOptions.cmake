# Compiler flags shared by every cairn target.

add_compile_options(-Wall -Wextra -Wpedantic)
if(CAIRN_WERROR)
  add_compile_options(-Werror)
endif()

if(CAIRN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

if(CAIRN_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CAIRN_FUZZ needs clang (libFuzzer): configure with CXX=clang++")
  endif()
  # Everything is instrumented for coverage; only the fuzz executables link
  # libFuzzer's main (see tests/fuzz).
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# cairn_library(NAME <target> SOURCES ... DEPS ...)
# A static library whose public headers are included as "<folder>/<file>.h"
# from the directory above it (src/ for the core, the repository root for
# storage/, recovery/, metrics/).
function(cairn_library)
  cmake_parse_arguments(ARG "" "NAME;INCLUDE_ROOT" "SOURCES;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SOURCES})
  target_include_directories(${ARG_NAME} PUBLIC ${ARG_INCLUDE_ROOT})
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
endfunction()
