#include "detection/dnn/frame_source.h"

#include <algorithm>
#include <cctype>
#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "foundation/error.h"

namespace epilabel {

namespace fs = std::filesystem;

namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool IsImageExtension(const std::string& extension) {
  static const char* const kExtensions[] = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"};
  const std::string e = Lower(extension);
  return std::any_of(std::begin(kExtensions), std::end(kExtensions), [&](const char* k) { return e == k; });
}

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

  bool Read(cv::Mat* frame) override {
    cv::Mat raw;
    if (!capture_.read(raw) || raw.empty()) {
      if (frames_read_ == 0) throw InputError(path_, "the video opened but no frame could be decoded");
      return false;
    }
    ++frames_read_;
    *frame = ToBgr8(raw);
    return true;
  }
  int64_t FrameCountHint() const override { return frame_count_; }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  cv::VideoCapture capture_;
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
  int64_t FrameCountHint() const override { return static_cast<int64_t>(files_.size()); }
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  std::vector<std::string> files_;
  size_t next_ = 0;
  cv::Size first_size_;
};

}  // namespace

bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      // Compare the values without leading zeros: longer is larger, then lexicographic.
      size_t ia = i, jb = j;
      while (ia + 1 < ie && a[ia] == '0') ++ia;
      while (jb + 1 < je && b[jb] == '0') ++jb;
      const size_t la = ie - ia, lb = je - jb;
      if (la != lb) return la < lb;
      const int c = a.compare(ia, la, b, jb, lb);
      if (c != 0) return c < 0;
      if (ie - i != je - j) return ie - i < je - j;  // fewer leading zeros first
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

std::vector<std::string> ListImageFiles(const std::string& folder) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    if (IsImageExtension(entry.path().extension().string())) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end(), NaturalLess);
  std::vector<std::string> paths;
  paths.reserve(names.size());
  for (const std::string& n : names) paths.push_back((fs::path(folder) / n).string());
  return paths;
}

std::string CameraNameFromPath(const std::string& path) {
  fs::path p(path);
  while (!p.empty() && p.filename().empty()) p = p.parent_path();  // "frames/cam02/" -> "frames/cam02"
  std::error_code ec;
  if (fs::is_directory(p, ec)) return p.filename().string();
  return p.stem().string();
}

std::unique_ptr<FrameSource> FrameSource::Open(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(path, "no such file or folder");
  if (fs::is_directory(status)) return std::make_unique<ImageFolderSource>(path);
  return std::make_unique<VideoSource>(path);
}

}  // namespace epilabel
