# The synthetic studio: Synthesize (BVH loading, retargeting, resampling, placement and the
# simulated detector) for ring8 x 2000 frames, with 1 thread and all threads; plus the motion
# and detector stages alone.
#   build/bench/synthetic_bench [--benchmark_min_time=2]
add_executable(synthetic_bench ${CMAKE_CURRENT_SOURCE_DIR}/synthetic_bench.cc)
target_link_libraries(synthetic_bench PRIVATE epilabel::synthetic benchmark::benchmark TBB::tbb)
target_compile_options(synthetic_bench PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(synthetic_bench PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
