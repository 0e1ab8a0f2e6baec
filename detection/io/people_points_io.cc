#include "detection/io/people_points_io.h"

#include <stdexcept>

#include "foundation/error.h"
#include "foundation/npz.h"

namespace epilabel {

namespace {

void CheckSameShape(const PeoplePoints& p) {
  if (p.people.empty()) throw std::invalid_argument("points3d: no person to write");
  if (p.track_ids.size() != p.people.size()) throw std::invalid_argument("points3d: one track id per person expected");
  const PointsFile& first = p.people.front();
  for (const PointsFile& q : p.people) {
    if (q.points.num_frames() != first.points.num_frames() || q.points.num_joints() != first.points.num_joints() ||
        q.frame_numbers != first.frame_numbers)
      throw std::invalid_argument("points3d: every person must have the same frames and joints");
  }
}

// Interleaves [people][frames][joints] values into [frames][people][joints] (x `width` each).
template <typename T, typename Get>
std::vector<T> Interleave(const PeoplePoints& p, int width, Get get) {
  const int np = static_cast<int>(p.people.size());
  const int nf = p.people[0].points.num_frames(), nj = p.people[0].points.num_joints();
  std::vector<T> out(static_cast<size_t>(nf) * np * nj * width);
  for (int f = 0; f < nf; ++f)
    for (int q = 0; q < np; ++q)
      for (int j = 0; j < nj; ++j)
        for (int k = 0; k < width; ++k)
          out[((static_cast<size_t>(f) * np + q) * nj + j) * width + k] = get(p.people[q], f, j, k);
  return out;
}

}  // namespace

void WritePeoplePointsNpz(const PeoplePoints& p, const std::string& path) {
  CheckSameShape(p);
  if (p.people.size() == 1) {
    WritePointsNpz(p.people[0], path);
    return;
  }
  const PointsFile& first = p.people[0];
  const int64_t nf = first.points.num_frames(), np = static_cast<int64_t>(p.people.size()),
                nj = first.points.num_joints();
  NpzWriter writer(path);
  writer.Add("points3d", NpyArray::FromVector(Interleave<double>(p, 3, [](const PointsFile& q, int f, int j, int k) {
                                                return q.points.at(f, j)(k);
                                              }),
                                              {nf, np, nj, 3}));
  writer.Add("reproj_error_px", NpyArray::FromVector(Interleave<double>(p, 1, [](const PointsFile& q, int f, int j, int) {
                                                       return q.reproj_error_px.data().empty() ? kNaN : q.reproj_error_px.at(f, j);
                                                     }),
                                                     {nf, np, nj}));
  writer.Add("n_views", NpyArray::FromVector(Interleave<int32_t>(p, 1, [](const PointsFile& q, int f, int j, int) {
                                               return q.n_views.data().empty() ? 0 : q.n_views.at(f, j);
                                             }),
                                             {nf, np, nj}));
  bool all_uncertainty = true;
  for (const PointsFile& q : p.people) all_uncertainty = all_uncertainty && !q.uncertainty_m.data().empty();
  if (all_uncertainty)
    writer.Add("uncertainty_m", NpyArray::FromVector(Interleave<double>(p, 1, [](const PointsFile& q, int f, int j, int) {
                                                       return q.uncertainty_m.at(f, j);
                                                     }),
                                                     {nf, np, nj}));
  std::vector<int32_t> ids(p.track_ids.begin(), p.track_ids.end());
  writer.Add("track_ids", NpyArray::FromVector(ids, {np}));
  std::vector<std::string> names = first.joint_names;
  for (int64_t j = static_cast<int64_t>(names.size()); j < nj; ++j) names.push_back("joint_" + std::to_string(j));
  writer.Add("joint_names", NpyArray::FromStrings(names));
  std::vector<int64_t> frames = first.frame_numbers;
  if (frames.empty())
    for (int64_t f = 0; f < nf; ++f) frames.push_back(f);
  writer.Add("frame_numbers", NpyArray::FromVector(frames, {nf}));
  writer.Close();
}

PeoplePoints ReadPeoplePointsNpz(const std::string& path) {
  const auto npz = ReadNpz(path);
  const auto it = npz.find("points3d");
  if (it == npz.end()) throw InputError(path, "no 'points3d' array");
  PeoplePoints out;
  if (it->second.shape.size() == 3) {
    out.people.push_back(ReadPointsNpz(path));
    out.track_ids.push_back(0);
    return out;
  }
  const NpyArray& xyz = RequireArray(npz, "points3d", 4, path);
  if (xyz.shape[3] != 3) throw InputError(path, "points3d must have shape [frames, people, joints, 3]");
  const int64_t nf = xyz.shape[0], np = xyz.shape[1], nj = xyz.shape[2];
  auto per_point = [&](const std::string& name) -> std::vector<double> {
    if (npz.count(name) == 0) return {};
    const NpyArray& a = RequireArray(npz, name, 3, path);
    if (a.shape[0] != nf || a.shape[1] != np || a.shape[2] != nj)
      throw InputError(path, name + " must have shape [frames, people, joints] as points3d");
    try {
      return a.ToDoubles();
    } catch (const std::exception& e) {
      throw InputError(path, name + ": " + e.what());
    }
  };
  std::vector<double> v;
  try {
    v = xyz.ToDoubles();
  } catch (const std::exception& e) {
    throw InputError(path, std::string("points3d: ") + e.what());
  }
  const std::vector<double> err = per_point("reproj_error_px"), views = per_point("n_views"),
                            unc = per_point("uncertainty_m");
  std::vector<std::string> joint_names;
  std::vector<int64_t> frame_numbers;
  try {
    if (npz.count("joint_names")) joint_names = RequireArray(npz, "joint_names", 1, path).ToStrings();
    if (npz.count("frame_numbers")) frame_numbers = RequireArray(npz, "frame_numbers", 1, path).ToInt64();
    if (npz.count("track_ids"))
      for (int64_t id : RequireArray(npz, "track_ids", 1, path).ToInt64()) out.track_ids.push_back(static_cast<int>(id));
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, e.what());
  }
  if (!joint_names.empty() && static_cast<int64_t>(joint_names.size()) != nj)
    throw InputError(path, "joint_names has " + std::to_string(joint_names.size()) + " entries for " + std::to_string(nj) + " joints");
  if (!frame_numbers.empty() && static_cast<int64_t>(frame_numbers.size()) != nf)
    throw InputError(path, "frame_numbers has " + std::to_string(frame_numbers.size()) + " entries for " + std::to_string(nf) + " frames");
  if (out.track_ids.empty())
    for (int64_t q = 0; q < np; ++q) out.track_ids.push_back(static_cast<int>(q));
  if (static_cast<int64_t>(out.track_ids.size()) != np) throw InputError(path, "track_ids must have one entry per person");
  for (int64_t q = 0; q < np; ++q) {
    PointsFile pf;
    pf.points = Points3d(static_cast<int>(nf), static_cast<int>(nj));
    pf.reproj_error_px = FrameJointArray<double>(static_cast<int>(nf), static_cast<int>(nj), kNaN);
    pf.n_views = FrameJointArray<int32_t>(static_cast<int>(nf), static_cast<int>(nj), 0);
    if (!unc.empty()) pf.uncertainty_m = FrameJointArray<double>(static_cast<int>(nf), static_cast<int>(nj), kNaN);
    for (int64_t f = 0; f < nf; ++f)
      for (int64_t j = 0; j < nj; ++j) {
        const size_t i = (static_cast<size_t>(f) * np + q) * nj + j;
        pf.points.at(f, j) = Eigen::Vector3d(v[3 * i], v[3 * i + 1], v[3 * i + 2]);
        if (!err.empty()) pf.reproj_error_px.at(f, j) = err[i];
        if (!views.empty()) pf.n_views.at(f, j) = static_cast<int32_t>(views[i]);
        if (!unc.empty()) pf.uncertainty_m.at(f, j) = unc[i];
      }
    pf.joint_names = joint_names;
    pf.frame_numbers = frame_numbers;
    if (pf.frame_numbers.empty())
      for (int64_t f = 0; f < nf; ++f) pf.frame_numbers.push_back(f);
    out.people.push_back(std::move(pf));
  }
  return out;
}

}  // namespace epilabel
