// Shrinking an 8-bit image by area averaging, the step that brings a person's crop of a
// full-HD frame down to the network input (pose_network_opencv.cc).
//
// Pixel (x, y) of the result is the mean of src over the rectangle [x * sx, (x + 1) * sx) x
// [y * sy, (y + 1) * sy) (continuous coordinates, sx = src.cols / size.width, sy = src.rows /
// size.height), source pixels cut by the rectangle's border weighted by the part inside,
// rounded to the nearest integer (ties to even). The arithmetic is that of OpenCV's general
// INTER_AREA path (cv::resize with non-integer factors, OpenCV 4.x resize.cpp: the same float
// weights, summed in the same order: along x per source row, then those rows), so the bytes
// equal cv::resize(src, dst, size, 0, 0, cv::INTER_AREA) whenever OpenCV takes that path (a
// factor that is not an integer); OpenCV's integer-factor path rounds differently. It runs in
// one thread and keeps the sums in (SSE) registers instead of updating memory per source pixel:
// 1.1-1.45 ms instead of OpenCV's 2.55-2.7 for a 1025 px crop to 192 (detector_bench BM_ShrinkCrop).
#pragma once

#include <opencv2/core.hpp>

namespace epilabel {

// `src`: 8-bit, any number of channels, may be a region of a larger image. `size`: at most
// src's size in both directions and at least 1x1 (an axis of equal size is copied). `dst` is
// (re)allocated to size x src's type unless it already is; it must not share memory with src.
// Throws std::invalid_argument for other depths, an empty src or an enlarging size.
void ShrinkByAreaAveraging(const cv::Mat& src, cv::Size size, cv::Mat* dst);

// True when cv::resize(..., INTER_AREA) from `from` to `to` takes its integer-factor path
// (both factors within DBL_EPSILON of an integer), where its rounding differs from the above.
bool OpenCvAreaFactorsAreIntegers(cv::Size from, cv::Size to);

}  // namespace epilabel
