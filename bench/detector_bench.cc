// Speed of the built-in pose detector (see bench/detector.cmake for the command).
//   BM_DetectFrame/<model>/<tracked>/<threads>: PoseDetector::Detect on decoded 1088x1920 frames
//     (cam01 of the Pose2Sim videos, cycled). tracked=1: cropped around the last person (the
//     steady state on a video); tracked=0: the full frame every time. threads: 1 or 0 = all.
//   BM_DetectCameras/<model>: the whole 4-camera run (video decoding, model loading, TBB
//     across cameras), as `epilabel detect` does it.
//   BM_DecodeVideo: reading the frames alone; BM_DetectPeople/<refine>: several people.
//   BM_ShrinkCrop/<ours>: a person's 1025x1025 crop of a decoded frame shrunk to Lightning's
//     192x192 by area averaging, cv::resize(INTER_AREA) (ours=0) or ShrinkByAreaAveraging
//     (ours=1, the same bytes; what the detector runs), one thread.
// Counter frames/s: frames per second for one camera (BM_DetectFrame) and over all four
// cameras together (BM_DetectCameras; per camera = that / 4 when the cameras share the cores).
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <tbb/global_control.h>

#include "detection/dnn/area_resize.h"
#include "detection/dnn/frame_source.h"
#include "detection/dnn/pose_detector.h"

namespace epilabel {
namespace {

const char* const kModels[] = {"thunder", "lightning"};

std::string ModelsDir() {
  if (const char* env = std::getenv("EPILABEL_MODELS_DIR"); env != nullptr && *env != '\0') return env;
  return EPILABEL_MODELS_DIR;
}
std::string Video(int camera) { return std::string(EPILABEL_VIDEOS_DIR) + "/cam0" + std::to_string(camera) + ".mp4"; }

const std::vector<cv::Mat>& Frames() {
  static const std::vector<cv::Mat> frames = [] {
    std::vector<cv::Mat> f;
    cv::VideoCapture capture(Video(1), cv::CAP_FFMPEG);
    cv::Mat frame;
    while (capture.read(frame)) f.push_back(frame.clone());
    return f;
  }();
  return frames;
}

size_t Threads(int64_t arg) {
  return arg > 0 ? static_cast<size_t>(arg)
                 : tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism);
}

void BM_DetectFrame(benchmark::State& state) {
  const std::string model = kModels[state.range(0)];
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, Threads(state.range(2)));
  PoseDetectorOptions options;
  options.model.path = MoveNetModelPath(ModelsDir(), model);
  options.track = state.range(1) != 0;
  options.refine_full_frame = false;
  const std::vector<cv::Mat>& frames = Frames();
  if (frames.empty()) {
    state.SkipWithError("cannot read the Pose2Sim videos");
    return;
  }
  PoseDetector detector(options);
  detector.Detect(frames[0]);  // warm-up: first inference allocates
  size_t i = 0;
  for (auto _ : state) {
    Person2d person = detector.Detect(frames[i++ % frames.size()]);
    benchmark::DoNotOptimize(person.joints.data());
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.SetLabel(model + (options.track ? " tracked" : " full-frame"));
}
BENCHMARK(BM_DetectFrame)
    ->ArgsProduct({{0, 1}, {1, 0}, {1, 0}})
    ->ArgNames({"model", "tracked", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Video decoding alone (FrameSource, as DetectCameras reads): frames/s of one camera.
void BM_DecodeVideo(benchmark::State& state) {
  size_t frames = 0;
  cv::Mat frame;
  for (auto _ : state) {
    std::unique_ptr<FrameSource> source = FrameSource::Open(Video(1));
    while (source->Read(&frame)) ++frames;
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeVideo)->Unit(benchmark::kMillisecond)->UseRealTime();

// Several people (DetectPeople): MultiPose on the whole frame, then (refine=1) Lightning on each
// person's crop; two people made by putting cam01 and cam03 side by side (2176x1920).
void BM_DetectPeople(benchmark::State& state) {
  PoseDetectorOptions options;
  options.model.path = MoveNetModelPath(ModelsDir(), "lightning");
  options.people.max_people = 0;
  options.people.model_path = MoveNetMultiPoseModelPath(ModelsDir());
  options.people.refine = state.range(0) != 0;
  std::vector<cv::Mat> left, right;
  for (int camera : {1, 3}) {
    std::unique_ptr<FrameSource> source = FrameSource::Open(Video(camera));
    cv::Mat frame;
    while (source->Read(&frame)) (camera == 1 ? left : right).push_back(frame.clone());
  }
  std::vector<cv::Mat> frames(std::min(left.size(), right.size()));
  for (size_t i = 0; i < frames.size(); ++i) cv::hconcat(left[i], right[i], frames[i]);
  PoseDetector detector(options);
  detector.DetectPeople(frames[0]);
  size_t i = 0, people = 0;
  for (auto _ : state) people += detector.DetectPeople(frames[i++ % frames.size()]).size();
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["people/frame"] = static_cast<double>(people) / std::max<double>(1.0, state.iterations());
  state.SetLabel(options.people.refine ? "multipose + lightning per person" : "multipose only");
}
BENCHMARK(BM_DetectPeople)->Arg(0)->Arg(1)->ArgName("refine")->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ShrinkCrop(benchmark::State& state) {
  const std::vector<cv::Mat>& frames = Frames();
  if (frames.empty()) {
    state.SkipWithError("cannot read the Pose2Sim videos");
    return;
  }
  const int threads = cv::getNumThreads();
  cv::setNumThreads(1);
  cv::Mat out;
  size_t i = 0;
  for (auto _ : state) {
    const cv::Mat& frame = frames[i++ % frames.size()];
    const cv::Mat crop = frame(cv::Rect(std::min(41, frame.cols - 1025), 317, 1025, 1025));
    if (state.range(0) != 0) {
      ShrinkByAreaAveraging(crop, cv::Size(192, 192), &out);
    } else {
      cv::resize(crop, out, cv::Size(192, 192), 0, 0, cv::INTER_AREA);
    }
    benchmark::DoNotOptimize(out.data);
  }
  cv::setNumThreads(threads);
  state.SetLabel(state.range(0) != 0 ? "ShrinkByAreaAveraging" : "cv::resize INTER_AREA");
}
BENCHMARK(BM_ShrinkCrop)->Arg(0)->Arg(1)->ArgName("ours")->Unit(benchmark::kMillisecond);

void BM_DetectCameras(benchmark::State& state) {
  const std::string model = kModels[state.range(0)];
  PoseDetectorOptions options;
  options.model.path = MoveNetModelPath(ModelsDir(), model);
  std::vector<CameraInput> inputs;
  for (int c = 1; c <= 4; ++c) inputs.push_back({"", Video(c)});
  size_t frames = 0;
  for (auto _ : state) {
    DetectionResult result = DetectCameras(inputs, options);
    for (const CameraKeypoints& camera : result.keypoints.cameras) frames += camera.frame_numbers.size();
  }
  state.counters["frames/s"] = benchmark::Counter(static_cast<double>(frames), benchmark::Counter::kIsRate);
  state.SetLabel(model + ", 4 cameras x 11 frames");
}
BENCHMARK(BM_DetectCameras)->Arg(0)->Arg(1)->ArgName("model")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace epilabel

BENCHMARK_MAIN();
