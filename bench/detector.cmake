# The built-in pose detector (MoveNet Thunder and Lightning on OpenCV dnn): frames per second
# per camera on the Pose2Sim videos (tests/data/pose2sim_videos, 1088x1920), with 1 thread and
# all threads, tracked (crop around the last person) and on the full frame, and the whole
# 4-camera DetectCameras run; the crop shrink alone (OpenCV's INTER_AREA vs ours). Needs the
# models (scripts/setup-models.sh).
#   build/bench/detector_bench [--benchmark_min_time=3]
add_executable(detector_bench ${CMAKE_CURRENT_SOURCE_DIR}/detector_bench.cc)
target_link_libraries(detector_bench PRIVATE epilabel::detector benchmark::benchmark TBB::tbb opencv_imgproc opencv_videoio)
target_compile_options(detector_bench PRIVATE ${EPILABEL_WARNINGS})
target_compile_definitions(detector_bench PRIVATE
  EPILABEL_MODELS_DIR="${PROJECT_SOURCE_DIR}/models"
  EPILABEL_VIDEOS_DIR="${PROJECT_SOURCE_DIR}/tests/data/pose2sim_videos")
