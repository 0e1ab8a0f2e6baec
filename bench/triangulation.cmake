# Triangulation with known cameras:
#   build/bench/triangulation_accuracy [--frames 2000]   MPJPE: oracle, naive DLT, robust, smoothed
#   build/bench/triangulation_bench                      speed: points vs cameras, frames/s, smoothing
add_executable(triangulation_accuracy ${CMAKE_CURRENT_SOURCE_DIR}/triangulation_accuracy.cc)
target_link_libraries(triangulation_accuracy PRIVATE epilabel::synthetic epilabel::geometry TBB::tbb)
target_compile_options(triangulation_accuracy PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(triangulation_accuracy PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
set_target_properties(triangulation_accuracy PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")

add_executable(triangulation_bench ${CMAKE_CURRENT_SOURCE_DIR}/triangulation_bench.cc)
target_link_libraries(triangulation_bench PRIVATE epilabel::synthetic epilabel::geometry benchmark::benchmark TBB::tbb)
target_compile_options(triangulation_bench PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(triangulation_bench PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
set_target_properties(triangulation_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")
