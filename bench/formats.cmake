# Reading OpenPose JSON folders (simdjson + TBB): files/s and MB/s with 1 thread and all threads.
#   build/bench/openpose_read_bench [--benchmark_min_time=2]
# EPILABEL_BENCH_CAMERAS / EPILABEL_BENCH_FRAMES change the size of the synthetic tree.
add_executable(openpose_read_bench ${CMAKE_CURRENT_SOURCE_DIR}/openpose_read_bench.cc)
target_link_libraries(openpose_read_bench PRIVATE epilabel::io benchmark::benchmark TBB::tbb)
target_compile_options(openpose_read_bench PRIVATE ${EPILABEL_WARNINGS})

# Writing triangulated points (npz, Anipose CSV, OpenSim TRC) of 2,000 frames x 17 joints.
#   build/bench/points_write_bench
add_executable(points_write_bench ${CMAKE_CURRENT_SOURCE_DIR}/points_write_bench.cc)
target_link_libraries(points_write_bench PRIVATE epilabel::io benchmark::benchmark)
target_compile_options(points_write_bench PRIVATE ${EPILABEL_WARNINGS})
