#include "detection/synthetic/studio.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "detection/io/calibration_io.h"
#include "foundation/file_util.h"
#include "detection/io/keypoint_io.h"
#include "foundation/npz.h"
#include "detection/skeleton.h"
#include "detection/synthetic/bvh.h"
#include "detection/synthetic/motion.h"
#include "detection/synthetic/random.h"
#include "detection/synthetic/rigs.h"
#include "foundation/error.h"

namespace fs = std::filesystem;

namespace epilabel {

namespace {

constexpr int kMaxFrames = 10'000'000;

SimulatedDetectorOptions DetectorOptions(const StudioOptions& options) {
  SimulatedDetectorOptions d;
  d.noise_px = options.noise_px;
  d.outlier_rate = options.outlier_rate;
  d.swap_rate = options.swap_rate;
  d.missing_rate = options.missing_rate;
  d.hip_offset_px = options.hip_offset_px;
  d.seed = options.seed;
  d.progress = options.progress;
  return d;
}

// The realistic detector's options: the studio's own, with the scene's seed, rates and progress.
RealisticDetectorOptions RealisticOptions(const StudioOptions& options) {
  RealisticDetectorOptions r = options.realistic;
  r.seed = options.seed;
  r.fps = options.fps;
  r.camera_fps = options.camera_fps;
  r.progress = options.progress;
  return r;
}

// The BVH files to play: the given ones, else DATA_DIR/motions/*.bvh sorted by name.
std::vector<std::string> MotionFiles(const StudioOptions& options) {
  if (!options.motion_files.empty()) return options.motion_files;
  const fs::path dir = fs::path(options.data_dir) / "motions";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw InputError(dir.string(), "motion folder not found (set `data_dir` or EPILABEL_DATA_DIR to the data/ folder)");
  }
  return BvhFilesInFolder(dir.string());
}

std::string Number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

template <typename T>
NpyArray Scalar(T value) {
  return NpyArray::FromData(&value, {});
}

}  // namespace

void StudioOptions::Check() const {
  MakeStudioRig(rig);  // throws for unknown names
  if (lens != "pinhole" && lens != "fisheye") {
    throw InputError("lens", "must be pinhole or fisheye, got '" + lens + "'");
  }
  if (lens == "fisheye") {
    Rig probe;
    UseFisheyeLenses(fisheye_fov_deg, &probe);  // throws for a field of view out of range
  }
  if (num_frames < 1 || num_frames > kMaxFrames) {
    throw InputError("frames", "must be between 1 and " + std::to_string(kMaxFrames) + ", got " +
                                     std::to_string(num_frames));
  }
  if (!(fps > 0.0 && fps <= 1000.0)) throw InputError("fps", "must be in (0, 1000], got " + Number(fps));
  DetectorOptions(*this).Check();
  if (detector != "gaussian" && detector != "realistic") {
    throw InputError("detector", "must be `gaussian` or `realistic`, got `" + detector + "`");
  }
  if (detector == "realistic") {
    realistic.Check();
  }
  if (motion_variation && MultiPerson()) {
    throw InputError("motion_variation", "applies to one person (several people already move continuously)");
  }
  if (num_people < 1 || num_people > kMaxPeople) {
    throw InputError("people", "must be between 1 and " + std::to_string(kMaxPeople) + ", got " +
                                     std::to_string(num_people));
  }
  if (enter_leave && num_people < 2) throw InputError("enter_leave", "needs `people` 2 or more");
  if (!(min_distance_m >= 0.0 && min_distance_m <= 2.0)) {
    throw InputError("min_distance", "must be in [0, 2] m, got " + Number(min_distance_m));
  }
  if (!(min_height_m >= 1.0 && max_height_m >= min_height_m && max_height_m <= 2.3)) {
    throw InputError("heights", "need 1 <= min <= max <= 2.3 m, got " + Number(min_height_m) + ", " +
                                      Number(max_height_m));
  }
  if (!(false_positive_rate >= 0.0 && false_positive_rate <= 1.0)) {
    throw InputError("false_positive_rate", "must be a share between 0 and 1, got " + Number(false_positive_rate));
  }
  if (!time_offsets.empty()) {
    const size_t cameras = MakeStudioRig(rig).cameras.size();
    if (time_offsets.size() != cameras) {
      throw InputError("time_offsets", "needs one offset per camera of rig " + rig + " (" + std::to_string(cameras) +
                                           "), got " + std::to_string(time_offsets.size()));
    }
    for (double offset : time_offsets) {
      if (!(std::abs(offset) <= kMaxTimeOffsetFrames)) {
        throw InputError("time_offsets", "each offset must be a number of frames in [-" +
                                             Number(kMaxTimeOffsetFrames) + ", " + Number(kMaxTimeOffsetFrames) +
                                             "], got " + Number(offset));
      }
    }
  }
  if (!camera_fps.empty()) {
    const size_t cameras = MakeStudioRig(rig).cameras.size();
    if (camera_fps.size() != cameras) {
      throw InputError("camera_fps", "needs one frame rate per camera of rig " + rig + " (" + std::to_string(cameras) +
                                         "), got " + std::to_string(camera_fps.size()));
    }
    for (double rate : camera_fps) {
      if (!(rate > 0.0 && rate <= 1000.0)) throw InputError("camera_fps", "must be in (0, 1000], got " + Number(rate));
    }
  }
  if (motion_files.empty() && data_dir.empty()) {
    throw InputError("motion clips", "no motion clips: give motion files or the data folder");
  }
}

KeypointSequence SyntheticScene::ToKeypointSequence() const {
  if (!detections.cameras.empty()) return detections;
  std::vector<std::string> names;
  for (const Camera& camera : rig) names.push_back(camera.name);
  KeypointSequence seq = FromObservations(observations, frame_numbers, names, "coco17");
  for (size_t c = 0; c < rig.size(); ++c) {
    seq.cameras[c].width = rig[c].width;
    seq.cameras[c].height = rig[c].height;
  }
  return seq;
}

namespace {

constexpr uint64_t kPeopleStream = 0x50454F504C45ULL;  // "PEOPLE"
constexpr uint64_t kSlotStream = 0x534C4F5453ULL;      // "SLOTS"
constexpr uint64_t kBystanderStream = 0x4259535441ULL; // "BYSTA"

std::vector<BvhMotion> LoadClips(const StudioOptions& options) {
  const std::vector<std::string> files = MotionFiles(options);
  std::vector<BvhMotion> clips;
  clips.reserve(files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    clips.push_back(ReadBvh(files[i]));
    if (options.progress) options.progress("loading motion clips", i + 1, files.size());
  }
  return clips;
}

MotionOptions BaseMotionOptions(const StudioOptions& options, const StudioRig& rig) {
  MotionOptions m;
  m.num_frames = options.num_frames;
  m.fps = options.fps;
  m.area_center = rig.area_center;
  m.area_half_extents = rig.area_half_extents;
  m.seed = options.seed;
  return m;
}

PersonTruth PersonFromMotion(int id, MotionSequence motion, std::vector<uint8_t> present) {
  PersonTruth person;
  person.id = id;
  person.points3d = std::move(motion.points3d);
  person.present = std::move(present);
  person.height = motion.subject_height;
  person.bone_lengths = motion.bone_lengths;
  for (const ClipPlay& play : motion.plays) {
    person.clip_names.push_back(play.clip);
    person.clip_start_frames.push_back(play.first_frame);
  }
  person.jump_frames = std::move(motion.jump_frames);
  for (int f = 0; f < person.points3d.num_frames(); ++f) {
    if (person.present[f]) continue;
    for (int j = 0; j < 17; ++j) person.points3d.at(f, j) = Eigen::Vector3d::Constant(kNaN);
  }
  return person;
}

void TakeDetection(SimulatedDetection detection, PersonTruth* person) {
  person->observations = std::move(detection.observations);
  person->outlier_mask = std::move(detection.outlier_mask);
  person->swap_mask = std::move(detection.swap_mask);
  person->missing_mask = std::move(detection.missing_mask);
  person->invisible_mask = std::move(detection.invisible_mask);
  person->occluded_mask = std::move(detection.occluded_mask);
  person->statistics = detection.statistics;
}

// Presence of each person: everyone all the time, or with enter_leave people 1.. enter at 0 or
// in the first 40% of the frames and leave at the end or in the last 40% (at least one of them
// does not stay throughout).
std::vector<std::vector<uint8_t>> Presence(const StudioOptions& options, synthetic::Random* rng) {
  const int frames = options.num_frames;
  std::vector<std::vector<uint8_t>> present(options.num_people, std::vector<uint8_t>(frames, 1));
  if (!options.enter_leave) return present;
  bool someone_moves = false;
  std::vector<std::pair<int, int>> spans(options.num_people, {0, frames});
  for (int p = 1; p < options.num_people; ++p) {
    const double u_enter = rng->Uniform(), t_enter = rng->Uniform();
    const double u_leave = rng->Uniform(), t_leave = rng->Uniform();
    const int enter = u_enter < 1.0 / 3.0 ? 0 : static_cast<int>(t_enter * 0.4 * frames);
    const int leave = u_leave < 1.0 / 3.0 ? frames : frames - static_cast<int>(t_leave * 0.4 * frames);
    spans[p] = {enter, leave};
    someone_moves = someone_moves || enter > 0 || leave < frames;
  }
  if (!someone_moves) spans.back().first = frames / 4;
  for (int p = 1; p < options.num_people; ++p) {
    for (int f = 0; f < frames; ++f) present[p][f] = f >= spans[p].first && f < spans[p].second;
  }
  return present;
}

// A spot for the bystander outside the capture area (at least 1 m beyond its edge, 1 m from
// every camera) where one or two cameras see a standing person whole and no other camera sees
// any of it; failing that, the spot seen by the fewest cameras (at least one whole).
Eigen::Vector2d BystanderSpot(const StudioRig& rig, double height, synthetic::Random* rng) {
  std::vector<VisibleProjector> projectors;
  for (const Camera& camera : rig.cameras) projectors.emplace_back(camera);
  struct Candidate {
    Eigen::Vector2d xy;
    int seeing;
  };
  std::vector<Candidate> good, fallback;
  int fewest = std::numeric_limits<int>::max();
  const Eigen::Vector2d half = rig.area_half_extents;
  for (double x = -half.x() - 4.0; x <= half.x() + 4.0 + 1e-9; x += 0.25) {
    for (double y = -half.y() - 4.0; y <= half.y() + 4.0 + 1e-9; y += 0.25) {
      const Eigen::Vector2d xy = rig.area_center + Eigen::Vector2d(x, y);
      if (std::abs(x) < half.x() + 1.0 && std::abs(y) < half.y() + 1.0) continue;
      bool near_camera = false;
      for (const Camera& camera : rig.cameras) near_camera |= (camera.CenterInWorld().head<2>() - xy).norm() < 1.0;
      if (near_camera) continue;
      int seeing = 0, whole = 0;
      for (const VisibleProjector& projector : projectors) {
        int visible = 0;
        for (double z : {0.1, 0.5, 0.9, 1.3, 1.6}) {
          visible += projector.Project(Eigen::Vector3d(xy.x(), xy.y(), z * height / 1.75)).has_value();
        }
        seeing += visible > 0;
        whole += visible == 5;
      }
      if (whole == 0) continue;
      if (seeing <= 2) good.push_back({xy, seeing});
      if (seeing < fewest) {
        fewest = seeing;
        fallback.clear();
      }
      if (seeing == fewest) fallback.push_back({xy, seeing});
    }
  }
  const std::vector<Candidate>& pool = good.empty() ? fallback : good;
  if (pool.empty()) return rig.area_center + Eigen::Vector2d(half.x() + 1.5, 0.0);
  return pool[rng->Index(pool.size())].xy;
}

// The mid-hip track of a person being played: as played so far, then standing where it stands
// last (NaN where absent or before anything is played).
std::vector<Eigen::Vector2d> TrackSoFar(const MotionPlayer& player, const std::vector<uint8_t>& present) {
  std::vector<Eigen::Vector2d> track = MidHipTrack(player.sequence().points3d, present);
  const int played = player.frame();
  if (played == 0) return track;
  const Points3d& points = player.sequence().points3d;
  const Eigen::Vector2d last = 0.5 * (points.at(played - 1, 11) + points.at(played - 1, 12)).head<2>();
  for (size_t f = played; f < track.size(); ++f) track[f] = present[f] ? last : Eigen::Vector2d::Constant(kNaN);
  return track;
}

// The people of a multi-person scene: heights, presence, motion placed apart, the bystander.
std::vector<PersonTruth> MakePeople(const StudioOptions& options, const StudioRig& rig, const MotionLibrary& library,
                                    int* crowded_frames) {
  synthetic::Random rng(synthetic::StreamSeed(options.seed, kPeopleStream));
  const int total = options.num_people + (options.bystander ? 1 : 0);
  std::vector<double> heights(total);
  for (double& h : heights) h = rng.Uniform(options.min_height_m, options.max_height_m);
  std::vector<std::vector<uint8_t>> present = Presence(options, &rng);
  const double standing = library.body().standing_height();

  // The people take turns, a stretch at a time, the one with the fewest frames played first; each
  // stretch keeps away from the others' stretches played so far and from where they stand last.
  std::vector<MotionPlayer> players;
  for (int p = 0; p < options.num_people; ++p) {
    MotionOptions m = BaseMotionOptions(options, rig);
    m.stream = static_cast<uint64_t>(p);
    m.body_scale = heights[p] / standing;
    m.random_start = true;
    m.min_distance = options.min_distance_m;
    m.continuous = true;
    players.emplace_back(library, m);
  }
  MotionConstraints constraints;
  constraints.avoid.resize(options.num_people - 1);
  for (;;) {
    int next = -1;
    for (int p = 0; p < options.num_people; ++p) {
      if (!players[p].done() && (next < 0 || players[p].frame() < players[next].frame())) next = p;
    }
    if (next < 0) break;
    constraints.present = present[next];
    for (int p = 0, a = 0; p < options.num_people; ++p) {
      if (p != next) constraints.avoid[a++] = TrackSoFar(players[p], present[p]);
    }
    players[next].PlayNext(constraints);
  }
  std::vector<PersonTruth> people;
  for (int p = 0; p < options.num_people; ++p) {
    MotionSequence motion = players[p].Take();
    *crowded_frames += motion.crowded_frames;
    people.push_back(PersonFromMotion(p, std::move(motion), present[p]));
    if (options.progress) options.progress("placing people", p + 1, total);
  }
  if (options.bystander) {
    synthetic::Random spot_rng(synthetic::StreamSeed(options.seed, kBystanderStream));
    MotionOptions m = BaseMotionOptions(options, rig);
    m.stream = static_cast<uint64_t>(total - 1);
    m.body_scale = heights.back() / standing;
    m.random_start = true;
    m.area_center = BystanderSpot(rig, heights.back(), &spot_rng);
    m.area_half_extents = Eigen::Vector2d(0.5, 0.5);
    m.continuous = true;
    people.push_back(PersonFromMotion(total - 1, PlayMotion(library, m), std::vector<uint8_t>(options.num_frames, 1)));
    people.back().bystander = true;
  }
  return people;
}

double MinPersonDistance(const std::vector<PersonTruth>& people) {
  double nearest = std::numeric_limits<double>::infinity();
  std::vector<std::vector<Eigen::Vector2d>> tracks;
  for (const PersonTruth& person : people) tracks.push_back(MidHipTrack(person.points3d, person.present));
  for (size_t a = 0; a < tracks.size(); ++a) {
    for (size_t b = a + 1; b < tracks.size(); ++b) {
      for (size_t f = 0; f < tracks[a].size(); ++f) {
        if (tracks[a][f].allFinite() && tracks[b][f].allFinite()) {
          nearest = std::min(nearest, (tracks[a][f] - tracks[b][f]).norm());
        }
      }
    }
  }
  return std::isfinite(nearest) ? nearest : 0.0;
}

// A false positive in one view: a random subset of the joints of a person present in the frame,
// as this camera sees them, moved to a random place in the image, with low confidences. Empty
// when fewer than 4 joints land in the image.
Person2d Ghost(const Camera& camera, const VisibleProjector& projector, const Eigen::Vector3d* joints,
               synthetic::Random* rng) {
  Person2d ghost;
  ghost.joints.assign(17, Eigen::Vector3d::Zero());
  const Eigen::Vector2d shift(rng->Uniform(-0.5, 0.5) * camera.width, rng->Uniform(-0.5, 0.5) * camera.height);
  int kept = 0;
  for (int j = 0; j < 17; ++j) {
    const double u_keep = rng->Uniform(), u_conf = rng->Uniform();
    if (u_keep < 0.5) continue;
    const auto pixel = projector.Project(joints[j]);
    if (!pixel || !camera.IsInImage(*pixel + shift)) continue;
    const Eigen::Vector2d p = *pixel + shift;
    ghost.joints[j] = Eigen::Vector3d(p.x(), p.y(), 0.1 + 0.35 * u_conf);
    ++kept;
  }
  if (kept < 4) ghost.joints.clear();
  return ghost;
}

// Every detection of every view in a seeded shuffled order, with the true person of each.
void AssembleDetections(const StudioOptions& options, SyntheticScene* scene) {
  const int num_cameras = static_cast<int>(scene->rig.size());
  const int num_frames = options.num_frames;
  KeypointSequence& seq = scene->detections;
  seq.skeleton = "coco17";
  seq.num_joints = 17;
  std::vector<std::vector<std::vector<int>>> owners(num_cameras, std::vector<std::vector<int>>(num_frames));
  for (int c = 0; c < num_cameras; ++c) {
    const Camera& camera = scene->rig[c];
    const VisibleProjector projector(camera);
    CameraKeypoints cam;
    cam.name = camera.name;
    cam.width = camera.width;
    cam.height = camera.height;
    cam.frame_numbers = scene->frame_numbers;
    cam.people.resize(num_frames);
    for (int f = 0; f < num_frames; ++f) {
      synthetic::Random rng(synthetic::StreamSeed(options.seed, kSlotStream, static_cast<uint64_t>(c),
                                                  static_cast<uint64_t>(f)));
      std::vector<std::pair<int, Person2d>> found;
      std::vector<int> present;
      for (const PersonTruth& person : scene->people) {
        if (!person.present[f]) continue;
        present.push_back(person.id);
        Person2d detected;
        detected.joints.assign(person.observations.Row(c, f), person.observations.Row(c, f) + 17);
        bool any = false;
        for (const auto& joint : detected.joints) any = any || joint.z() > 0.0;
        if (any) found.emplace_back(person.id, std::move(detected));
      }
      const double u_ghost = rng.Uniform();
      const uint64_t source = rng.Index(present.size());
      if (u_ghost < options.false_positive_rate && !present.empty()) {
        Person2d ghost = Ghost(camera, projector, scene->people[present[source]].points3d.Row(f), &rng);
        if (!ghost.joints.empty()) {
          found.emplace_back(-1, std::move(ghost));
          ++scene->false_positives;
        }
      }
      for (int i = static_cast<int>(found.size()) - 1; i > 0; --i) {
        std::swap(found[i], found[rng.Index(static_cast<uint64_t>(i) + 1)]);
      }
      for (auto& [id, person2d] : found) {
        owners[c][f].push_back(id);
        cam.people[f].push_back(std::move(person2d));
      }
      scene->num_slots = std::max(scene->num_slots, static_cast<int>(found.size()));
    }
    seq.cameras.push_back(std::move(cam));
  }
  scene->detection_person.assign(static_cast<size_t>(num_cameras) * num_frames * scene->num_slots, -1);
  for (int c = 0; c < num_cameras; ++c) {
    for (int f = 0; f < num_frames; ++f) {
      for (size_t s = 0; s < owners[c][f].size(); ++s) {
        scene->detection_person[scene->SlotIndex(c, f, static_cast<int>(s))] = owners[c][f][s];
      }
    }
  }
}

// With per-camera rates, each camera's frame f carries its timestamp f / camera_fps[c].
void AddCameraTimestamps(const StudioOptions& options, KeypointSequence* detections) {
  if (options.camera_fps.empty()) return;
  for (size_t c = 0; c < detections->cameras.size(); ++c) {
    CameraKeypoints& camera = detections->cameras[c];
    camera.timestamps_s.clear();
    for (int64_t f : camera.frame_numbers) camera.timestamps_s.push_back(static_cast<double>(f) / options.CameraFps(c));
  }
}


// The single-person slot map: slot 0 is person 0 wherever a camera detected anything.
void SinglePersonSlots(SyntheticScene* scene) {
  const int num_cameras = static_cast<int>(scene->rig.size());
  const int num_frames = scene->points3d.num_frames();
  scene->num_slots = 1;
  scene->detection_person.assign(static_cast<size_t>(num_cameras) * num_frames, -1);
  for (int c = 0; c < num_cameras; ++c) {
    for (int f = 0; f < num_frames; ++f) {
      for (int j = 0; j < 17; ++j) {
        if (scene->observations.at(c, f, j).z() > 0.0) scene->detection_person[scene->SlotIndex(c, f, 0)] = 0;
      }
    }
  }
}

constexpr uint64_t kVariationStream = 0x56415259ULL;  // "VARY"

// Motion of one person: the clips as recorded, or varied (StudioOptions::motion_variation).
MotionOptions SinglePersonMotionOptions(const StudioOptions& options, const StudioRig& rig,
                                        const MotionLibrary& library) {
  MotionOptions m = BaseMotionOptions(options, rig);
  if (!options.motion_variation) return m;
  synthetic::Random rng(synthetic::StreamSeed(options.seed, kVariationStream));
  const double speed = rng.Uniform(0.75, 1.3);
  const double height = rng.Uniform(options.min_height_m, options.max_height_m);
  m.fps = options.fps / speed;  // the clips advance `speed` times faster per output frame
  m.body_scale = height / library.body().standing_height();
  m.random_start = true;
  m.continuous = true;
  m.stream = kVariationStream;
  return m;
}

SimulatedDetection SimulateSinglePerson(const StudioOptions& options, const Rig& rig, const MotionSequence& motion) {
  if (options.detector == "realistic") {
    return SimulateRealisticDetector(rig, motion.points3d, motion.subject_height, RealisticOptions(options));
  }
  return SimulateDetector(rig, motion.points3d, motion.subject_height, DetectorOptions(options));
}

// The single-person fields from people[0].
void SetPersonZeroFields(SyntheticScene* scene) {
  const PersonTruth& p = scene->people[0];
  scene->points3d = p.points3d;
  scene->observations = p.observations;
  scene->outlier_mask = p.outlier_mask;
  scene->swap_mask = p.swap_mask;
  scene->missing_mask = p.missing_mask;
  scene->invisible_mask = p.invisible_mask;
  scene->bone_lengths = p.bone_lengths;
  scene->subject_height = p.height;
  scene->clip_names = p.clip_names;
  scene->clip_start_frames = p.clip_start_frames;
  scene->statistics = p.statistics;
}


// Frames played before and after the scene so that every shifted camera has motion to see:
// 0 without offsets (the scene is then exactly the synchronised one).
int TimeOffsetMargin(const StudioOptions& options) {
  if (options.camera_fps.empty()) {  // the margin of offsets alone, as it always was
    double largest = 0.0;
    for (double offset : options.time_offsets) largest = std::max(largest, std::abs(offset));
    return largest > 0.0 ? static_cast<int>(std::ceil(largest)) + 2 : 0;
  }
  // A slower camera's last frame shows a later scene time.
  double largest = 0.0;
  for (size_t c = 0; c < options.camera_fps.size(); ++c) {
    const double stretch = (options.num_frames - 1) * std::max(0.0, options.fps / options.CameraFps(c) - 1.0);
    largest = std::max(largest, std::abs(options.CameraOffset(c)) + stretch);
  }
  return static_cast<int>(std::ceil(largest)) + 2;
}

// What camera c sees of `played` ([frames + 2 margin, 17]): its frame f shows the scene's time
// f x fps / camera_fps[c] + time_offsets[c] (frames), interpolated between the played frames by Catmull-Rom (a cubic
// through the four frames around; linear where one of the outer two is absent or at the ends).
// The played motion is smooth (resampled from 120 Hz clips), and a straight line between two
// studio frames would be off by up to an eighth of the second difference (several millimetres
// for a fast limb at 30 fps), a blur the synchronised cameras do not have. NaN stays NaN.
std::vector<Points3d> CameraViews(const Points3d& played, const StudioOptions& options, int margin) {
  std::vector<Points3d> views;
  const int last = played.num_frames() - 1;
  const size_t cameras = std::max(options.time_offsets.size(), options.camera_fps.size());
  for (size_t c = 0; c < cameras; ++c) {
    const double offset = options.CameraOffset(c), step = options.fps / options.CameraFps(c);
    Points3d view(options.num_frames, played.num_joints());
    for (int f = 0; f < options.num_frames; ++f) {
      const double t = margin + f * step + offset;
      const int f0 = std::clamp(static_cast<int>(std::floor(t)), 0, last - 1);
      const double w = t - f0, w2 = w * w, w3 = w2 * w;
      for (int j = 0; j < played.num_joints(); ++j) {
        const Eigen::Vector3d& p1 = played.at(f0, j);
        const Eigen::Vector3d& p2 = played.at(f0 + 1, j);
        view.at(f, j) = (1.0 - w) * p1 + w * p2;
        if (f0 < 1 || f0 + 2 > last || !played.at(f0 - 1, j).allFinite() || !played.at(f0 + 2, j).allFinite()) {
          continue;
        }
        view.at(f, j) = 0.5 * ((-w3 + 2.0 * w2 - w) * played.at(f0 - 1, j) + (3.0 * w3 - 5.0 * w2 + 2.0) * p1 +
                               (-3.0 * w3 + 4.0 * w2 + w) * p2 + (w3 - w2) * played.at(f0 + 2, j));
      }
    }
    views.push_back(std::move(view));
  }
  return views;
}

std::vector<const Points3d*> Pointers(const std::vector<Points3d>& views) {
  std::vector<const Points3d*> pointers;
  for (const Points3d& view : views) pointers.push_back(&view);
  return pointers;
}

Points3d CropPoints(const Points3d& points, int first, int frames) {
  Points3d out(frames, points.num_joints());
  for (int f = 0; f < frames; ++f) std::copy_n(points.Row(first + f), points.num_joints(), out.Row(f));
  return out;
}

// The scene's frames [margin, margin + frames) of a played motion.
void CropMotion(int margin, int frames, MotionSequence* motion) {
  motion->points3d = CropPoints(motion->points3d, margin, frames);
  std::vector<ClipPlay> plays;
  for (ClipPlay play : motion->plays) {
    play.first_frame = std::max(0, play.first_frame - margin);
    if (play.first_frame < frames && (plays.empty() || play.first_frame > plays.back().first_frame)) {
      plays.push_back(play);
    } else if (play.first_frame == 0 && !plays.empty()) {
      plays.back() = play;
    }
  }
  motion->plays = std::move(plays);
  std::vector<int> jumps;
  for (int f : motion->jump_frames) {
    if (f - margin > 0 && f - margin < frames) jumps.push_back(f - margin);
  }
  motion->jump_frames = std::move(jumps);
}

// The same for a person of several (detections still to come).
void CropPerson(int margin, int frames, PersonTruth* person) {
  person->points3d = CropPoints(person->points3d, margin, frames);
  person->present.erase(person->present.begin(), person->present.begin() + margin);
  person->present.resize(frames);
  std::vector<std::string> names;
  std::vector<int> starts;
  for (size_t i = 0; i < person->clip_names.size(); ++i) {
    const int first = std::max(0, person->clip_start_frames[i] - margin);
    if (first >= frames) break;
    if (!starts.empty() && first == 0) {
      names.back() = person->clip_names[i];
      continue;
    }
    names.push_back(person->clip_names[i]);
    starts.push_back(first);
  }
  person->clip_names = std::move(names);
  person->clip_start_frames = std::move(starts);
  std::vector<int> jumps;
  for (int f : person->jump_frames) {
    if (f - margin > 0 && f - margin < frames) jumps.push_back(f - margin);
  }
  person->jump_frames = std::move(jumps);
}

}  // namespace

SyntheticScene Synthesize(const StudioOptions& options) {
  options.Check();
  StudioRig studio_rig = MakeStudioRig(options.rig);
  if (options.lens == "fisheye") UseFisheyeLenses(options.fisheye_fov_deg, &studio_rig.cameras);
  if (options.ideal_lenses) {
    for (Camera& cam : studio_rig.cameras) {
      cam.cx = (cam.width - 1) / 2.0;
      cam.cy = (cam.height - 1) / 2.0;
      cam.fy = cam.fx;
      cam.distortion = Distortion{};
    }
  }
  const MotionLibrary library(LoadClips(options));

  SyntheticScene scene;
  scene.options = options;
  scene.options.progress = nullptr;
  scene.rig = studio_rig.cameras;
  scene.frame_numbers.resize(options.num_frames);
  for (int f = 0; f < options.num_frames; ++f) scene.frame_numbers[f] = f;

  // Unsynchronised cameras: the motion is played `margin` frames longer at both ends and every
  // camera samples it at its shifted times.
  const int margin = TimeOffsetMargin(options);
  StudioOptions played = options;
  played.num_frames += 2 * margin;
  for (size_t c = 0; c < options.time_offsets.size(); ++c) {
    scene.rig[c].time_offset = options.time_offsets[c] / options.fps;
  }
  const bool unsynchronised = margin > 0 || options.Unsynchronised();

  if (!options.MultiPerson()) {
    MotionSequence motion = PlayMotion(library, SinglePersonMotionOptions(played, studio_rig, library));
    SimulatedDetection detection;
    if (!unsynchronised) {
      detection = SimulateSinglePerson(options, studio_rig.cameras, motion);
    } else {
      const std::vector<Points3d> views = CameraViews(motion.points3d, options, margin);
      detection = options.detector == "realistic"
                      ? SimulateRealisticDetector(studio_rig.cameras, Pointers(views), motion.subject_height,
                                                  RealisticOptions(options))
                      : SimulateDetector(studio_rig.cameras, Pointers(views), motion.subject_height,
                                         DetectorOptions(options));
      CropMotion(margin, options.num_frames, &motion);
    }
    scene.people.push_back(PersonFromMotion(0, std::move(motion), std::vector<uint8_t>(options.num_frames, 1)));
    TakeDetection(std::move(detection), &scene.people[0]);
    SetPersonZeroFields(&scene);
    scene.detections = scene.ToKeypointSequence();
    AddCameraTimestamps(options, &scene.detections);
    SinglePersonSlots(&scene);
    return scene;
  }

  int crowded_frames = 0;
  scene.people = MakePeople(played, studio_rig, library, &crowded_frames);
  std::vector<Points3d> points;
  std::vector<double> heights;
  for (const PersonTruth& person : scene.people) {
    points.push_back(person.points3d);
    heights.push_back(person.height);
  }
  std::vector<SimulatedDetection> detections;
  const bool realistic = options.detector == "realistic";
  if (!unsynchronised) {
    detections = realistic ? SimulateRealisticGroupDetector(studio_rig.cameras, points, heights,
                                                            RealisticOptions(options), DetectorOptions(options))
                           : SimulateGroupDetector(studio_rig.cameras, points, heights, DetectorOptions(options));
  } else {
    std::vector<std::vector<Points3d>> views;  // [person][camera]
    for (const Points3d& person : points) views.push_back(CameraViews(person, options, margin));
    std::vector<std::vector<const Points3d*>> camera_people(studio_rig.cameras.size());
    for (size_t c = 0; c < camera_people.size(); ++c) {
      for (const auto& person : views) camera_people[c].push_back(&person[c]);
    }
    detections = realistic ? SimulateRealisticGroupDetector(studio_rig.cameras, camera_people, heights,
                                                            RealisticOptions(options), DetectorOptions(options))
                           : SimulateGroupDetector(studio_rig.cameras, camera_people, heights, DetectorOptions(options));
    for (PersonTruth& person : scene.people) CropPerson(margin, options.num_frames, &person);
  }
  for (size_t p = 0; p < scene.people.size(); ++p) TakeDetection(std::move(detections[p]), &scene.people[p]);
  SetPersonZeroFields(&scene);
  scene.min_person_distance = MinPersonDistance(scene.people);
  scene.crowded_frames = crowded_frames;
  for (const PersonTruth& person : scene.people) scene.jumps += static_cast<int>(person.jump_frames.size());
  AssembleDetections(options, &scene);
  AddCameraTimestamps(options, &scene.detections);
  return scene;
}

namespace {

// K, dist, R, t, image_size, camera_names, joint_names.
void AddCameraArrays(const SyntheticScene& scene, NpzWriter* npz) {
  const int num_cameras = static_cast<int>(scene.rig.size());
  std::vector<double> k, dist, r, t;
  std::vector<int32_t> image_size;
  std::vector<std::string> camera_names;
  for (const Camera& camera : scene.rig) {
    const Eigen::Matrix3d km = camera.K();
    const Eigen::Matrix3d rm = camera.cam_from_world.RotationMatrix();
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) {
        k.push_back(km(i, j));
        r.push_back(rm(i, j));
      }
      t.push_back(camera.cam_from_world.translation[i]);
    }
    dist.insert(dist.end(), camera.distortion.begin(), camera.distortion.end());
    image_size.push_back(camera.width);
    image_size.push_back(camera.height);
    camera_names.push_back(camera.name);
  }
  npz->Add("K", NpyArray::FromVector(k, {num_cameras, 3, 3}));
  npz->Add("dist", NpyArray::FromVector(dist, {num_cameras, 5}));
  npz->Add("R", NpyArray::FromVector(r, {num_cameras, 3, 3}));
  npz->Add("t", NpyArray::FromVector(t, {num_cameras, 3}));
  npz->Add("image_size", NpyArray::FromVector(image_size, {num_cameras, 2}));
  npz->Add("camera_names", NpyArray::FromStrings(camera_names));
  npz->Add("joint_names", NpyArray::FromStrings(GetSkeleton("coco17").joint_names));
}

// time_offsets [C] f8 seconds, only for a scene with offsets; camera_fps [C] f8, only for a
// scene with per-camera rates.
void AddTimeOffsets(const SyntheticScene& scene, NpzWriter* npz) {
  if (!scene.options.time_offsets.empty()) {
    std::vector<double> seconds;
    for (const Camera& camera : scene.rig) seconds.push_back(camera.time_offset);
    npz->Add("time_offsets", NpyArray::FromVector(seconds, {static_cast<int64_t>(seconds.size())}));
  }
  if (!scene.options.camera_fps.empty()) {
    const std::vector<double>& rates = scene.options.camera_fps;
    npz->Add("camera_fps", NpyArray::FromVector(rates, {static_cast<int64_t>(rates.size())}));
  }
}

void WriteGroundTruthNpz(const SyntheticScene& scene, const std::string& path) {
  const int num_cameras = static_cast<int>(scene.rig.size());
  const int num_frames = scene.points3d.num_frames();
  const int num_joints = scene.points3d.num_joints();
  NpzWriter npz(path, /*compress=*/true);
  std::vector<double> points;
  points.reserve(static_cast<size_t>(num_frames) * num_joints * 3);
  for (const Eigen::Vector3d& p : scene.points3d.data()) points.insert(points.end(), {p.x(), p.y(), p.z()});
  npz.Add("points3d", NpyArray::FromVector(points, {num_frames, num_joints, 3}));

  AddCameraArrays(scene, &npz);
  const std::vector<int64_t> mask_shape = {num_cameras, num_frames, num_joints};
  npz.Add("outlier_mask", NpyArray::FromVector(scene.outlier_mask, mask_shape));
  npz.Add("swap_mask", NpyArray::FromVector(scene.swap_mask, mask_shape));
  npz.Add("missing_mask", NpyArray::FromVector(scene.missing_mask, mask_shape));
  npz.Add("invisible_mask", NpyArray::FromVector(scene.invisible_mask, mask_shape));
  npz.Add("bone_lengths", NpyArray::FromVector(scene.bone_lengths, {static_cast<int64_t>(scene.bone_lengths.size())}));
  std::vector<int32_t> bones;
  for (const Bone& bone : GetSkeleton("coco17").bones) bones.insert(bones.end(), {bone.parent, bone.child});
  npz.Add("bones", NpyArray::FromVector(bones, {static_cast<int64_t>(bones.size() / 2), 2}));
  npz.Add("subject_height", Scalar(scene.subject_height));
  npz.Add("fps", Scalar(scene.options.fps));
  npz.Add("frame_numbers", NpyArray::FromVector(scene.frame_numbers, {num_frames}));
  AddTimeOffsets(scene, &npz);
  npz.Close();
}

// Per-person masks [C, F, P, 17] from the people's [C, F, 17] masks.
std::vector<uint8_t> PeopleMask(const SyntheticScene& scene, std::vector<uint8_t> PersonTruth::*mask) {
  const size_t num_cameras = scene.rig.size(), num_frames = scene.points3d.num_frames();
  const size_t num_people = scene.people.size();
  std::vector<uint8_t> out(num_cameras * num_frames * num_people * 17, 0);
  for (size_t p = 0; p < num_people; ++p) {
    const std::vector<uint8_t>& m = scene.people[p].*mask;
    if (m.empty()) continue;
    for (size_t cf = 0; cf < num_cameras * num_frames; ++cf) {
      std::copy_n(m.begin() + cf * 17, 17, out.begin() + (cf * num_people + p) * 17);
    }
  }
  return out;
}

void WriteMultiPersonGroundTruthNpz(const SyntheticScene& scene, const std::string& path) {
  const int64_t num_cameras = static_cast<int64_t>(scene.rig.size());
  const int64_t num_frames = scene.points3d.num_frames();
  const int64_t num_people = static_cast<int64_t>(scene.people.size());
  NpzWriter npz(path, /*compress=*/true);
  std::vector<double> points(static_cast<size_t>(num_frames * num_people * 17 * 3));
  std::vector<uint8_t> present(static_cast<size_t>(num_frames * num_people));
  std::vector<int32_t> ids;
  std::vector<uint8_t> bystander;
  std::vector<double> heights, bone_lengths;
  for (int64_t p = 0; p < num_people; ++p) {
    const PersonTruth& person = scene.people[p];
    for (int64_t f = 0; f < num_frames; ++f) {
      present[f * num_people + p] = person.present[f];
      for (int j = 0; j < 17; ++j) {
        const Eigen::Vector3d& x = person.points3d.at(static_cast<int>(f), j);
        std::copy_n(x.data(), 3, points.begin() + ((f * num_people + p) * 17 + j) * 3);
      }
    }
    ids.push_back(person.id);
    bystander.push_back(person.bystander ? 1 : 0);
    heights.push_back(person.height);
    bone_lengths.insert(bone_lengths.end(), person.bone_lengths.begin(), person.bone_lengths.end());
  }
  npz.Add("points3d", NpyArray::FromVector(points, {num_frames, num_people, 17, 3}));
  AddCameraArrays(scene, &npz);
  npz.Add("person_ids", NpyArray::FromVector(ids, {num_people}));
  npz.Add("bystander", NpyArray::FromVector(bystander, {num_people}));
  npz.Add("present", NpyArray::FromVector(present, {num_frames, num_people}));
  npz.Add("heights", NpyArray::FromVector(heights, {num_people}));
  const int64_t num_bones = static_cast<int64_t>(scene.bone_lengths.size());
  npz.Add("bone_lengths", NpyArray::FromVector(bone_lengths, {num_people, num_bones}));
  const std::vector<int64_t> mask_shape = {num_cameras, num_frames, num_people, 17};
  npz.Add("outlier_mask", NpyArray::FromVector(PeopleMask(scene, &PersonTruth::outlier_mask), mask_shape));
  npz.Add("swap_mask", NpyArray::FromVector(PeopleMask(scene, &PersonTruth::swap_mask), mask_shape));
  npz.Add("missing_mask", NpyArray::FromVector(PeopleMask(scene, &PersonTruth::missing_mask), mask_shape));
  npz.Add("invisible_mask", NpyArray::FromVector(PeopleMask(scene, &PersonTruth::invisible_mask), mask_shape));
  npz.Add("occluded_mask", NpyArray::FromVector(PeopleMask(scene, &PersonTruth::occluded_mask), mask_shape));
  npz.Add("detection_person", NpyArray::FromVector(scene.detection_person, {num_cameras, num_frames, scene.num_slots}));
  std::vector<int32_t> bones;
  for (const Bone& bone : GetSkeleton("coco17").bones) bones.insert(bones.end(), {bone.parent, bone.child});
  npz.Add("bones", NpyArray::FromVector(bones, {static_cast<int64_t>(bones.size() / 2), 2}));
  npz.Add("fps", Scalar(scene.options.fps));
  npz.Add("frame_numbers", NpyArray::FromVector(scene.frame_numbers, {num_frames}));
  AddTimeOffsets(scene, &npz);
  npz.Close();
}

// keypoints2d.npz of several people: keypoints2d [C, F, S, 17, 3] in the slot order of the
// OpenPose files (zero-padded), with the single-person file's other arrays.
void WriteMultiPersonKeypointsNpz(const SyntheticScene& scene, const std::string& path) {
  const KeypointSequence& seq = scene.detections;
  const int64_t num_cameras = static_cast<int64_t>(seq.cameras.size());
  const int64_t num_frames = static_cast<int64_t>(scene.frame_numbers.size());
  const int64_t num_slots = scene.num_slots;
  std::vector<double> values(static_cast<size_t>(num_cameras * num_frames * num_slots * 17 * 3), 0.0);
  std::vector<std::string> camera_names;
  std::vector<int32_t> sizes;
  for (int64_t c = 0; c < num_cameras; ++c) {
    const CameraKeypoints& cam = seq.cameras[c];
    camera_names.push_back(cam.name);
    sizes.insert(sizes.end(), {cam.width, cam.height});
    for (int64_t f = 0; f < num_frames; ++f) {
      for (size_t s = 0; s < cam.people[f].size(); ++s) {
        for (int j = 0; j < 17; ++j) {
          const Eigen::Vector3d& k = cam.people[f][s].joints[j];
          std::copy_n(k.data(), 3, values.begin() + (((c * num_frames + f) * num_slots + s) * 17 + j) * 3);
        }
      }
    }
  }
  NpzWriter writer(path);
  writer.Add("keypoints2d", NpyArray::FromVector(values, {num_cameras, num_frames, num_slots, 17, 3}));
  writer.Add("camera_names", NpyArray::FromStrings(camera_names));
  writer.Add("frame_numbers", NpyArray::FromVector(scene.frame_numbers, {num_frames}));
  writer.Add("joint_names", NpyArray::FromStrings(GetSkeleton("coco17").joint_names));
  writer.Add("image_sizes", NpyArray::FromVector(sizes, {num_cameras, 2}));
  if (!scene.options.camera_fps.empty()) {  // every camera lists every frame here
    std::vector<double> times;
    for (const CameraKeypoints& cam : seq.cameras) times.insert(times.end(), cam.timestamps_s.begin(), cam.timestamps_s.end());
    writer.Add("timestamps_s", NpyArray::FromVector(times, {num_cameras, num_frames}));
  }
  writer.Close();
}

// The multi-person part of scene.json: options, every person, occlusion and false positives.
void AddPeopleJson(const SyntheticScene& scene, nlohmann::ordered_json* j) {
  const StudioOptions& o = scene.options;
  nlohmann::ordered_json& options = (*j)["options"];
  options["bystander"] = o.bystander;
  options["enter_leave"] = o.enter_leave;
  options["min_distance_m"] = o.min_distance_m;
  options["heights_m"] = {o.min_height_m, o.max_height_m};
  options["false_positive_rate"] = o.false_positive_rate;
  nlohmann::ordered_json people = nlohmann::json::array();
  int64_t visible = 0, occluded = 0;
  for (const PersonTruth& person : scene.people) {
    int present = 0;
    for (uint8_t v : person.present) present += v;
    const DetectorStatistics& s = person.statistics;
    visible += s.visible;
    occluded += s.occluded;
    nlohmann::ordered_json clips = nlohmann::json::array();
    for (size_t i = 0; i < person.clip_names.size(); ++i) {
      clips.push_back({{"clip", person.clip_names[i]}, {"first_frame", person.clip_start_frames[i]}});
    }
    people.push_back({{"id", person.id},
                      {"bystander", person.bystander},
                      {"height_m", person.height},
                      {"present_frames", present},
                      {"visible", s.visible},
                      {"missing", s.missing},
                      {"occluded", s.occluded},
                      {"outliers", s.outliers},
                      {"swapped_pairs", s.swapped_pairs},
                      {"jumps", person.jump_frames.size()},
                      {"jump_frames", person.jump_frames},
                      {"clips", clips}});
  }
  (*j)["people"] = people;
  nlohmann::ordered_json group;
  group["slots"] = scene.num_slots;
  group["false_positives"] = scene.false_positives;
  group["visible"] = visible;
  group["occluded"] = occluded;
  group["occluded_share"] = visible > 0 ? static_cast<double>(occluded) / visible : 0.0;
  group["min_person_distance_m"] = scene.min_person_distance;
  group["crowded_frames"] = scene.crowded_frames;
  group["jumps"] = scene.jumps;
  (*j)["group_statistics"] = group;
}

std::string SceneJson(const SyntheticScene& scene) {
  const StudioOptions& o = scene.options;
  const StudioRig studio_rig = MakeStudioRig(o.rig);
  nlohmann::ordered_json j;
  j["generator"] = "epilabel synth";
  nlohmann::ordered_json options;
  options["rig"] = o.rig;
  if (o.lens != "pinhole") {  // pinhole scenes keep their scene.json as before
    options["lens"] = o.lens;
    options["fisheye_fov_deg"] = o.fisheye_fov_deg;
  }
  options["frames"] = o.num_frames;
  options["fps"] = o.fps;
  options["noise_px"] = o.noise_px;
  options["outlier_rate"] = o.outlier_rate;
  options["swap_rate"] = o.swap_rate;
  options["missing_rate"] = o.missing_rate;
  options["hip_offset_px"] = DetectorOptions(o).EffectiveHipOffsetPx();
  options["people"] = o.num_people;
  options["seed"] = o.seed;
  if (o.detector != "gaussian") options["detector"] = o.detector;  // absent = gaussian (older scenes)
  if (o.motion_variation) options["motion_variation"] = true;
  if (!o.time_offsets.empty()) options["time_offsets_frames"] = o.time_offsets;
  if (!o.camera_fps.empty()) options["camera_fps"] = o.camera_fps;
  j["options"] = options;

  nlohmann::ordered_json rig;
  rig["name"] = o.rig;
  rig["cameras"] = nlohmann::json::array();
  for (const Camera& camera : scene.rig) rig["cameras"].push_back(camera.name);
  rig["capture_area_center_m"] = {studio_rig.area_center.x(), studio_rig.area_center.y()};
  rig["capture_area_size_m"] = {2.0 * studio_rig.area_half_extents.x(), 2.0 * studio_rig.area_half_extents.y()};
  j["rig"] = rig;

  j["skeleton"] = "coco17";
  j["subject_height_m"] = scene.subject_height;
  nlohmann::ordered_json clips = nlohmann::json::array();
  for (size_t i = 0; i < scene.clip_names.size(); ++i) {
    const int first = scene.clip_start_frames[i];
    const int end = i + 1 < scene.clip_start_frames.size() ? scene.clip_start_frames[i + 1] : scene.points3d.num_frames();
    clips.push_back({{"clip", scene.clip_names[i]}, {"first_frame", first}, {"frames", end - first}});
  }
  j["clips"] = clips;

  const DetectorStatistics& s = scene.statistics;
  int64_t swapped_points = 0;
  for (uint8_t m : scene.swap_mask) swapped_points += m;
  nlohmann::ordered_json stats;
  stats["points"] = s.points;
  stats["visible"] = s.visible;
  stats["invisible"] = s.invisible();
  stats["missing"] = s.missing;
  stats["outliers"] = s.outliers;
  stats["swap_eligible_pairs"] = s.swap_eligible_pairs;
  stats["swapped_pairs"] = s.swapped_pairs;
  stats["swapped_points"] = swapped_points;
  stats["missing_rate"] = s.missing_rate();
  stats["outlier_rate"] = s.outlier_rate();
  stats["swap_rate"] = s.swap_rate();
  j["statistics"] = stats;
  if (o.MultiPerson()) AddPeopleJson(scene, &j);
  j["files"] = {{"calibration", "calibration.toml"}, {"intrinsics", "intrinsics.toml"},
                {"keypoints_openpose", "pose/<camera>/"}, {"keypoints_npz", "keypoints2d.npz"},
                {"ground_truth", "gt.npz"}};
  return j.dump(2) + "\n";
}

}  // namespace

void WriteSyntheticScene(const SyntheticScene& scene, const std::string& out_dir) {
  fs::path out = fs::path(out_dir).lexically_normal();
  if (out.empty()) throw InputError("out", "no output folder given");
  if (!out.has_filename() && out.has_parent_path()) out = out.parent_path();
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec)) throw InputError(out.string(), "exists and is not a folder");
    // Replace a previous scene, never an unrelated folder.
    if (!fs::is_empty(out, ec) && !fs::exists(out / "scene.json", ec)) {
      throw InputError(out.string(), "folder exists and is not a synthetic scene (no scene.json); choose a new folder");
    }
  }
  const fs::path parent = out.has_parent_path() ? out.parent_path() : fs::path(".");
  fs::create_directories(parent);
  const fs::path tmp = parent / ("." + out.filename().string() + ".tmp." + std::to_string(::getpid()));
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  try {
    WriteCalibrationToml(scene.rig, (tmp / "calibration.toml").string());
    Rig intrinsics = scene.rig;
    for (Camera& camera : intrinsics) {
      camera.has_extrinsics = false;
      camera.time_offset = 0.0;  // the truth stays in calibration.toml and gt.npz
    }
    WriteCalibrationToml(intrinsics, (tmp / "intrinsics.toml").string());
    const KeypointSequence sequence = scene.ToKeypointSequence();
    WriteOpenPoseFolder(sequence, (tmp / "pose").string());
    if (scene.options.MultiPerson()) {
      WriteMultiPersonKeypointsNpz(scene, (tmp / "keypoints2d.npz").string());
      WriteMultiPersonGroundTruthNpz(scene, (tmp / "gt.npz").string());
    } else {
      WriteKeypointsNpz(sequence, (tmp / "keypoints2d.npz").string());
      WriteGroundTruthNpz(scene, (tmp / "gt.npz").string());
    }
    WriteFileAtomic((tmp / "scene.json").string(), SceneJson(scene));
    CommitDirectory(tmp.string(), out.string());
  } catch (...) {
    fs::remove_all(tmp, ec);
    throw;
  }
}

namespace {

template <typename F>
auto Converted(const std::string& path, const std::string& name, F convert) {
  try {
    return convert();
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError(path, "'" + name + "': " + e.what());
  }
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

// An optional array of exactly `shape` (-1 = any, the first such size is returned in *size).
const NpyArray* Optional(const std::map<std::string, NpyArray>& npz, const std::string& name,
                         const std::vector<int64_t>& shape, const std::string& path, int* any_size = nullptr) {
  const auto it = npz.find(name);
  if (it == npz.end()) return nullptr;
  bool ok = it->second.shape.size() == shape.size();
  for (size_t i = 0; ok && i < shape.size(); ++i) {
    if (shape[i] >= 0) ok = it->second.shape[i] == shape[i];
    else if (any_size != nullptr) *any_size = static_cast<int>(it->second.shape[i]);
  }
  if (!ok) {
    std::vector<int64_t> expected = shape;
    throw InputError(path, "'" + name + "' has shape " + ShapeText(it->second.shape) + ", expected " +
                               ShapeText(expected) + " (-1: any)");
  }
  return &it->second;
}

// The single-person layout: points3d [F, J, 3], masks [C, F, J].
GroundTruth ReadSinglePersonTruth(const std::map<std::string, NpyArray>& npz, const std::string& path) {
  const NpyArray& points = npz.at("points3d");
  if (points.shape[2] != 3 || points.shape[0] < 1 || points.shape[1] < 1) {
    throw InputError(path, "'points3d' must have shape [frames, joints, 3]");
  }
  GroundTruth gt;
  const int num_frames = static_cast<int>(points.shape[0]);
  const int num_joints = static_cast<int>(points.shape[1]);
  const std::vector<double> values = Converted(path, "points3d", [&] { return points.ToDoubles(); });
  gt.points3d = Points3d(num_frames, num_joints);
  for (int f = 0; f < num_frames; ++f) {
    for (int j = 0; j < num_joints; ++j) {
      const size_t i = (static_cast<size_t>(f) * num_joints + j) * 3;
      gt.points3d.at(f, j) = Eigen::Vector3d(values[i], values[i + 1], values[i + 2]);
    }
  }
  if (npz.count("K")) gt.num_cameras = static_cast<int>(RequireArray(npz, "K", 3, path).shape[0]);
  auto read_mask = [&](const std::string& name, std::vector<uint8_t>* mask) {
    if (!npz.count(name)) return;
    const NpyArray& a = RequireArray(npz, name, 3, path);
    if (a.shape[1] != num_frames || a.shape[2] != num_joints || (gt.num_cameras > 0 && a.shape[0] != gt.num_cameras)) {
      throw InputError(path, "'" + name + "' must have shape [cameras, " + std::to_string(num_frames) + ", " +
                                 std::to_string(num_joints) + "]");
    }
    gt.num_cameras = static_cast<int>(a.shape[0]);
    const std::vector<int64_t> v = Converted(path, name, [&] { return a.ToInt64(); });
    mask->assign(v.begin(), v.end());
  };
  read_mask("outlier_mask", &gt.outlier_mask);
  read_mask("swap_mask", &gt.swap_mask);
  read_mask("missing_mask", &gt.missing_mask);
  read_mask("invisible_mask", &gt.invisible_mask);
  if (npz.count("bone_lengths")) {
    gt.bone_lengths =
        Converted(path, "bone_lengths", [&] { return RequireArray(npz, "bone_lengths", 1, path).ToDoubles(); });
  }
  if (npz.count("subject_height")) {
    const std::vector<double> h =
        Converted(path, "subject_height", [&] { return npz.at("subject_height").ToDoubles(); });
    if (h.size() != 1) throw InputError(path, "'subject_height' must be a single number");
    gt.subject_height = h[0];
  }
  PersonGroundTruth person;
  person.points3d = gt.points3d;
  person.present.assign(num_frames, 1);
  person.height = gt.subject_height;
  person.bone_lengths = gt.bone_lengths;
  person.outlier_mask = gt.outlier_mask;
  person.swap_mask = gt.swap_mask;
  person.missing_mask = gt.missing_mask;
  person.invisible_mask = gt.invisible_mask;
  gt.people.push_back(std::move(person));
  return gt;
}

// The multi-person layout: points3d [F, P, J, 3], masks [C, F, P, J], per-person arrays.
GroundTruth ReadMultiPersonTruth(const std::map<std::string, NpyArray>& npz, const std::string& path) {
  const NpyArray& points = npz.at("points3d");
  const int64_t num_frames = points.shape[0], num_people = points.shape[1], num_joints = points.shape[2];
  if (points.shape[3] != 3 || num_frames < 1 || num_people < 1 || num_joints < 1) {
    throw InputError(path, "'points3d' must have shape [frames, people, joints, 3]");
  }
  GroundTruth gt;
  const std::vector<double> values = Converted(path, "points3d", [&] { return points.ToDoubles(); });
  gt.people.resize(num_people);
  for (int64_t p = 0; p < num_people; ++p) {
    PersonGroundTruth& person = gt.people[p];
    person.id = static_cast<int>(p);
    person.points3d = Points3d(static_cast<int>(num_frames), static_cast<int>(num_joints));
    person.present.assign(num_frames, 1);
    for (int64_t f = 0; f < num_frames; ++f) {
      for (int64_t j = 0; j < num_joints; ++j) {
        const size_t i = static_cast<size_t>(((f * num_people + p) * num_joints + j) * 3);
        person.points3d.at(static_cast<int>(f), static_cast<int>(j)) =
            Eigen::Vector3d(values[i], values[i + 1], values[i + 2]);
      }
    }
  }
  if (const NpyArray* a = Optional(npz, "person_ids", {num_people}, path)) {
    const auto v = Converted(path, "person_ids", [&] { return a->ToInt64(); });
    for (int64_t p = 0; p < num_people; ++p) gt.people[p].id = static_cast<int>(v[p]);
  }
  if (const NpyArray* a = Optional(npz, "bystander", {num_people}, path)) {
    const auto v = Converted(path, "bystander", [&] { return a->ToInt64(); });
    for (int64_t p = 0; p < num_people; ++p) gt.people[p].bystander = v[p] != 0;
  }
  if (const NpyArray* a = Optional(npz, "present", {num_frames, num_people}, path)) {
    const auto v = Converted(path, "present", [&] { return a->ToInt64(); });
    for (int64_t f = 0; f < num_frames; ++f) {
      for (int64_t p = 0; p < num_people; ++p) gt.people[p].present[f] = v[f * num_people + p] != 0;
    }
  }
  if (const NpyArray* a = Optional(npz, "heights", {num_people}, path)) {
    const auto v = Converted(path, "heights", [&] { return a->ToDoubles(); });
    for (int64_t p = 0; p < num_people; ++p) gt.people[p].height = v[p];
  }
  int num_bones = 0;
  if (const NpyArray* a = Optional(npz, "bone_lengths", {num_people, -1}, path, &num_bones)) {
    const auto v = Converted(path, "bone_lengths", [&] { return a->ToDoubles(); });
    for (int64_t p = 0; p < num_people; ++p) {
      gt.people[p].bone_lengths.assign(v.begin() + p * num_bones, v.begin() + (p + 1) * num_bones);
    }
  }
  if (npz.count("K")) gt.num_cameras = static_cast<int>(RequireArray(npz, "K", 3, path).shape[0]);
  auto read_mask = [&](const std::string& name, std::vector<uint8_t> PersonGroundTruth::*mask) {
    int cameras = gt.num_cameras;
    const int64_t known_cameras = gt.num_cameras > 0 ? gt.num_cameras : -1;
    const NpyArray* a = Optional(npz, name, {known_cameras, num_frames, num_people, num_joints}, path, &cameras);
    if (a == nullptr) return;
    gt.num_cameras = cameras;
    const auto v = Converted(path, name, [&] { return a->ToInt64(); });
    const size_t block = static_cast<size_t>(num_joints);
    for (int64_t p = 0; p < num_people; ++p) {
      std::vector<uint8_t>& m = gt.people[p].*mask;
      m.resize(static_cast<size_t>(cameras * num_frames) * block);
      for (int64_t cf = 0; cf < cameras * num_frames; ++cf) {
        std::copy_n(v.begin() + (cf * num_people + p) * num_joints, block, m.begin() + cf * block);
      }
    }
  };
  read_mask("outlier_mask", &PersonGroundTruth::outlier_mask);
  read_mask("swap_mask", &PersonGroundTruth::swap_mask);
  read_mask("missing_mask", &PersonGroundTruth::missing_mask);
  read_mask("invisible_mask", &PersonGroundTruth::invisible_mask);
  read_mask("occluded_mask", &PersonGroundTruth::occluded_mask);
  if (const NpyArray* a = Optional(npz, "detection_person", {gt.num_cameras > 0 ? gt.num_cameras : -1, num_frames, -1},
                                   path, &gt.num_slots)) {
    if (gt.num_cameras == 0) gt.num_cameras = static_cast<int>(a->shape[0]);
    gt.num_slots = static_cast<int>(a->shape[2]);
    const auto v = Converted(path, "detection_person", [&] { return a->ToInt64(); });
    gt.detection_person.assign(v.begin(), v.end());
  }
  const PersonGroundTruth& first = gt.people[0];
  gt.points3d = first.points3d;
  gt.outlier_mask = first.outlier_mask;
  gt.swap_mask = first.swap_mask;
  gt.missing_mask = first.missing_mask;
  gt.invisible_mask = first.invisible_mask;
  gt.bone_lengths = first.bone_lengths;
  gt.subject_height = first.height;
  return gt;
}

}  // namespace

GroundTruth ReadGroundTruth(const std::string& gt_npz_path) {
  const auto npz = ReadNpz(gt_npz_path);
  if (npz.count("points3d") && npz.at("points3d").shape.size() == 4) return ReadMultiPersonTruth(npz, gt_npz_path);
  RequireArray(npz, "points3d", 3, gt_npz_path);
  return ReadSinglePersonTruth(npz, gt_npz_path);
}

Observations2d ObservationsWithoutGrossErrors(const SyntheticScene& scene) {
  Observations2d masked = scene.observations;
  for (camera_t c = 0; c < masked.num_cameras(); ++c)
    for (frame_t f = 0; f < masked.num_frames(); ++f)
      for (joint_t j = 0; j < masked.num_joints(); ++j) {
        const size_t k = scene.MaskIndex(c, f, j);
        if (scene.outlier_mask[k] || scene.swap_mask[k]) masked.at(c, f, j).setZero();
      }
  return masked;
}

}  // namespace epilabel
