#include "detection/keypoint_timing.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "foundation/error.h"

namespace epilabel {

namespace {

// Within this fraction of a frame an evenly spaced frame is a source frame (copied).
constexpr double kSameFrame = 1e-6;

bool Seen(const Eigen::Vector3d& joint) { return joint.allFinite() && joint.z() > 0.0; }

// The person of `frame` that is `person` (of a frame with `source_count` people): the one with
// its track_id when it has one (and only one has it), else the only person when both frames
// hold exactly one; nullptr otherwise.
const Person2d* Counterpart(const std::vector<Person2d>& frame, const Person2d& person, size_t source_count) {
  if (person.track_id >= 0) {
    const Person2d* found = nullptr;
    for (const Person2d& other : frame) {
      if (other.track_id != person.track_id) continue;
      if (found != nullptr) return nullptr;
      found = &other;
    }
    return found;
  }
  if (source_count == 1 && frame.size() == 1 && frame.front().track_id < 0) return &frame.front();
  return nullptr;
}

// The derivative at the middle of three samples (times t0 < t1 < t2) of the parabola through
// them: exact for quadratic motion, (p2 - p0) / (t2 - t0) when evenly spaced.
Eigen::Vector2d ThreePointDerivative(const Eigen::Vector2d& p0, const Eigen::Vector2d& p1, const Eigen::Vector2d& p2,
                                     double t0, double t1, double t2) {
  const double h0 = t1 - t0, h1 = t2 - t1;
  return p0 * (-h1 / (h0 * (h0 + h1))) + p1 * ((h1 - h0) / (h0 * h1)) + p2 * (h0 / (h1 * (h0 + h1)));
}

// One person between source frames i and i + 1 at fraction a (0 < a < 1): `a_person` and
// `b_person` are the person in those frames, `before`/`after` in i - 1 and i + 2 (may be null).
Person2d Interpolated(const Person2d& a_person, const Person2d& b_person, const Person2d* before, const Person2d* after,
                      const std::vector<double>& t, size_t i, double a) {
  Person2d out;
  out.track_id = a_person.track_id;
  const size_t nj = std::min(a_person.joints.size(), b_person.joints.size());
  out.joints.assign(a_person.joints.size(), Eigen::Vector3d::Zero());
  const double h = t[i + 1] - t[i];
  const double a2 = a * a, a3 = a2 * a;
  for (size_t j = 0; j < nj; ++j) {
    const Eigen::Vector3d& p = a_person.joints[j];
    const Eigen::Vector3d& q = b_person.joints[j];
    if (!Seen(p) || !Seen(q)) continue;
    Eigen::Vector2d xy = (1.0 - a) * p.head<2>() + a * q.head<2>();
    const bool cubic = before != nullptr && after != nullptr && j < before->joints.size() &&
                       j < after->joints.size() && Seen(before->joints[j]) && Seen(after->joints[j]);
    if (cubic) {  // cubic Hermite with the parabolas' derivatives (Catmull-Rom when even)
      const Eigen::Vector2d m0 =
          ThreePointDerivative(before->joints[j].head<2>(), p.head<2>(), q.head<2>(), t[i - 1], t[i], t[i + 1]);
      const Eigen::Vector2d m1 =
          ThreePointDerivative(p.head<2>(), q.head<2>(), after->joints[j].head<2>(), t[i], t[i + 1], t[i + 2]);
      xy = (2 * a3 - 3 * a2 + 1) * p.head<2>() + (a3 - 2 * a2 + a) * h * m0 + (-2 * a3 + 3 * a2) * q.head<2>() +
           (a3 - a2) * h * m1;
    }
    out.joints[j] << xy, (1.0 - a) * p.z() + a * q.z();
  }
  return out;
}

// The people at fraction a between source frames i and i + 1 (see OnEvenlySpacedFrames).
std::vector<Person2d> PeopleBetween(const CameraKeypoints& camera, size_t i, double a) {
  const auto& people = camera.people;
  const size_t near = a < 0.5 ? i : i + 1, far = a < 0.5 ? i + 1 : i;
  std::vector<Person2d> out;
  for (const Person2d& person : people[near]) {
    const Person2d* other = Counterpart(people[far], person, people[near].size());
    if (other == nullptr) {
      out.push_back(person);
      continue;
    }
    const Person2d& at_i = near == i ? person : *other;
    const Person2d& at_next = near == i ? *other : person;
    const Person2d* before = i > 0 ? Counterpart(people[i - 1], at_i, people[i].size()) : nullptr;
    const Person2d* after = i + 2 < people.size() ? Counterpart(people[i + 2], at_next, people[i + 1].size()) : nullptr;
    out.push_back(Interpolated(at_i, at_next, before, after, camera.timestamps_s, i, a));
  }
  return out;
}

}  // namespace

void CheckTimestamps(const std::vector<double>& times_s, const std::string& where) {
  for (size_t i = 0; i < times_s.size(); ++i) {
    if (!std::isfinite(times_s[i])) {
      throw InputError(where, "timestamp " + std::to_string(i) + " is not a finite number");
    }
    if (i > 0 && !(times_s[i] > times_s[i - 1])) {
      throw InputError(where, "timestamps are not increasing at index " + std::to_string(i) + " (" +
                                  std::to_string(times_s[i - 1]) + " s, then " + std::to_string(times_s[i]) + " s)");
    }
  }
}

FrameTiming MeasureFrameTiming(const std::vector<double>& times_s, double tolerance_frames) {
  FrameTiming timing;
  timing.frames = static_cast<int>(times_s.size());
  if (times_s.size() < 2) return timing;
  const double duration = times_s.back() - times_s.front();
  if (!(duration > 0.0)) return timing;
  timing.fps = static_cast<double>(times_s.size() - 1) / duration;
  for (size_t i = 0; i < times_s.size(); ++i) {
    const double deviation = std::abs((times_s[i] - times_s.front()) * timing.fps - static_cast<double>(i));
    timing.max_deviation_frames = std::max(timing.max_deviation_frames, deviation);
  }
  timing.variable = timing.max_deviation_frames > tolerance_frames;
  return timing;
}

double FrameIndexAtTime(const std::vector<double>& times_s, double t_s) {
  if (times_s.size() < 2) throw std::invalid_argument("FrameIndexAtTime: needs at least two timestamps");
  const auto upper = std::upper_bound(times_s.begin(), times_s.end(), t_s);
  const size_t after = static_cast<size_t>(std::clamp<std::ptrdiff_t>(upper - times_s.begin(), 1,
                                                                      static_cast<std::ptrdiff_t>(times_s.size()) - 1));
  const size_t before = after - 1;
  return static_cast<double>(before) + (t_s - times_s[before]) / (times_s[after] - times_s[before]);
}

CameraKeypoints OnEvenlySpacedFrames(const CameraKeypoints& camera, double fps) {
  const std::vector<double>& t = camera.timestamps_s;
  if (t.size() < 2 || t.size() != camera.frame_numbers.size() || t.size() != camera.people.size() || !(fps > 0.0)) {
    throw std::invalid_argument("OnEvenlySpacedFrames: two timestamps or more, one per frame, and fps > 0 expected");
  }
  CameraKeypoints out;
  out.name = camera.name;
  out.width = camera.width;
  out.height = camera.height;
  const size_t n = t.size();
  const size_t count = static_cast<size_t>(std::floor((t.back() - t.front()) * fps + kSameFrame)) + 1;
  for (size_t k = 0; k < count; ++k) {
    const double time = t.front() + static_cast<double>(k) / fps;
    const double index = std::clamp(FrameIndexAtTime(t, time), 0.0, static_cast<double>(n - 1));
    size_t i = std::min(static_cast<size_t>(std::floor(index)), n - 2);
    const double a = index - static_cast<double>(i);
    out.frame_numbers.push_back(camera.frame_numbers.front() + static_cast<int64_t>(k));
    out.timestamps_s.push_back(time);
    if (a < kSameFrame) {
      out.people.push_back(camera.people[i]);
    } else if (a > 1.0 - kSameFrame) {
      out.people.push_back(camera.people[i + 1]);
    } else {
      out.people.push_back(PeopleBetween(camera, i, a));
    }
  }
  return out;
}

}  // namespace epilabel
