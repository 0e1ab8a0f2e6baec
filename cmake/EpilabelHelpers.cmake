# Warnings used by every target of the project.
set(EPILABEL_WARNINGS -Wall -Wextra -Wpedantic -Wno-unused-parameter)

# epilabel_add_library(NAME <name> SOURCES ... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...])
# Creates library epilabel_<name> with the alias epilabel::<name>; includes are rooted at the
# repository top so headers are included as "geometry/core/camera.h".
function(epilabel_add_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  set(target epilabel_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SOURCES})
  add_library(epilabel::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC ${ARG_PUBLIC_LIBS} PRIVATE ${ARG_PRIVATE_LIBS})
  target_compile_options(${target} PRIVATE ${EPILABEL_WARNINGS})
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# epilabel_add_test(NAME <name> SOURCES ... LIBS ... [LABELS ...])
# One GoogleTest executable registered with CTest (tests discovered per TEST()).
function(epilabel_add_test)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_LIBS} epilabel::testing GTest::gtest GTest::gtest_main)
  target_compile_options(${ARG_NAME} PRIVATE ${EPILABEL_WARNINGS})
  set(props ENVIRONMENT "EPILABEL_DATA_DIR=${PROJECT_SOURCE_DIR}/data")
  if(ARG_LABELS)
    list(APPEND props LABELS "${ARG_LABELS}")
  endif()
  gtest_discover_tests(${ARG_NAME}
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES ${props}
    DISCOVERY_TIMEOUT 60)
endfunction()
