#include "pseudolabel/stages/calibrate.h"

#include <chrono>
#include <sstream>
#include <stdexcept>

#include "foundation/error.h"

namespace epilabel {

namespace {

BaselineScale ResolveBaseline(const BaselineSpec& spec, const Rig& rig) {
  BaselineScale bs;
  for (size_t c = 0; c < rig.size(); ++c) {
    if (rig[c].name == spec.camera_a) bs.camera_a = static_cast<camera_t>(c);
    if (rig[c].name == spec.camera_b) bs.camera_b = static_cast<camera_t>(c);
  }
  if (bs.camera_a < 0 || bs.camera_b < 0)
    throw InputError("baseline",
                     "camera '" + (bs.camera_a < 0 ? spec.camera_a : spec.camera_b) + "' is not one of the keypoint cameras");
  if (!(spec.metres > 0)) throw InputError("baseline", "the distance must be positive");
  bs.metres = spec.metres;
  return bs;
}

}  // namespace

BaselineSpec ParseBaselineSpec(const std::string& text) {
  std::stringstream ss(text);
  BaselineSpec b;
  std::string metres;
  if (!std::getline(ss, b.camera_a, ',') || !std::getline(ss, b.camera_b, ',') || !std::getline(ss, metres))
    throw InputError("baseline", "expected CAM1,CAM2,METRES, got '" + text + "'");
  try {
    size_t used = 0;
    b.metres = std::stod(metres, &used);
    if (used != metres.size()) throw std::invalid_argument("trailing characters");
  } catch (const std::exception&) {
    throw InputError("baseline", "'" + metres + "' is not a distance in metres");
  }
  if (!(b.metres > 0)) throw InputError("baseline", "the distance must be positive");
  return b;
}

CalibrationPipelineOptions PipelineOptionsFor(const Skeleton& skeleton, const CalibrateStageOptions& options,
                                              const Rig& rig) {
  CalibrationPipelineOptions p = options.pipeline;
  p.self.bones = skeleton.bones;
  p.self.symmetric_pairs = skeleton.symmetric;
  p.self.seed = options.seed;
  p.self.num_threads = options.num_threads;
  p.self.ba.refine_focal = options.refine_focal;
  p.self.ba.refine_k1 = options.refine_k1;
  p.self.progress = options.progress;
  WorldFrameOptions w = WorldFrameOptionsFor(skeleton);
  w.subject_height_m = options.subject_height_m;
  // A measured height is known to about a centimetre; the default is the adult population's.
  w.subject_height_sigma_m = options.subject_height_given ? 0.01 : 0.09;
  w.seed = options.seed;
  if (options.baseline) w.baseline = ResolveBaseline(*options.baseline, rig);
  p.world = w;
  p.height_given = options.subject_height_given;
  p.triangulation.min_confidence = p.self.min_confidence;
  return p;
}

CalibrateStageResult CalibrateCameras(const Rig& intrinsics, const PersonTrack& track,
                                      const CalibrateStageOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  CalibrateStageResult result;
  const CalibrationPipelineOptions pipeline = PipelineOptionsFor(*track.skeleton, options, intrinsics);
  result.output = CalibrateFromPoses(intrinsics, track.observations, pipeline);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace epilabel
