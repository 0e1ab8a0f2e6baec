# Time offsets of unsynchronised cameras (geometry/sync, pseudolabel/stages/sync*):
#   build/bench/sync_accuracy [--frames 1800] [--seeds 3] [--calibrate]   offset error, calibration and
#       triangulation with unknown offsets vs synchronised, speed for 8 cameras x 10,000 frames;
#   bench/sync_pose2sim.sh DATA_DIR   the Pose2Sim balancing trial with shifted cameras (a script).
add_executable(sync_accuracy ${CMAKE_CURRENT_SOURCE_DIR}/sync_accuracy.cc)
target_link_libraries(sync_accuracy PRIVATE epilabel::stages epilabel::synthetic epilabel::geometry TBB::tbb)
target_compile_options(sync_accuracy PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(sync_accuracy PRIVATE EPILABEL_DATA_DIR="${EPILABEL_DATA_DIR}")
set_target_properties(sync_accuracy PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${PROJECT_BINARY_DIR}/bench")
