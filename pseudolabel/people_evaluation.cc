#include "pseudolabel/people_evaluation.h"

#include <chrono>
#include <memory>
#include <utility>
#include <vector>

#include <tbb/global_control.h>

#include "pseudolabel/stages/calibrate.h"
#include "pseudolabel/stages/triangulate.h"

namespace epilabel {

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

KeypointInput InputOf(const SyntheticScene& scene) { return KeypointInputFromMemory(scene.ToKeypointSequence(), "studio"); }

// Stretch boundaries of every person: frames where a person may jump.
std::vector<uint8_t> Cuts(const SyntheticScene& scene) {
  std::vector<uint8_t> cuts(static_cast<size_t>(scene.points3d.num_frames()), 0);
  for (const PersonTruth& p : scene.people)
    for (int f : p.clip_start_frames)
      for (int k = f; k < f + 2 && k < static_cast<int>(cuts.size()); ++k)
        if (k > 0) cuts[static_cast<size_t>(k)] = 1;
  return cuts;
}

// The true association of one person: their own detections in every camera.
PersonTrack TrueTrack(const SyntheticScene& scene, const KeypointInput& input, const PersonTruth& person) {
  PersonTrack t;
  t.id = person.id;
  t.skeleton = input.skeleton;
  t.camera_names = input.camera_names;
  t.frame_numbers = scene.frame_numbers;
  t.observations = person.observations;
  return t;
}

// The truth and the oracle association's triangulation of every person but bystanders.
void OracleTracks(const SyntheticScene& scene, const KeypointInput& input, const TriangulateStageOptions& options,
                  std::vector<Points3d>* truth, std::vector<Points3d>* oracle, std::vector<int>* ids) {
  for (const PersonTruth& p : scene.people) {
    if (p.bystander) continue;
    truth->push_back(p.points3d);
    oracle->push_back(TriangulateTrack(scene.rig, TrueTrack(scene, input, p), options).points);
    ids->push_back(p.id);
  }
}

void CountFilled(const TriangulatedSequence& seq, PeopleEvaluation* e) {
  e->completion.Add(seq.completion);
  for (frame_t f = 0; f < seq.points.num_frames(); ++f)
    for (joint_t j = 0; j < seq.points.num_joints(); ++j) {
      if (!seq.points.IsValid(f, j) || seq.triangulation.points.IsValid(f, j)) continue;
      ++e->points_filled;
      e->points_single_view += seq.num_views.at(f, j) == 1;
      e->points_no_view += seq.num_views.at(f, j) == 0;
    }
}

// The points of two views or more (`multi_view`), or the others.
Points3d PointsByViews(const TriangulatedSequence& seq, bool multi_view) {
  Points3d p = seq.points;
  for (frame_t f = 0; f < p.num_frames(); ++f)
    for (joint_t j = 0; j < p.num_joints(); ++j)
      if ((seq.num_views.at(f, j) >= 2) != multi_view) p.at(f, j).setConstant(kNaN);
  return p;
}

void SelfCalibrate(const SyntheticScene& scene, const KeypointInput& input, uint64_t seed,
                   const CalibrateStageOptions& options, PeopleEvaluation* e) {
  const Rig intrinsics = WithoutExtrinsics(scene.rig);
  const auto t0 = std::chrono::steady_clock::now();
  const Association people = AssociatePeople(input, AssociationOptions{}, &intrinsics);
  e->calibration_association = people.summary;
  CalibrateStageOptions first_only = options;
  first_only.seed = seed;
  first_only.reassociation.enabled = false;
  // The first pass is measured on its own for the comparison; the full stage runs it again.
  PersonTrack used;
  const CalibrateStageResult first = CalibrateFromTracks(intrinsics, people.tracks, {}, first_only, &used);
  e->first_calibrated = first.output.success;
  e->first_verdict = VerdictName(first.output.report.verdict);
  if (first.output.success) e->first_calibration = CompareRigs(scene.rig, first.output.rig);
  CalibrateStageOptions co = first_only;
  co.reassociation.enabled = options.reassociation.enabled;
  const auto t1 = std::chrono::steady_clock::now();
  const PeopleCalibrationResult cal = CalibrateFromPeople(intrinsics, input, people, AssociationOptions{}, {}, co);
  e->calibrate_s = Seconds(t1) + std::chrono::duration<double>(t1 - t0).count() - first.seconds;
  e->reassociation = cal.summary;
  e->calibrated = cal.calibration.output.success;
  e->calibration_verdict = VerdictName(cal.calibration.output.report.verdict);
  if (e->calibrated) e->calibration = CompareRigs(scene.rig, cal.calibration.output.rig);
}

}  // namespace

PeopleEvaluation EvaluatePeople(const SyntheticScene& scene, uint64_t seed, bool self_calibrate, bool single_thread,
                                const CalibrateStageOptions& calibration, const TriangulateStageOptions& triangulation) {
  PeopleEvaluation e;
  const KeypointInput input = InputOf(scene);
  std::vector<Points3d> tracks, multi_view, fewer_views;
  std::vector<int> ids;
  {
    std::unique_ptr<tbb::global_control> one;
    if (single_thread) one = std::make_unique<tbb::global_control>(tbb::global_control::max_allowed_parallelism, 1);
    const auto t0 = std::chrono::steady_clock::now();
    const Association people = AssociatePeople(input, AssociationOptions{}, &scene.rig);
    for (const PersonTrack& t : people.tracks) {
      const TriangulatedSequence seq = TriangulateTrack(scene.rig, t, triangulation);
      CountFilled(seq, &e);
      tracks.push_back(seq.points);
      multi_view.push_back(PointsByViews(seq, true));
      fewer_views.push_back(PointsByViews(seq, false));
      ids.push_back(t.id);
    }
    e.associate_triangulate_s = Seconds(t0);
    e.association = people.summary;
  }
  std::vector<Points3d> truth, oracle, per_frame, unused_truth;
  std::vector<int> oracle_ids, unused_ids;
  OracleTracks(scene, input, triangulation, &truth, &oracle, &oracle_ids);
  const std::vector<uint8_t> cuts = Cuts(scene);
  e.ours = ScorePeople(tracks, ids, truth, input.skeleton->bones, cuts);
  e.ours_multi_view = ScorePeople(multi_view, ids, truth, input.skeleton->bones, cuts);
  e.ours_fewer_views = ScorePeople(fewer_views, ids, truth, input.skeleton->bones, cuts);
  e.oracle = ScorePeople(oracle, oracle_ids, truth, input.skeleton->bones, cuts);
  TriangulateStageOptions plain;
  plain.completion.enabled = false;
  OracleTracks(scene, input, plain, &unused_truth, &per_frame, &unused_ids);
  e.oracle_per_frame = ScorePeople(per_frame, oracle_ids, truth, input.skeleton->bones, cuts);
  if (self_calibrate) SelfCalibrate(scene, input, seed, calibration, &e);
  return e;
}

OracleCalibrationEvaluation EvaluateOracleCalibration(const SyntheticScene& scene, uint64_t seed,
                                                      const CalibrateStageOptions& calibration) {
  const KeypointInput input = InputOf(scene);
  std::vector<PersonTrack> tracks;
  for (const PersonTruth& p : scene.people) tracks.push_back(TrueTrack(scene, input, p));
  CalibrateStageOptions co = calibration;
  co.seed = seed;
  co.reassociation.enabled = false;
  PersonTrack used;
  const CalibrateStageResult r = CalibrateFromTracks(WithoutExtrinsics(scene.rig), tracks, {}, co, &used);
  OracleCalibrationEvaluation e;
  e.calibrated = r.output.success;
  e.verdict = VerdictName(r.output.report.verdict);
  if (e.calibrated) e.calibration = CompareRigs(scene.rig, r.output.rig);
  return e;
}

}  // namespace epilabel
