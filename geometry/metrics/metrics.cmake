# epilabel::geometry_metrics — similarity alignment (Umeyama) and pose error metrics (MPJPE,
# P-MPJPE, N-MPJPE, PCK3D, AUC, Pose Structure Score). Eigen only. Included from
# geometry/CMakeLists.txt.
epilabel_add_library(NAME geometry_metrics
  SOURCES
    ${CMAKE_CURRENT_SOURCE_DIR}/metrics/alignment.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/metrics/metrics.cc
  PUBLIC_LIBS epilabel::geometry_core)
