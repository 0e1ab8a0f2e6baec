// Frames of one camera from a video file (OpenCV VideoCapture, FFmpeg backend) or a folder of
// images (sorted by name, with digit runs compared as numbers: img2 < img10).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace epilabel {

class FrameSource {
 public:
  virtual ~FrameSource() = default;

  // Opens `path`: a folder is read as images, anything else as a video. Throws InputError
  // naming the path when it does not exist, is not a readable video, or is a folder without
  // images. The readers live in the image module (libepilabel_detector_dnn.so, see
  // detector_module.h), loaded on the first call; std::runtime_error naming the files tried
  // when it cannot be loaded.
  static std::unique_ptr<FrameSource> Open(const std::string& path);

  // The next frame as 8-bit BGR; false at the end. Throws InputError for an image that cannot
  // be decoded or whose size differs from the first frame's. A video frame is decoded into
  // *frame's buffer when no other cv::Mat shares it (a loop reading into one cv::Mat reuses its
  // memory; a frame the caller kept, even as a shallow copy, is never overwritten).
  virtual bool Read(cv::Mat* frame) = 0;
  // When the frame last read was taken, seconds: a video's presentation timestamp (FFmpeg's,
  // from the start of the stream; uneven for a variable frame rate); NaN for an image folder or
  // before the first frame.
  virtual double LastTimestampS() const = 0;
  // Number of frames when known in advance (exact for folders, the container's count for
  // videos), else -1.
  virtual int64_t FrameCountHint() const = 0;
  // The path given to Open.
  virtual const std::string& path() const = 0;
};

// Image files of a folder (extensions jpg, jpeg, png, bmp, tif, tiff, webp, pgm, ppm, any case),
// in natural name order; full paths. Empty when there is none.
std::vector<std::string> ListImageFiles(const std::string& folder);

// Natural order of names: digit runs compare by value, the rest character by character.
bool NaturalLess(const std::string& a, const std::string& b);

// A camera name from an input path: the file name without extension for a file
// ("videos/cam01.mp4" -> "cam01"), the folder name for a folder ("frames/cam02/" -> "cam02").
std::string CameraNameFromPath(const std::string& path);

}  // namespace epilabel
