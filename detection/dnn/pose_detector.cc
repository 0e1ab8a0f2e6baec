// PoseDetector's tracking and DetectCameras; the network runs in the image module
// (detector_module.h), loaded on the first detector.
#include "detection/dnn/pose_detector.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <opencv2/core/utility.hpp>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include "detection/dnn/detector_module.h"
#include "detection/dnn/frame_source.h"
#include "detection/dnn/keypoint_smoothing.h"
#include "detection/dnn/person_crop.h"
#include "detection/skeleton.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

// A person of `skeleton` (the single-person model's) in COCO-17 order, for comparing it with the
// multi-person model's COCO-17 people; COCO-17 people are returned as they are.
std::vector<Eigen::Vector3d> AsCoco17(const Skeleton& skeleton, const std::vector<Eigen::Vector3d>& joints) {
  if (skeleton.name == "coco17" || static_cast<int>(joints.size()) != skeleton.num_joints()) return joints;
  return ToCoco17(skeleton, joints);
}

double MeanScore(const std::vector<Eigen::Vector3d>& joints) {
  if (joints.empty()) return 0.0;
  double sum = 0.0;
  for (const Eigen::Vector3d& j : joints) sum += std::isfinite(j.z()) ? j.z() : 0.0;
  return sum / static_cast<double>(joints.size());
}

// Mean distance over the joints confident in both (nullopt when fewer than 3), and the diagonal
// of b's confident-joint box.
std::optional<double> MeanJointDistance(const std::vector<Eigen::Vector3d>& a, const std::vector<Eigen::Vector3d>& b,
                                        double min_score, double* b_diagonal) {
  Eigen::Vector2d lo = Eigen::Vector2d::Constant(1e300), hi = -lo;
  double sum = 0.0;
  int common = 0;
  for (size_t j = 0; j < std::min(a.size(), b.size()); ++j) {
    if (!(b[j].z() >= min_score) || !b[j].allFinite()) continue;
    lo = lo.cwiseMin(b[j].head<2>());
    hi = hi.cwiseMax(b[j].head<2>());
    if (!(a[j].z() >= min_score) || !a[j].allFinite()) continue;
    sum += (a[j].head<2>() - b[j].head<2>()).norm();
    ++common;
  }
  *b_diagonal = common > 0 ? std::max((hi - lo).norm(), 1.0) : 1.0;
  if (common < 3) return std::nullopt;
  return sum / common;
}

// The frames' timestamps as kept: FFmpeg (through OpenCV) reports 0 for a frame without a
// presentation timestamp, typically the decoder's last, drained frames; such frames (and NaN)
// get a time interpolated by index between the known ones, or extrapolated at their mean rate.
// The timestamps are dropped (the summary says why) when fewer than two are known or they do
// not increase; then measured.
void KeepUsableTimestamps(CameraKeypoints* camera, CameraDetectionSummary* summary) {
  std::vector<double>& t = camera->timestamps_s;
  std::vector<size_t> known;
  for (size_t i = 0; i < t.size(); ++i) {
    if (std::isfinite(t[i]) && (i == 0 || t[i] != 0.0)) known.push_back(i);
  }
  if (known.size() < 2) {
    t.clear();
    return;
  }
  const double per_frame = (t[known.back()] - t[known.front()]) / static_cast<double>(known.back() - known.front());
  size_t filled = 0;
  for (size_t i = 0, k = 0; i < t.size(); ++i) {
    while (k < known.size() && known[k] < i) ++k;
    if (k < known.size() && known[k] == i) continue;
    const size_t from = k == 0 ? known.front() : known[k - 1];
    const double step = k == 0 || k == known.size() ? per_frame : (t[known[k]] - t[from]) / (known[k] - from);
    t[i] = t[from] + step * (static_cast<double>(i) - static_cast<double>(from));
    ++filled;
  }
  try {
    CheckTimestamps(t, summary->source);
  } catch (const InputError& e) {
    summary->timing_note = std::string("timestamps dropped: ") + e.what();
    t.clear();
    return;
  }
  if (filled > 0) {
    summary->timing_note = std::to_string(filled) + " frame(s) without a timestamp from the container (e.g. the "
                           "decoder's last frames): interpolated or extrapolated at the measured rate";
  }
  summary->timing = MeasureFrameTiming(t);
}

// Detectors kept from one camera for the next: loading a model (and its first run, which
// allocates) costs about 0.15 s of CPU for Lightning, so a run loads one per camera running at
// the same time instead of one per camera. A detector handed out again is Reset, which makes it
// behave as a new one (the network keeps no state between frames).
class DetectorPool {
 public:
  explicit DetectorPool(const PoseDetectorOptions& options) : options_(options) {}

  std::unique_ptr<PoseDetector> Acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        std::unique_ptr<PoseDetector> detector = std::move(free_.back());
        free_.pop_back();
        detector->Reset();
        return detector;
      }
    }
    return std::make_unique<PoseDetector>(options_);
  }

  void Release(std::unique_ptr<PoseDetector> detector) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(detector));
  }

 private:
  const PoseDetectorOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<PoseDetector>> free_;
};

// OpenCV's own threads (the dnn layers, resizing) while at least one object of this type lives
// in the process: none when `sequential` (the cameras already keep every core busy, and splitting
// each layer over threads only adds scheduling work: about 2 % of the CPU of a 4-camera run on
// two cores), else unchanged. OpenCV computes the same values with any number of threads.
class OpenCvThreadsWhileDetecting {
 public:
  explicit OpenCvThreadsWhileDetecting(bool sequential) : sequential_(sequential) {
    if (!sequential_) return;
    std::lock_guard<std::mutex> lock(Mutex());
    if (Active()++ == 0) {
      Saved() = cv::getNumThreads();
      cv::setNumThreads(1);
    }
  }
  ~OpenCvThreadsWhileDetecting() {
    if (!sequential_) return;
    std::lock_guard<std::mutex> lock(Mutex());
    if (--Active() == 0) cv::setNumThreads(Saved());
  }
  OpenCvThreadsWhileDetecting(const OpenCvThreadsWhileDetecting&) = delete;
  OpenCvThreadsWhileDetecting& operator=(const OpenCvThreadsWhileDetecting&) = delete;

 private:
  static std::mutex& Mutex() {
    static std::mutex mutex;
    return mutex;
  }
  static int& Active() {
    static int active = 0;
    return active;
  }
  static int& Saved() {
    static int saved = -1;
    return saved;
  }
  bool sequential_;
};

}  // namespace

// The tracking state around a network of the image module.
struct PoseDetector::Impl {
  PoseDetectorOptions options;
  std::unique_ptr<PoseNetwork> network;
  PoseModelLayout layout = PoseModelLayout::kAuto;  // the network's (never kAuto)
  const Skeleton* skeleton = nullptr;               // of the joints the network gives
  int input_width = 0, input_height = 0;            // the network's input, pixels

  std::vector<Eigen::Vector3d> previous;  // last frame's joints (pixel-centre), empty = none
  double last_motion_px = -1.0;           // LargestJointMotion into `previous`; negative = unknown
  bool lost = true;
  LeftRightCheck left_right;  // of the single tracked person
  size_t left_right_swaps = 0;
  size_t inferences = 0, full_frame_runs = 0;

  // The person finder (options.person_finder_path), loaded when given.
  std::unique_ptr<PoseNetwork> finder;

  // The multi-person models (options.people: model_path, then portrait_model_path if given).
  std::vector<std::unique_ptr<PoseNetwork>> people_networks;
  PersonTracker tracker;
  std::map<int, LeftRightCheck> track_left_right;  // per track id (several-people mode)

  explicit Impl(const PoseDetectorOptions& opts)
      : options(opts), left_right({}, opts.left_right), tracker(opts.people.tracking) {
    options.Check();
    const std::string& path = options.model.path;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw InputError(path, "model file not found; run scripts/setup-models.sh to download and convert the MoveNet "
                             "models into models/ (or give `models_dir` / $EPILABEL_MODELS_DIR)");
    if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a folder, expected an .onnx model file");
    network = DetectorModule().load_pose_network(options.model);
    layout = network->layout();
    skeleton = &GetSkeleton(PoseModelSkeleton(layout));
    left_right = LeftRightCheck(skeleton->FlipPermutation(), options.left_right);
    input_width = network->input_width();
    input_height = network->input_height();
    if (!options.person_finder_path.empty()) {
      if (!std::filesystem::exists(options.person_finder_path, ec))
        throw InputError(options.person_finder_path, "person finder model not found; run scripts/setup-models.sh");
      PoseModelOptions finder_model;
      finder_model.path = options.person_finder_path;
      finder_model.layout = PoseModelLayout::kMoveNet;
      finder = DetectorModule().load_pose_network(finder_model);
    }
    if (options.people.max_people != 1) {
      LoadPeopleNetwork(options.people.model_path);
      if (!options.people.portrait_model_path.empty()) LoadPeopleNetwork(options.people.portrait_model_path);
    }
  }

  void LoadPeopleNetwork(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      throw InputError(path, "multi-person model not found; run scripts/setup-models.sh to convert MoveNet "
                             "MultiPose into models/ (or give `people_model`)");
    PoseModelOptions people_model;
    people_model.path = path;
    people_model.layout = PoseModelLayout::kMoveNetMultiPose;
    people_networks.push_back(DetectorModule().load_pose_network(people_model));
  }

  // The multi-person model whose input aspect ratio is closest to the image's (in log ratio).
  PoseNetwork& PeopleNetworkFor(const cv::Mat& image) {
    const auto mismatch = [&](const PoseNetwork& net) {
      return std::abs(std::log((static_cast<double>(image.cols) / image.rows) /
                               (static_cast<double>(net.input_width()) / net.input_height())));
    };
    size_t best = 0;
    for (size_t i = 1; i < people_networks.size(); ++i)
      if (mismatch(*people_networks[i]) < mismatch(*people_networks[best])) best = i;
    return *people_networks[best];
  }

  // Everyone the multi-person model finds on the whole frame, scored at least min_person_score.
  std::vector<DetectedPose> FindPeople(const cv::Mat& image) {
    const ImageBox frame{0.0, 0.0, static_cast<double>(image.cols), static_cast<double>(image.rows)};
    PoseNetwork& people_network = PeopleNetworkFor(image);
    const ImageBox box = ExpandToAspect(frame, people_network.input_width(), people_network.input_height(), 1.0);
    std::vector<DetectedPose> found = people_network.RunPeople(image, box);
    ++inferences;
    ++full_frame_runs;
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const DetectedPose& p) { return p.score < options.people.min_person_score; }),
                found.end());
    return found;
  }

  // The single-person model on the crop around `person`, kept when it stays on that person.
  void Refine(const cv::Mat& image, DetectedPose* person) {
    bool full = true;
    const ImageBox box = layout == PoseModelLayout::kMoveNet
                             ? MoveNetCropRegion(person->joints, image.cols, image.rows, CropOptions(), &full)
                             : Region(FromCoco17(*skeleton, person->joints), image.cols, image.rows, &full);
    std::vector<Eigen::Vector3d> refined;
    if (!full) refined = Run(image, box);
    double diagonal = 1.0;
    const std::optional<double> shift = refined.empty() ? std::nullopt
                                                        : MeanJointDistance(AsCoco17(*skeleton, refined), person->joints,
                                                                            options.min_crop_keypoint_score, &diagonal);
    if (shift && *shift <= options.people.max_refine_shift * diagonal) {
      person->joints = std::move(refined);
    } else {
      person->joints = FromCoco17(*skeleton, person->joints);  // every person in the model's skeleton
    }
  }

  std::vector<Person2d> DetectPeople(const cv::Mat& image) {
    if (options.people.max_people == 1) return {Detect(image)};
    if (image.empty() || image.type() != CV_8UC3)
      throw std::invalid_argument("PoseDetector::DetectPeople expects a non-empty 8-bit BGR image");
    std::vector<DetectedPose> found = FindPeople(image);
    for (DetectedPose& person : found) {
      if (options.people.refine) {
        Refine(image, &person);
      } else {
        person.joints = FromCoco17(*skeleton, person.joints);
      }
    }
    // Best first; drop duplicates (two candidates on one person), then keep max_people.
    std::stable_sort(found.begin(), found.end(),
                     [](const DetectedPose& a, const DetectedPose& b) { return a.score > b.score; });
    std::vector<std::vector<Eigen::Vector3d>> kept;
    for (const DetectedPose& person : found) {
      bool duplicate = false;
      for (const std::vector<Eigen::Vector3d>& other : kept) {
        double diagonal = 1.0;
        const std::optional<double> d = MeanJointDistance(person.joints, other, options.min_crop_keypoint_score, &diagonal);
        duplicate = duplicate || (d && *d < options.people.duplicate_distance * diagonal);
      }
      if (!duplicate) kept.push_back(person.joints);
      if (options.people.max_people > 0 && static_cast<int>(kept.size()) >= options.people.max_people) break;
    }
    const std::vector<int> ids = tracker.Update(kept);
    CheckLeftRightOfTracks(ids, &kept);
    std::vector<Person2d> people(kept.size());
    for (size_t p = 0; p < kept.size(); ++p) {
      people[p].joints = kept[p];
      people[p].track_id = ids[p];
      for (Eigen::Vector3d& j : people[p].joints)
        if (!j.allFinite() || j.z() < options.min_output_score) j.setZero();
    }
    std::stable_sort(people.begin(), people.end(), [](const Person2d& a, const Person2d& b) { return a.track_id < b.track_id; });
    return people;
  }

  // Several people: one LeftRightCheck per track id; a track absent from a frame starts afresh
  // when it comes back.
  void CheckLeftRightOfTracks(const std::vector<int>& ids, std::vector<std::vector<Eigen::Vector3d>>* poses) {
    std::map<int, LeftRightCheck> seen;
    for (size_t p = 0; p < ids.size() && p < poses->size(); ++p) {
      if (!options.left_right_check || !options.track) continue;
      auto found = track_left_right.find(ids[p]);
      LeftRightCheck check = found != track_left_right.end()
                                 ? std::move(found->second)
                                 : LeftRightCheck(skeleton->FlipPermutation(), options.left_right);
      if (check.Apply(&(*poses)[p])) ++left_right_swaps;
      seen.emplace(ids[p], std::move(check));
    }
    track_left_right = std::move(seen);
  }

  std::vector<Eigen::Vector3d> Run(const cv::Mat& image, const ImageBox& box) {
    std::vector<Eigen::Vector3d> joints = network->Run(image, box);
    ++inferences;
    return joints;
  }

  MoveNetCropOptions CropOptions() const {
    MoveNetCropOptions crop;
    crop.min_keypoint_score = options.min_crop_keypoint_score;
    crop.torso_expansion = options.crop_torso_expansion;
    crop.body_expansion = options.crop_body_expansion;
    crop.upright_min_tilt_deg = options.crop_upright_min_tilt_deg;
    crop.fit_seen_body = options.crop_fit_seen_body;
    crop.motion_frames = options.crop_motion_frames;
    crop.upright_along_body = options.crop_upright_along_body;
    return crop;
  }

  // The region to run on: around the previous person, or the full frame (sets *full).
  // motion_px: the person's motion into `around` (MoveNetCropRegion), negative = unknown.
  ImageBox Region(const std::vector<Eigen::Vector3d>& around, int w, int h, bool* full, double motion_px = -1.0) const {
    *full = true;
    if (layout == PoseModelLayout::kMoveNet) {
      if (around.empty()) return FullFrameSquare(w, h);
      return MoveNetCropRegion(around, w, h, CropOptions(), full, motion_px);
    }
    if (layout == PoseModelLayout::kBlazePose && !around.empty()) {
      BlazePoseRegionOptions region;
      region.min_keypoint_score = options.min_crop_keypoint_score;
      if (const std::optional<ImageBox> box = BlazePoseRegion(around, region)) {
        *full = false;
        return *box;
      }
    }
    const double padding = options.model.top_down.box_padding;
    if (!around.empty()) {
      if (const std::optional<ImageBox> box = KeypointBox(around, options.min_crop_keypoint_score)) {
        *full = false;
        return ExpandToAspect(*box, input_width, input_height, padding);
      }
    }
    return ExpandToAspect(ImageBox{0.0, 0.0, static_cast<double>(w), static_cast<double>(h)}, input_width,
                          input_height, 1.0);
  }

  // The person found by the finder (MoveNet on the whole frame, then on its crop), in the
  // model's skeleton; empty when there is no finder or it finds nobody.
  std::vector<Eigen::Vector3d> FindWithFinder(const cv::Mat& image) {
    if (!finder) return {};
    std::vector<Eigen::Vector3d> joints = finder->Run(image, FullFrameSquare(image.cols, image.rows));
    ++inferences;
    ++full_frame_runs;
    bool full = true;
    const ImageBox crop = MoveNetCropRegion(joints, image.cols, image.rows, CropOptions(), &full);
    if (!full) {
      joints = finder->Run(image, crop);
      ++inferences;
    }
    if (MeanScore(joints) < options.lost_mean_score) return {};
    return FromCoco17(*skeleton, joints);
  }

  Person2d Detect(const cv::Mat& image) {
    if (image.empty() || image.type() != CV_8UC3)
      throw std::invalid_argument("PoseDetector::Detect expects a non-empty 8-bit BGR image");
    const bool use_previous = options.track && !lost && !previous.empty();
    const std::vector<Eigen::Vector3d> around = use_previous ? previous : FindWithFinder(image);
    bool full = true;
    const ImageBox box = Region(around, image.cols, image.rows, &full, use_previous ? last_motion_px : -1.0);
    if (full) ++full_frame_runs;
    std::vector<Eigen::Vector3d> joints = Run(image, box);
    if (full && options.refine_full_frame && MeanScore(joints) >= options.lost_mean_score) {
      bool refined_full = true;
      const ImageBox refined = Region(joints, image.cols, image.rows, &refined_full);
      if (!refined_full) joints = Run(image, refined);
    }
    lost = MeanScore(joints) < options.lost_mean_score;
    if (lost || !options.track || !options.left_right_check) {
      left_right.Reset();
    } else {
      if (left_right.Apply(&joints)) ++left_right_swaps;
    }
    last_motion_px = use_previous && !lost ? LargestJointMotion(previous, joints, options.min_crop_keypoint_score) : -1.0;
    previous = joints;
    Person2d person;
    person.joints = joints;
    for (Eigen::Vector3d& j : person.joints)
      if (!j.allFinite() || j.z() < options.min_output_score) j.setZero();
    return person;
  }
};

PoseDetector::PoseDetector(const PoseDetectorOptions& options) : impl_(std::make_unique<Impl>(options)) {}
PoseDetector::~PoseDetector() = default;

Person2d PoseDetector::Detect(const cv::Mat& bgr_image) { return impl_->Detect(bgr_image); }
std::vector<Person2d> PoseDetector::DetectPeople(const cv::Mat& bgr_image) { return impl_->DetectPeople(bgr_image); }

void PoseDetector::Reset() {
  impl_->previous.clear();
  impl_->last_motion_px = -1.0;
  impl_->lost = true;
  impl_->left_right.Reset();
  impl_->left_right_swaps = 0;
  impl_->inferences = 0;
  impl_->full_frame_runs = 0;
  impl_->tracker = PersonTracker(impl_->options.people.tracking);
  impl_->track_left_right.clear();
}

size_t PoseDetector::inferences() const { return impl_->inferences; }
size_t PoseDetector::full_frame_runs() const { return impl_->full_frame_runs; }
size_t PoseDetector::left_right_swaps() const { return impl_->left_right_swaps; }
size_t PoseDetector::tracks_started() const { return static_cast<size_t>(impl_->tracker.tracks_started()); }
PoseModelLayout PoseDetector::layout() const { return impl_->layout; }
const char* PoseDetector::skeleton() const { return PoseModelSkeleton(impl_->layout); }
int PoseDetector::input_width() const { return impl_->input_width; }
int PoseDetector::input_height() const { return impl_->input_height; }

// ---------------------------------------------------------------------------------------------

DetectionResult DetectCameras(const std::vector<CameraInput>& inputs, const PoseDetectorOptions& options,
                              const ProgressCallback& progress) {
  options.Check();
  if (inputs.empty()) throw InputError("", "no camera input given (a video file or an image folder per camera)");
  DetectionResult result;
  result.keypoints.cameras.resize(inputs.size());
  result.cameras.resize(inputs.size());

  // Open every source first so that a bad input fails before any long work.
  std::vector<std::unique_ptr<FrameSource>> sources;
  std::set<std::string> names;
  std::atomic<size_t> total{0}, done{0};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string name = inputs[i].name.empty() ? CameraNameFromPath(inputs[i].path) : inputs[i].name;
    if (name.empty()) throw InputError(inputs[i].path, "cannot derive a camera name from this path");
    if (!names.insert(name).second)
      throw InputError(inputs[i].path, "camera name '" + name + "' is used by two inputs; camera names must differ");
    sources.push_back(FrameSource::Open(inputs[i].path));
    result.keypoints.cameras[i].name = name;
    result.cameras[i].camera = name;
    result.cameras[i].source = inputs[i].path;
    total += static_cast<size_t>(std::max<int64_t>(0, sources.back()->FrameCountHint()));
  }

  std::mutex progress_mutex;
  auto report = [&](size_t frames_done) {
    if (!progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress("detect", frames_done, std::max(total.load(), frames_done));
  };
  report(0);

  // One detector loaded before the work: a bad model fails here, and it says the skeleton.
  DetectorPool detectors(options);
  {
    std::unique_ptr<PoseDetector> first = detectors.Acquire();
    result.keypoints.skeleton = first->skeleton();
    result.keypoints.num_joints = GetSkeleton(result.keypoints.skeleton).num_joints();
    detectors.Release(std::move(first));
  }
  const size_t threads = std::min(static_cast<size_t>(std::max(1, tbb::this_task_arena::max_concurrency())),
                                  tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism));
  const OpenCvThreadsWhileDetecting opencv_threads(inputs.size() >= threads);
  tbb::parallel_for(size_t{0}, inputs.size(), size_t{1}, [&](size_t i) {
    const auto start = std::chrono::steady_clock::now();
    std::unique_ptr<PoseDetector> pooled = detectors.Acquire();
    PoseDetector& detector = *pooled;
    CameraKeypoints& camera = result.keypoints.cameras[i];
    CameraDetectionSummary& summary = result.cameras[i];
    const int64_t hint = sources[i]->FrameCountHint();
    cv::Mat frame;
    double score_sum = 0.0;
    while (sources[i]->Read(&frame)) {
      if (camera.width == 0) {
        camera.width = summary.width = frame.cols;
        camera.height = summary.height = frame.rows;
      }
      const int64_t index = static_cast<int64_t>(camera.frame_numbers.size());
      if (hint >= 0 && index >= hint) ++total;  // the header under-counted the frames
      std::vector<Person2d> people = detector.DetectPeople(frame);
      double mean = 0.0;
      for (const Person2d& person : people) mean = std::max(mean, MeanScore(person.joints));
      score_sum += mean;
      if (mean < options.lost_mean_score) ++summary.lost_frames;
      summary.people_detections += people.size();
      camera.frame_numbers.push_back(index);
      camera.timestamps_s.push_back(options.image_folder_fps > 0.0 && std::isnan(sources[i]->LastTimestampS())
                                        ? static_cast<double>(index) / options.image_folder_fps
                                        : sources[i]->LastTimestampS());
      camera.people.push_back(std::move(people));
      report(++done);
    }
    KeepUsableTimestamps(&camera, &summary);
    summary.smoothing_sigma_frames = SmoothKeypoints(options.smoothing, &camera).sigma_frames;
    summary.frames = camera.frame_numbers.size();
    summary.inferences = detector.inferences();
    summary.full_frame_runs = detector.full_frame_runs();
    summary.tracks = detector.tracks_started();
    summary.left_right_swaps = detector.left_right_swaps();
    summary.mean_score = summary.frames > 0 ? score_sum / summary.frames : 0.0;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (hint > static_cast<int64_t>(summary.frames)) total -= static_cast<size_t>(hint) - summary.frames;
    detectors.Release(std::move(pooled));
  });
  report(done.load());
  return result;
}

}  // namespace epilabel
