# Association of several people:
#   build/bench/association_bench   speed: with and without calibration, single person, + triangulation
add_executable(association_bench ${CMAKE_CURRENT_SOURCE_DIR}/association_bench.cc)
target_link_libraries(association_bench PRIVATE epilabel::geometry benchmark::benchmark TBB::tbb)
target_compile_options(association_bench PRIVATE ${EPILABEL_WARNINGS})
set_target_properties(association_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")
