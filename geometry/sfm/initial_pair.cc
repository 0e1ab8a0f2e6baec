#include "geometry/sfm/initial_pair.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "foundation/statistics.h"
#include "geometry/estimators/triangulation.h"

namespace epilabel {

namespace {

const PairReport& ReportOf(const std::vector<PairReport>& reports, const ViewGraphEdge& edge) {
  const PairReport* found = nullptr;
  for (const auto& p : reports)
    if (p.a == edge.a && p.b == edge.b) found = &p;
  return *found;  // every edge comes from a report
}

// Bone-length spread of the two-view reconstruction of the pair at focal lengths
// exp(log_m) x larger image side; infinity when the relative pose fails.
double PairSpreadAtFocal(const Observations2d& obs, const Observations2d& frames, const std::vector<int>& frame_person,
                         const Rig& rig, const CameraPair& pair, size_t pair_index,
                         const SelfCalibrationOptions& options, double log_m, TwoViewGeometry* geometry_out) {
  const double m = std::exp(log_m);
  Rig pair_rig = {rig[pair.a], rig[pair.b]};
  for (Camera& cam : pair_rig) cam.fx = cam.fy = m * std::max(cam.width, cam.height);
  const TwoViewGeometry g = EstimatePairPose(pair_rig[0], pair_rig[1], obs, pair, pair_index, options);
  if (!g.success) return std::numeric_limits<double>::infinity();
  pair_rig[0].cam_from_world = Rigid3d();
  pair_rig[1].cam_from_world = g.cam2_from_cam1;
  Observations2d two(2, frames.num_frames(), frames.num_joints());
  for (frame_t f = 0; f < two.num_frames(); ++f)
    for (joint_t j = 0; j < frames.num_joints(); ++j) {
      two.at(0, f, j) = frames.at(pair.a, f, j);
      two.at(1, f, j) = frames.at(pair.b, f, j);
    }
  TriangulationOptions topt;
  topt.min_confidence = options.min_confidence;
  topt.ransac.reprojection_threshold_px = options.triangulation_threshold_px;
  const TriangulationResult tri = TriangulateSequence(pair_rig, two, topt);
  if (geometry_out) *geometry_out = g;
  return BoneLengthSpread(tri.points, options.bones, frame_person);
}

// Minimum of `f` over [lo, hi]: the best of a 17-point grid, refined by ten golden-section
// steps in the grid cells around it.
template <typename F>
double MinimiseOnInterval(double lo, double hi, const F& f) {
  constexpr int kGrid = 16;
  double best_x = 0.0, best = std::numeric_limits<double>::infinity();
  for (int k = 0; k <= kGrid; ++k) {
    const double x = lo + (hi - lo) * k / kGrid;
    const double v = f(x);
    if (v < best) {
      best = v;
      best_x = x;
    }
  }
  double a = best_x - (hi - lo) / kGrid, b = best_x + (hi - lo) / kGrid;
  const double g = (std::sqrt(5.0) - 1.0) / 2.0;
  double x1 = b - g * (b - a), x2 = a + g * (b - a);
  double f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < 10; ++it) {
    if (f1 < f2) {
      b = x2, x2 = x1, f2 = f1, x1 = b - g * (b - a), f1 = f(x1);
    } else {
      a = x1, x1 = x2, f1 = f2, x2 = a + g * (b - a), f2 = f(x2);
    }
  }
  return f1 < f2 ? x1 : x2;
}

constexpr size_t kMinBoneFrames = 20;  // lengths a bone (or a person's bone) needs to count

// (q3 - q1) / q2 of `values` (sorted in place); NaN when q2 is not positive.
double RelativeInterquartileRange(std::vector<double>* values) {
  std::vector<double>& v = *values;
  std::sort(v.begin(), v.end());
  const double q1 = v[v.size() / 4], q2 = v[v.size() / 2], q3 = v[3 * v.size() / 4];
  return q2 > 0 ? (q3 - q1) / q2 : kNaN;
}

// The distinct ids of `frame_person`, ascending.
std::vector<int> PeopleOf(const std::vector<int>& frame_person) {
  std::vector<int> ids = frame_person;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

// The length of bone `b` in every frame where both its joints are valid, with the person index
// (into `people`) of that frame when `person` is given.
std::vector<double> BoneLengths(const Points3d& points, const Bone& b, const std::vector<int>& frame_person,
                                const std::vector<int>& people, std::vector<size_t>* person) {
  std::vector<double> lengths;
  for (frame_t f = 0; f < points.num_frames(); ++f) {
    if (!points.IsValid(f, b.parent) || !points.IsValid(f, b.child)) continue;
    lengths.push_back((points.at(f, b.parent) - points.at(f, b.child)).norm());
    if (person)
      person->push_back(static_cast<size_t>(std::lower_bound(people.begin(), people.end(), frame_person[f]) -
                                            people.begin()));
  }
  return lengths;
}

// Each length divided by the median of its person's lengths; people with fewer than
// kMinBoneFrames lengths (or a median of zero) left out.
std::vector<double> LengthsOverPersonMedian(const std::vector<double>& lengths, const std::vector<size_t>& person,
                                            size_t num_people) {
  std::vector<std::vector<double>> by_person(num_people);
  for (size_t i = 0; i < lengths.size(); ++i) by_person[person[i]].push_back(lengths[i]);
  std::vector<double> ratios;
  for (const std::vector<double>& own : by_person) {
    if (own.size() < kMinBoneFrames) continue;
    const double median = Median(own);
    if (!(median > 0)) continue;
    for (double l : own) ratios.push_back(l / median);
  }
  return ratios;
}

}  // namespace

size_t ChooseInitialPair(const ViewGraph& graph, const std::vector<CameraPair>& pairs,
                         const std::vector<PairReport>& reports, const SelfCalibrationOptions& options) {
  const std::vector<ViewGraphEdge>& edges = graph.edges();
  size_t best_edge = edges.size();
  for (size_t e = 0; e < edges.size(); ++e) {
    if (graph.components()[edges[e].a] != 0) continue;
    if (best_edge == edges.size()) {
      best_edge = e;
      continue;
    }
    const bool enough_angle = ReportOf(reports, edges[e]).median_angle_deg >= options.min_initial_angle_deg;
    const bool cur_angle = ReportOf(reports, edges[best_edge]).median_angle_deg >= options.min_initial_angle_deg;
    if ((enough_angle && !cur_angle) || (enough_angle == cur_angle && edges[e].weight > edges[best_edge].weight))
      best_edge = e;
  }
  size_t index = 0;
  for (size_t p = 0; p < pairs.size(); ++p)
    if (pairs[p].a == edges[best_edge].a && pairs[p].b == edges[best_edge].b) index = p;
  return index;
}

void NoteUnconnectedCameras(const ViewGraph& graph, const Rig& rig, const std::vector<PairReport>& reports,
                            std::vector<std::string>* camera_notes) {
  for (camera_t c = 0; c < graph.num_cameras(); ++c) {
    if (graph.components()[c] == 0) continue;
    std::string best;
    int best_inliers = -1;
    for (const PairReport& pr : reports) {
      if (pr.a != c && pr.b != c) continue;
      if (pr.inliers > best_inliers) {
        best_inliers = pr.inliers;
        best = rig[pr.a == c ? pr.b : pr.a].name + ": " + (pr.reason.empty() ? "edge to another group" : pr.reason);
      }
    }
    (*camera_notes)[c] = "not connected to the main group of cameras (best pair " + best + ")";
  }
}

double BoneLengthSpread(const Points3d& points, const std::vector<Bone>& bones, const std::vector<int>& frame_person) {
  if (!frame_person.empty() && static_cast<int>(frame_person.size()) != points.num_frames())
    throw std::invalid_argument("BoneLengthSpread: frame_person must have one entry per frame");
  const std::vector<int> people = PeopleOf(frame_person);
  const bool several = people.size() > 1;
  std::vector<double> spreads;
  std::vector<size_t> person;
  for (const Bone& b : bones) {
    person.clear();
    std::vector<double> lengths = BoneLengths(points, b, frame_person, people, several ? &person : nullptr);
    if (several) lengths = LengthsOverPersonMedian(lengths, person, people.size());
    if (lengths.size() < kMinBoneFrames) continue;
    const double spread = RelativeInterquartileRange(&lengths);
    if (std::isfinite(spread)) spreads.push_back(spread);
  }
  if (spreads.empty()) return std::numeric_limits<double>::infinity();
  return Median(std::move(spreads));
}

bool SearchInitialPairFocal(const Observations2d& obs, const Observations2d& frames,
                            const std::vector<int>& frame_person, size_t pair_index,
                            const SelfCalibrationOptions& options, Rig* rig, CameraPair* pair) {
  const auto spread = [&](double log_m) {
    return PairSpreadAtFocal(obs, frames, frame_person, *rig, *pair, pair_index, options, log_m, nullptr);
  };
  const double x_best = MinimiseOnInterval(std::log(options.focal_min_rel), std::log(options.focal_max_rel), spread);
  TwoViewGeometry pair_geometry;
  if (!std::isfinite(
          PairSpreadAtFocal(obs, frames, frame_person, *rig, *pair, pair_index, options, x_best, &pair_geometry)))
    return false;
  const double m = std::exp(x_best);
  for (camera_t c : {pair->a, pair->b}) {
    Camera& cam = (*rig)[c];
    cam.fx = cam.fy = m * std::max(cam.width, cam.height);
  }
  pair->geometry = pair_geometry;
  return true;
}

}  // namespace epilabel
