// The frame readers of frame_source.h (OpenCV videoio and imgcodecs), part of the image module.
#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "detection/dnn/detector_module.h"
#include "foundation/error.h"

namespace epilabel {

namespace {

// Converts a decoded frame to 8-bit, 3-channel BGR.
cv::Mat ToBgr8(const cv::Mat& frame) {
  cv::Mat out = frame;
  if (out.depth() != CV_8U) {
    double lo = 0, hi = 0;
    cv::minMaxLoc(out.reshape(1), &lo, &hi);
    out.convertTo(out, CV_8U, out.depth() == CV_16U ? 1.0 / 257.0 : (hi > 1.0 ? 1.0 : 255.0));
  }
  if (out.channels() == 1) cv::cvtColor(out, out, cv::COLOR_GRAY2BGR);
  if (out.channels() == 4) cv::cvtColor(out, out, cv::COLOR_BGRA2BGR);
  return out;
}

class VideoSource : public FrameSource {
 public:
  explicit VideoSource(const std::string& path) : path_(path) {
    // FFmpeg only: the other back-ends (GStreamer, image sequences) print noise for non-videos.
    if (!capture_.open(path, cv::CAP_FFMPEG) || !capture_.isOpened())
      throw InputError(path, "cannot open as a video (not a video file, or a codec FFmpeg cannot decode)");
    const double count = capture_.get(cv::CAP_PROP_FRAME_COUNT);
    frame_count_ = count > 0 ? static_cast<int64_t>(count) : -1;
  }

  // Decodes into *frame's buffer when the caller is its only holder (a loop reading into one
  // cv::Mat then reuses the frame's memory instead of allocating and faulting in 6 MB per
  // full-HD frame); a buffer shared with a copy the caller kept, or memory the cv::Mat does not
  // own, is left alone.
  bool Read(cv::Mat* frame) override {
    if (frame->u == nullptr || frame->u->refcount > 1) frame->release();
    if (!capture_.read(*frame) || frame->empty()) {
      if (frames_read_ == 0) throw InputError(path_, "the video opened but no frame could be decoded");
      return false;
    }
    ++frames_read_;
    last_timestamp_s_ = capture_.get(cv::CAP_PROP_POS_MSEC) / 1000.0;
    if (frame->type() != CV_8UC3) *frame = ToBgr8(*frame);
    return true;
  }
  double LastTimestampS() const override { return last_timestamp_s_; }
  int64_t FrameCountHint() const override { return frame_count_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  cv::VideoCapture capture_;
  double last_timestamp_s_ = std::nan("");
  int64_t frame_count_ = -1;
  int64_t frames_read_ = 0;
};

class ImageFolderSource : public FrameSource {
 public:
  explicit ImageFolderSource(const std::string& path) : path_(path), files_(ListImageFiles(path)) {
    if (files_.empty())
      throw InputError(path, "no images in the folder (expected .jpg, .jpeg, .png, .bmp, .tif, .tiff, .webp, .pgm or .ppm files)");
  }

  bool Read(cv::Mat* frame) override {
    if (next_ >= files_.size()) return false;
    const std::string& file = files_[next_++];
    cv::Mat image = cv::imread(file, cv::IMREAD_UNCHANGED);
    if (image.empty()) throw InputError(file, "cannot decode the image");
    image = ToBgr8(image);
    if (first_size_.area() == 0) {
      first_size_ = image.size();
    } else if (image.size() != first_size_) {
      throw InputError(file, "image size " + std::to_string(image.cols) + "x" + std::to_string(image.rows) +
                                 " differs from the first image of the folder (" + std::to_string(first_size_.width) +
                                 "x" + std::to_string(first_size_.height) + ")");
    }
    *frame = image;
    return true;
  }
  double LastTimestampS() const override { return std::nan(""); }
  int64_t FrameCountHint() const override { return static_cast<int64_t>(files_.size()); }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::vector<std::string> files_;
  size_t next_ = 0;
  cv::Size first_size_;
};

}  // namespace

std::unique_ptr<FrameSource> OpenFrameSourceWithOpenCv(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return std::make_unique<ImageFolderSource>(path);
  return std::make_unique<VideoSource>(path);
}

}  // namespace epilabel
