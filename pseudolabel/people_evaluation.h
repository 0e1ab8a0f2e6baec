// The multi-person pipeline scored on a synthetic scene (the studio knows who is who): the
// association with the true cameras followed by the triangulation of every track, against the
// oracle association (each person triangulated from its own detections); and the
// self-calibration from every person, started from nothing, against the true rig. Shared by
// `epilabel demo` and bench/people_accuracy.
#pragma once

#include <cstdint>
#include <string>

#include "detection/synthetic/studio.h"
#include "geometry/sfm/rig_comparison.h"
#include "pseudolabel/people_scoring.h"
#include "pseudolabel/stages/association.h"
#include "pseudolabel/stages/people_calibration.h"
#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

struct PeopleEvaluation {
  PeopleSummary association;       // with the true cameras
  PeopleScore ours;                // our tracks against the truth (bystanders left out)
  PeopleScore oracle;              // the oracle association, same triangulation
  PeopleScore oracle_per_frame;    // the oracle association, per-frame triangulation (no
                                   // smoothing, no completion): the reference of issue 15
  PeopleScore ours_multi_view;     // our tracks over their points of two views or more
  PeopleScore ours_fewer_views;    // and over the others (completed or filled): MPJPE only
  double associate_triangulate_s = 0;  // association + triangulation of every track
  // Points of our tracks that the per-frame triangulation left out and the smoothing or the
  // single-view completion filled, and of those the ones one camera sees or none.
  int64_t points_filled = 0, points_single_view = 0, points_no_view = 0;
  SingleViewCompletionSummary completion;  // summed over our tracks (per frame only)
  // Self-calibration from every person (known intrinsics, extrinsics from nothing).
  bool calibrated = false;
  PeopleSummary calibration_association;
  RigComparison calibration;
  std::string calibration_verdict;
  double calibrate_s = 0;
  // The first pass alone (the association without cameras, pooled) and the second pass
  // (re-associated with the first calibration; stages/people_calibration.h): which was kept.
  bool first_calibrated = false;
  RigComparison first_calibration;
  std::string first_verdict;
  PeopleCalibrationSummary reassociation;
};

// `single_thread` runs the association and triangulation on one core (for frames/s per core).
// `calibration`: the self-calibration's options (its seed is replaced by `seed`).
// `triangulation`: the triangulation of every track, ours and the oracle's (e.g. smoothed).
PeopleEvaluation EvaluatePeople(const SyntheticScene& scene, uint64_t seed, bool self_calibrate, bool single_thread,
                                const CalibrateStageOptions& calibration = {},
                                const TriangulateStageOptions& triangulation = {});

// The self-calibration from the studio's true association: every person's own detections (the
// bystander's too), one track each, no ghost detections; the first pass (nothing to
// re-associate). Beside EvaluatePeople's calibration it separates the association's share of
// the self-calibration error from the detector's (bench/people_accuracy --oracle-calibration).
struct OracleCalibrationEvaluation {
  bool calibrated = false;
  RigComparison calibration;  // against the true rig
  std::string verdict;
};
// `calibration`: the self-calibration's options (its seed replaced by `seed`, re-association off).
OracleCalibrationEvaluation EvaluateOracleCalibration(const SyntheticScene& scene, uint64_t seed,
                                                      const CalibrateStageOptions& calibration = {});

}  // namespace epilabel
