#include "pseudolabel/people_scoring.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace epilabel {

namespace {

// Mean distance of the joints both poses know, NaN when none.
double PoseDistance(const Points3d& a, const Points3d& b, frame_t f) {
  double sum = 0;
  int n = 0;
  for (joint_t j = 0; j < a.num_joints(); ++j)
    if (a.IsValid(f, j) && b.IsValid(f, j)) {
      sum += (a.at(f, j) - b.at(f, j)).norm();
      ++n;
    }
  return n ? sum / n : kNaN;
}

bool Present(const Points3d& p, frame_t f) {
  for (joint_t j = 0; j < p.num_joints(); ++j)
    if (p.IsValid(f, j)) return true;
  return false;
}

// Per frame, each present person matched to the nearest free track within the limit, nearest
// pairs first (greedy on the distance matrix).
std::vector<int> MatchFrame(const std::vector<Points3d>& tracks, const std::vector<Points3d>& truth, frame_t f,
                            double max_match_m) {
  std::vector<std::tuple<double, int, int>> pairs;
  for (size_t p = 0; p < truth.size(); ++p) {
    if (!Present(truth[p], f)) continue;
    for (size_t t = 0; t < tracks.size(); ++t) {
      const double d = PoseDistance(tracks[t], truth[p], f);
      if (d <= max_match_m) pairs.emplace_back(d, static_cast<int>(p), static_cast<int>(t));
    }
  }
  std::sort(pairs.begin(), pairs.end());
  std::vector<int> track_of(truth.size(), -1);
  std::vector<bool> used(tracks.size(), false);
  for (const auto& [d, p, t] : pairs)
    if (track_of[p] < 0 && !used[t]) {
      track_of[p] = t;
      used[t] = true;
    }
  return track_of;
}

int CorrectLimbs(const Points3d& pred, const Points3d& truth, frame_t f, const std::vector<Bone>& bones, double alpha,
                 int* limbs) {
  int correct = 0;
  for (const Bone& b : bones) {
    if (!truth.IsValid(f, b.parent) || !truth.IsValid(f, b.child)) continue;
    ++*limbs;
    if (!pred.IsValid(f, b.parent) || !pred.IsValid(f, b.child)) continue;
    const double length = (truth.at(f, b.parent) - truth.at(f, b.child)).norm();
    const double error = 0.5 * ((pred.at(f, b.parent) - truth.at(f, b.parent)).norm() +
                                (pred.at(f, b.child) - truth.at(f, b.child)).norm());
    if (error <= alpha * length) ++correct;
  }
  return correct;
}

}  // namespace

PeopleScore ScorePeople(const std::vector<Points3d>& tracks, const std::vector<int>& track_ids,
                        const std::vector<Points3d>& truth, const std::vector<Bone>& bones,
                        const std::vector<uint8_t>& cuts, const PeopleScoringOptions& options) {
  PeopleScore score;
  score.people.resize(truth.size());
  const int nf = truth.empty() ? 0 : truth[0].num_frames();
  std::vector<int64_t> limbs(truth.size(), 0), correct(truth.size(), 0), joints(truth.size(), 0);
  std::vector<double> error_sum(truth.size(), 0.0);
  std::vector<int> last_track(truth.size(), -1);
  std::vector<std::map<int, int>> followed(truth.size());
  double all_sum = 0;
  int64_t all_n = 0;
  for (frame_t f = 0; f < nf; ++f) {
    const std::vector<int> track_of = MatchFrame(tracks, truth, f, options.max_match_m);
    for (size_t p = 0; p < truth.size(); ++p) {
      if (!Present(truth[p], f)) continue;
      PersonScore& s = score.people[p];
      ++s.frames;
      const int t = track_of[p];
      if (t < 0) {
        int n = 0;
        CorrectLimbs(truth[p], truth[p], f, bones, options.pcp_alpha, &n);
        limbs[p] += n;
        continue;
      }
      ++s.matched_frames;
      ++followed[p][track_ids[t]];
      if (last_track[p] >= 0 && last_track[p] != t && !(f < static_cast<int>(cuts.size()) && cuts[f])) ++s.identity_switches;
      last_track[p] = t;
      int n = 0;
      correct[p] += CorrectLimbs(tracks[t], truth[p], f, bones, options.pcp_alpha, &n);
      limbs[p] += n;
      for (joint_t j = 0; j < truth[p].num_joints(); ++j)
        if (truth[p].IsValid(f, j) && tracks[t].IsValid(f, j)) {
          const double e = (tracks[t].at(f, j) - truth[p].at(f, j)).norm();
          error_sum[p] += e;
          ++joints[p];
          all_sum += e;
          ++all_n;
        }
    }
  }
  double pcp_sum = 0;
  int pcp_n = 0;
  for (size_t p = 0; p < truth.size(); ++p) {
    PersonScore& s = score.people[p];
    s.truth_id = static_cast<int>(p);
    s.pcp = limbs[p] ? static_cast<double>(correct[p]) / static_cast<double>(limbs[p]) : kNaN;
    s.mpjpe_m = joints[p] ? error_sum[p] / static_cast<double>(joints[p]) : kNaN;
    int best = 0;
    for (const auto& [id, n] : followed[p])
      if (n > best) {
        best = n;
        s.main_track = id;
      }
    score.identity_switches += s.identity_switches;
    if (std::isfinite(s.pcp)) {
      pcp_sum += s.pcp;
      ++pcp_n;
    }
  }
  score.mean_pcp = pcp_n ? pcp_sum / pcp_n : kNaN;
  score.mpjpe_m = all_n ? all_sum / static_cast<double>(all_n) : kNaN;
  return score;
}

}  // namespace epilabel
