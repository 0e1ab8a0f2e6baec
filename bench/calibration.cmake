# Self-calibration accuracy on the synthetic studio (a table of errors against the truth):
#   build/bench/calibration_accuracy [--frames 2000] [--scenario ring8]
add_executable(calibration_accuracy ${CMAKE_CURRENT_SOURCE_DIR}/calibration_accuracy.cc)
target_link_libraries(calibration_accuracy PRIVATE epilabel::synthetic epilabel::pipeline epilabel::geometry TBB::tbb)
target_compile_options(calibration_accuracy PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(calibration_accuracy PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
set_target_properties(calibration_accuracy PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")

# Speed of the calibration stages (Google Benchmark): essential matrix, bundle adjustment,
# whole self-calibration.
#   build/bench/calibration_bench
add_executable(calibration_bench ${CMAKE_CURRENT_SOURCE_DIR}/calibration_bench.cc)
target_link_libraries(calibration_bench PRIVATE epilabel::synthetic epilabel::geometry benchmark::benchmark TBB::tbb)
target_compile_options(calibration_bench PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(calibration_bench PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
set_target_properties(calibration_bench PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")
