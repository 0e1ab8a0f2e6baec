#include "pseudolabel/labels.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "foundation/error.h"
#include "foundation/npz.h"
#include "geometry/estimators/triangulation.h"
#include "geometry/estimators/two_view.h"
#include "geometry/optim/sequence_smoothing.h"
#include "geometry/sfm/world_frame.h"
#include "pseudolabel/option_tables.h"

namespace epilabel {

void QualityGates::Check() const { CheckOptionRanges(QualityGatesTable(), *this); }

namespace {

// The sequence without the points of the per-frame single-view completion (num_views 1): they
// are never labels, and they stay out of everything else the labels take from the points (the
// bone medians and bone checks of the gates, the root joints, the VideoPose3D export's
// complete frames), so the labels do not change with the completion.
TriangulatedSequence WithoutCompletedPoints(const TriangulatedSequence& seq) {
  TriangulatedSequence out = seq;
  const int nf = out.points.num_frames(), nj = out.points.num_joints();
  for (frame_t f = 0; f < nf; ++f)
    for (joint_t j = 0; j < nj; ++j) {
      if (!out.points.IsValid(f, j) || seq.triangulation.points.IsValid(f, j)) continue;
      out.points.at(f, j).setConstant(kNaN);
      out.num_views.at(f, j) = 0;
      out.reproj_error_px.at(f, j) = kNaN;
      out.uncertainty_m.at(f, j) = kNaN;
    }
  return out;
}

}  // namespace

LabelStageResult LabelTrack(const Rig& rig, const PersonTrack& track, const TriangulatedSequence& seq_in,
                            const LabelStageOptions& options) {
  const bool completed = seq_in.completed && seq_in.completion.completed > 0;
  const TriangulatedSequence without = completed ? WithoutCompletedPoints(seq_in) : TriangulatedSequence{};
  const TriangulatedSequence& seq = completed ? without : seq_in;
  LabelStageResult r;
  r.valid = ApplyGates(seq, track.skeleton->bones, options.gates, &r.kept, &r.counts);
  r.dataset = MakeCameraFrameLabels(rig, track, seq, r.valid, r.kept, options.gates, options.sequence_name, &r.counts);
  r.videopose3d =
      MakeVideoPose3DExport(rig, track, seq, r.kept, options.subject.empty() ? options.sequence_name : options.subject);
  std::fill(r.dataset.person.begin(), r.dataset.person.end(), static_cast<int32_t>(track.id));
  return r;
}

FrameJointArray<uint8_t> ApplyGates(const TriangulatedSequence& seq, const std::vector<Bone>& bones,
                                    const QualityGates& gates, std::vector<uint8_t>* pose_kept, GateCounts* counts) {
  gates.Check();
  const Points3d& p = seq.points;
  const int nf = p.num_frames(), nj = p.num_joints();
  FrameJointArray<uint8_t> valid(nf, nj, 0);
  pose_kept->assign(nf, 0);
  const std::vector<double> medians = MedianBoneLengths(p, bones);
  counts->joints += static_cast<int64_t>(nf) * nj;
  counts->poses += nf;
  for (frame_t f = 0; f < nf; ++f) {
    int n_valid = 0;
    for (joint_t j = 0; j < nj; ++j) {
      if (!p.IsValid(f, j) || seq.num_views.at(f, j) < gates.min_views) {
        ++counts->failed_views;
        continue;
      }
      if (!(seq.reproj_error_px.at(f, j) <= gates.max_reprojection_error_px)) {
        ++counts->failed_error;
        continue;
      }
      bool bone_ok = true;
      for (size_t b = 0; b < bones.size() && bone_ok; ++b) {
        const Bone& bone = bones[b];
        if (bone.parent != j && bone.child != j) continue;
        const joint_t other = bone.parent == j ? bone.child : bone.parent;
        if (!p.IsValid(f, other) || !(medians[b] > 0)) continue;
        const double len = (p.at(f, j) - p.at(f, other)).norm();
        if (std::abs(len - medians[b]) > gates.max_bone_deviation_rel * medians[b]) bone_ok = false;
      }
      if (!bone_ok) {
        ++counts->failed_bone;
        continue;
      }
      if (!(seq.uncertainty_m.at(f, j) <= gates.max_uncertainty_m)) {
        ++counts->failed_uncertainty;
        continue;
      }
      valid.at(f, j) = 1;
      ++n_valid;
    }
    if (n_valid > 0 && n_valid >= gates.min_valid_share * nj) {
      (*pose_kept)[f] = 1;
      ++counts->poses_kept;
    }
  }
  // Statistics over the valid joints of kept poses.
  counts->valid_share_per_joint.assign(nj, 0.0);
  double unc = 0, err = 0;
  int64_t n = 0;
  for (frame_t f = 0; f < nf; ++f) {
    if (!(*pose_kept)[f]) continue;
    for (joint_t j = 0; j < nj; ++j) {
      if (!valid.at(f, j)) continue;
      counts->valid_share_per_joint[j] += 1.0;
      unc += seq.uncertainty_m.at(f, j);
      err += seq.reproj_error_px.at(f, j);
      ++n;
    }
  }
  counts->valid_joints += n;
  const int64_t kept = std::count(pose_kept->begin(), pose_kept->end(), 1);
  for (double& v : counts->valid_share_per_joint) v = kept ? v / static_cast<double>(kept) : kNaN;
  counts->mean_uncertainty_m = n ? unc / static_cast<double>(n) : kNaN;
  counts->mean_error_px = n ? err / static_cast<double>(n) : kNaN;
  return valid;
}

namespace {

// Appends one sample: `detections` and `points_in_cam` are the joints of one frame.
void AppendSample(LabelDataset* d, const Camera& cam, const std::string& sequence, int64_t frame_number,
                  const Eigen::Vector3d* detections, const std::vector<Eigen::Vector3d>& points_in_cam,
                  const uint8_t* valid, const double* uncertainty, const std::vector<joint_t>& root_joints) {
  const int nj = d->num_joints();
  const int row = d->num_samples();
  d->Resize(row + 1);
  d->camera[row] = d->CameraIndex(cam.name);
  d->sequence[row] = d->SequenceIndex(sequence);
  d->frame[row] = frame_number;
  d->K[row] = cam.K();
  d->image_size[row] = Eigen::Vector2i(cam.width, cam.height);
  for (joint_t j = 0; j < nj; ++j) {
    const size_t k = d->Index(row, j);
    d->keypoints2d[k] = detections[j].allFinite() ? detections[j] : Eigen::Vector3d::Zero();
    d->valid[k] = valid[j];
    d->points3d_cam[k] = valid[j] ? points_in_cam[j] : Eigen::Vector3d::Constant(kNaN);
    d->uncertainty[k] = valid[j] ? uncertainty[j] : kNaN;
  }
  Eigen::Vector3d root = Eigen::Vector3d::Zero();
  bool ok = !root_joints.empty();
  for (joint_t j : root_joints) {
    ok = ok && points_in_cam[j].allFinite();
    root += points_in_cam[j];
  }
  d->root_cam[row] = ok ? Eigen::Vector3d(root / static_cast<double>(root_joints.size())) : Eigen::Vector3d::Constant(kNaN);
}

int DetectedJoints(const Eigen::Vector3d* row, int nj, double min_conf) {
  int n = 0;
  for (int j = 0; j < nj; ++j) n += (row[j].z() >= min_conf && row[j].z() > 0 && row[j].allFinite()) ? 1 : 0;
  return n;
}

LabelDataset EmptyDataset(const PersonTrack& track) {
  LabelDataset d;
  d.skeleton = track.skeleton->name;
  d.joint_names = track.skeleton->joint_names;
  return d;
}

}  // namespace

LabelDataset MakeCameraFrameLabels(const Rig& rig, const PersonTrack& track, const TriangulatedSequence& seq,
                                   const FrameJointArray<uint8_t>& valid, const std::vector<uint8_t>& pose_kept,
                                   const QualityGates& gates, const std::string& sequence_name, GateCounts* counts) {
  LabelDataset d = EmptyDataset(track);
  for (const Camera& cam : rig) d.CameraIndex(cam.name);
  d.SequenceIndex(sequence_name);
  const Observations2d& obs = seq.triangulation.repaired;
  const int nj = obs.num_joints();
  counts->samples_per_camera.assign(rig.size(), 0);
  std::vector<Eigen::Vector3d> in_cam(nj);
  for (frame_t f = 0; f < obs.num_frames(); ++f) {
    if (!pose_kept[f]) continue;
    for (camera_t c = 0; c < obs.num_cameras(); ++c) {
      if (DetectedJoints(obs.Row(c, f), nj, gates.min_confidence) < gates.min_camera_joint_share * nj) continue;
      const Rigid3d& cam_from_world = rig[c].cam_from_world;
      for (joint_t j = 0; j < nj; ++j)
        in_cam[j] = seq.points.IsValid(f, j) ? cam_from_world * seq.points.at(f, j) : Eigen::Vector3d::Constant(kNaN);
      AppendSample(&d, rig[c], sequence_name, track.frame_numbers[f], obs.Row(c, f), in_cam, &valid.at(f, 0),
                   &seq.uncertainty_m.at(f, 0), track.skeleton->root);
      ++counts->samples_per_camera[c];
      ++counts->samples;
    }
  }
  return d;
}

TwoViewLabels MakeTwoViewLabels(const Rig& rig, const PersonTrack& track, const QualityGates& gates,
                                const WorldFrameOptions& scale_options, const std::string& sequence_name,
                                uint64_t seed) {
  TwoViewLabels out;
  out.dataset = EmptyDataset(track);
  for (const Camera& cam : rig) out.dataset.CameraIndex(cam.name);
  out.dataset.SequenceIndex(sequence_name);
  const Observations2d& obs = track.observations;
  const int nc = obs.num_cameras(), nf = obs.num_frames(), nj = obs.num_joints();
  out.counts.samples_per_camera.assign(nc, 0);
  out.pair_notes.assign(nc, "");
  if (nc < 2) throw std::invalid_argument("two-view labels need two cameras");
  std::vector<double> shares(nj, 0.0);
  int64_t kept_total = 0;
  double unc_sum = 0, err_sum = 0;
  int64_t valid_sum = 0;
  for (camera_t c = 0; c < nc; ++c) {
    const camera_t n = (c + 1) % nc;
    // Essential matrix from every shared joint (evenly subsampled).
    std::vector<std::pair<frame_t, joint_t>> ids;
    for (frame_t f = 0; f < nf; ++f)
      for (joint_t j = 0; j < nj; ++j) {
        const Eigen::Vector3d &a = obs.at(c, f, j), &b = obs.at(n, f, j);
        if (a.z() >= gates.min_confidence && b.z() >= gates.min_confidence && a.z() > 0 && b.z() > 0) ids.emplace_back(f, j);
      }
    const size_t step = std::max<size_t>(1, ids.size() / 4000);
    std::vector<Eigen::Vector2d> na, nb;
    for (size_t i = 0; i < ids.size(); i += step) {
      na.push_back(rig[c].NormalizedFromImage(obs.at(c, ids[i].first, ids[i].second).head<2>()));
      nb.push_back(rig[n].NormalizedFromImage(obs.at(n, ids[i].first, ids[i].second).head<2>()));
    }
    TwoViewOptions tv;
    tv.seed = seed + static_cast<uint64_t>(c);
    const TwoViewGeometry g = EstimateRelativeCameraPose(na, nb, rig[c].MeanFocal(), rig[n].MeanFocal(), tv);
    if (!g.success) {
      out.pair_notes[c] = "pair " + rig[c].name + "-" + rig[n].name + ": no relative pose (" +
                          std::to_string(g.num_inliers) + " inliers of " + std::to_string(na.size()) + ")";
      continue;
    }
    out.pair_notes[c] = "pair " + rig[c].name + "-" + rig[n].name + ": " + std::to_string(g.num_inliers) + "/" +
                        std::to_string(na.size()) + " inliers";
    Rig pair = {rig[c], rig[n]};
    pair[0].cam_from_world = Rigid3d();
    pair[1].cam_from_world = g.cam2_from_cam1;
    Observations2d two(2, nf, nj);
    for (frame_t f = 0; f < nf; ++f)
      for (joint_t j = 0; j < nj; ++j) {
        two.at(0, f, j) = obs.at(c, f, j);
        two.at(1, f, j) = obs.at(n, f, j);
      }
    TriangulationOptions topt;
    topt.min_confidence = gates.min_confidence;
    topt.repair_swaps = false;  // two views cannot tell a swap
    TriangulatedSequence seq;
    seq.triangulation = TriangulateSequence(pair, two, topt);
    // Metric scale from the subject height model; the pair's frame is camera c's.
    const double scale = MeasureSubjectHeight(seq.triangulation.points, scale_options).ScaleFor(scale_options.subject_height_m);
    if (!std::isfinite(scale)) {
      out.pair_notes[c] += "; no scale (legs and torso never triangulated)";
      continue;
    }
    const Sim3d scaled{scale, Eigen::Quaterniond::Identity(), Eigen::Vector3d::Zero()};
    seq.points = TransformPoints(seq.triangulation.points, scaled);
    seq.reproj_error_px = seq.triangulation.reproj_error_px;
    seq.num_views = seq.triangulation.num_views;
    seq.uncertainty_m = seq.triangulation.uncertainty_m;
    for (double& u : seq.uncertainty_m.data()) u *= scale;
    std::vector<uint8_t> kept;
    GateCounts counts;
    const FrameJointArray<uint8_t> valid = ApplyGates(seq, track.skeleton->bones, gates, &kept, &counts);
    out.counts.joints += counts.joints;
    out.counts.failed_views += counts.failed_views;
    out.counts.failed_error += counts.failed_error;
    out.counts.failed_bone += counts.failed_bone;
    out.counts.failed_uncertainty += counts.failed_uncertainty;
    out.counts.poses += counts.poses;
    out.counts.poses_kept += counts.poses_kept;
    out.counts.valid_joints += counts.valid_joints;
    std::vector<Eigen::Vector3d> in_cam(nj);
    for (frame_t f = 0; f < nf; ++f) {
      if (!kept[f]) continue;
      if (DetectedJoints(obs.Row(c, f), nj, gates.min_confidence) < gates.min_camera_joint_share * nj) continue;
      for (joint_t j = 0; j < nj; ++j) in_cam[j] = seq.points.at(f, j);
      AppendSample(&out.dataset, rig[c], sequence_name, track.frame_numbers[f], obs.Row(c, f), in_cam, &valid.at(f, 0),
                   &seq.uncertainty_m.at(f, 0), track.skeleton->root);
      ++out.counts.samples_per_camera[c];
      ++out.counts.samples;
      ++kept_total;
      for (joint_t j = 0; j < nj; ++j) {
        if (!valid.at(f, j)) continue;
        shares[j] += 1.0;
        unc_sum += seq.uncertainty_m.at(f, j);
        err_sum += seq.reproj_error_px.at(f, j);
        ++valid_sum;
      }
    }
  }
  out.counts.valid_share_per_joint = shares;
  for (double& v : out.counts.valid_share_per_joint) v = kept_total ? v / static_cast<double>(kept_total) : kNaN;
  out.counts.mean_uncertainty_m = valid_sum ? unc_sum / static_cast<double>(valid_sum) : kNaN;
  out.counts.mean_error_px = valid_sum ? err_sum / static_cast<double>(valid_sum) : kNaN;
  return out;
}

VideoPose3DExport MakeVideoPose3DExport(const Rig& rig, const PersonTrack& track, const TriangulatedSequence& seq,
                                        const std::vector<uint8_t>& pose_kept, const std::string& subject) {
  VideoPose3DExport e;
  const Observations2d& obs = seq.triangulation.repaired;
  const int nf = seq.points.num_frames(), nj = seq.points.num_joints(), nc = obs.num_cameras();
  auto complete = [&](frame_t f) {
    if (!pose_kept[f]) return false;
    for (joint_t j = 0; j < nj; ++j)
      if (!seq.points.IsValid(f, j)) return false;
    return true;
  };
  PickleValue& subject_3d = e.positions_3d[subject];
  PickleValue& subject_2d = e.positions_2d[subject];
  frame_t f = 0;
  while (f < nf) {
    if (!complete(f)) {
      ++f;
      continue;
    }
    frame_t g = f;
    while (g < nf && complete(g)) ++g;
    const int len = g - f;
    std::vector<float> p3(static_cast<size_t>(len) * nj * 3);
    for (frame_t k = f; k < g; ++k)
      for (joint_t j = 0; j < nj; ++j)
        for (int a = 0; a < 3; ++a) p3[(static_cast<size_t>(k - f) * nj + j) * 3 + a] = static_cast<float>(seq.points.at(k, j)(a));
    const std::string action = subject + "_" + std::to_string(track.frame_numbers[f]);
    subject_3d.Set(action, PickleValue::Array(NpyArray::FromVector(p3, {len, nj, 3})));
    PickleValue cams = PickleValue::List();
    for (camera_t c = 0; c < nc; ++c) {
      std::vector<float> p2(static_cast<size_t>(len) * nj * 2);
      for (frame_t k = f; k < g; ++k)
        for (joint_t j = 0; j < nj; ++j) {
          const Eigen::Vector3d& o = obs.at(c, k, j);
          const bool seen = o.z() > 0 && o.allFinite();
          p2[(static_cast<size_t>(k - f) * nj + j) * 2] = seen ? static_cast<float>(o.x()) : 0.0f;
          p2[(static_cast<size_t>(k - f) * nj + j) * 2 + 1] = seen ? static_cast<float>(o.y()) : 0.0f;
        }
      cams.Append(PickleValue::Array(NpyArray::FromVector(p2, {len, nj, 2})));
    }
    subject_2d.Set(action, cams);
    ++e.num_actions;
    e.num_frames += len;
    f = g;
  }
  const Skeleton& s = *track.skeleton;
  e.metadata.Set("layout_name", PickleValue::String(s.name));
  e.metadata.Set("num_joints", PickleValue::Int(nj));
  PickleValue left = PickleValue::List(), right = PickleValue::List();
  for (const SymmetricPair& pair : s.symmetric) {
    left.Append(PickleValue::Int(pair.left));
    right.Append(PickleValue::Int(pair.right));
  }
  e.metadata.Set("keypoints_symmetry", PickleValue::List({left, right}));
  PickleValue video = PickleValue::Dict();
  PickleValue size = PickleValue::Dict();
  size.Set("w", PickleValue::Int(rig.empty() ? 0 : rig[0].width));
  size.Set("h", PickleValue::Int(rig.empty() ? 0 : rig[0].height));
  video.Set(subject, size);
  e.metadata.Set("video_metadata", video);
  PickleValue names = PickleValue::List();
  for (const Camera& cam : rig) names.Append(PickleValue::String(cam.name));
  e.metadata.Set("camera_names", names);
  return e;
}

void WriteVideoPose3DExport(const VideoPose3DExport& e, const std::string& out_dir, const std::string& name) {
  {
    NpzWriter w(out_dir + "/data_3d_" + name + ".npz");
    w.Add("positions_3d", NpyArray::FromPickle(ToNumpyObjectArrayPickle(e.positions_3d)));
    w.Close();
  }
  NpzWriter w(out_dir + "/data_2d_" + name + ".npz");
  w.Add("positions_2d", NpyArray::FromPickle(ToNumpyObjectArrayPickle(e.positions_2d)));
  w.Add("metadata", NpyArray::FromPickle(ToNumpyObjectArrayPickle(e.metadata)));
  w.Close();
}

VideoPose3DExport MergeVideoPose3DExports(std::vector<VideoPose3DExport> parts) {
  if (parts.empty()) return {};
  VideoPose3DExport out = std::move(parts.front());
  for (size_t p = 1; p < parts.size(); ++p) {
    const VideoPose3DExport& part = parts[p];
    for (size_t k = 0; k < part.positions_3d.keys().size(); ++k)
      out.positions_3d.Set(part.positions_3d.keys()[k], part.positions_3d.items()[k]);
    for (size_t k = 0; k < part.positions_2d.keys().size(); ++k)
      out.positions_2d.Set(part.positions_2d.keys()[k], part.positions_2d.items()[k]);
    const std::vector<std::string>& meta_keys = part.metadata.keys();
    for (size_t k = 0; k < meta_keys.size(); ++k) {
      if (meta_keys[k] != "video_metadata") continue;
      const PickleValue& video = part.metadata.items()[k];
      for (size_t v = 0; v < video.keys().size(); ++v) out.metadata["video_metadata"].Set(video.keys()[v], video.items()[v]);
    }
    out.num_actions += part.num_actions;
    out.num_frames += part.num_frames;
  }
  return out;
}

void AccumulateGateCounts(const GateCounts& part, GateCounts* total) {
  GateCounts& t = *total;
  auto weighted = [](double a, int64_t na, double b, int64_t nb) {
    if (na + nb == 0) return kNaN;
    if (na == 0 || !std::isfinite(a)) return b;
    if (nb == 0 || !std::isfinite(b)) return a;
    return (a * static_cast<double>(na) + b * static_cast<double>(nb)) / static_cast<double>(na + nb);
  };
  t.mean_uncertainty_m = weighted(t.mean_uncertainty_m, t.valid_joints, part.mean_uncertainty_m, part.valid_joints);
  t.mean_error_px = weighted(t.mean_error_px, t.valid_joints, part.mean_error_px, part.valid_joints);
  if (t.valid_share_per_joint.size() < part.valid_share_per_joint.size())
    t.valid_share_per_joint.resize(part.valid_share_per_joint.size(), kNaN);
  for (size_t j = 0; j < part.valid_share_per_joint.size(); ++j)
    t.valid_share_per_joint[j] =
        weighted(t.valid_share_per_joint[j], t.poses_kept, part.valid_share_per_joint[j], part.poses_kept);
  t.joints += part.joints;
  t.failed_views += part.failed_views;
  t.failed_error += part.failed_error;
  t.failed_bone += part.failed_bone;
  t.failed_uncertainty += part.failed_uncertainty;
  t.valid_joints += part.valid_joints;
  t.poses += part.poses;
  t.poses_kept += part.poses_kept;
  t.samples += part.samples;
  if (t.samples_per_camera.size() < part.samples_per_camera.size()) t.samples_per_camera.resize(part.samples_per_camera.size(), 0);
  for (size_t c = 0; c < part.samples_per_camera.size(); ++c) t.samples_per_camera[c] += part.samples_per_camera[c];
}

}  // namespace epilabel
