#include "detection/dnn/area_resize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <stdexcept>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace epilabel {

namespace {

// Which source pixels make one destination pixel along an axis, and their weights, exactly as
// OpenCV's computeResizeAreaTab (imgproc/src/resize.cpp) computes them: destination d covers
// [d * scale, (d + 1) * scale) with scale = 1 / (destination / source) in double precision, its
// cell clipped to the source; a partly covered pixel weighs the part inside (left out under
// 1e-3 pixel), weights normalised by the cell and rounded to float.
struct AxisTaps {
  std::vector<int> begin;  // destination d uses taps begin[d] .. begin[d + 1] - 1, source in order
  std::vector<int> source;
  std::vector<float> weight;
};

AxisTaps AreaTaps(int source_size, int destination_size) {
  AxisTaps taps;
  const double scale = 1.0 / (static_cast<double>(destination_size) / source_size);
  const auto add = [&taps](int source, float weight) {
    taps.source.push_back(source);
    taps.weight.push_back(weight);
  };
  for (int d = 0; d < destination_size; ++d) {
    taps.begin.push_back(static_cast<int>(taps.source.size()));
    const double from = d * scale, to = from + scale;
    const double cell = std::min(scale, source_size - from);
    int first = static_cast<int>(std::ceil(from)), last = static_cast<int>(std::floor(to));
    last = std::min(last, source_size - 1);
    first = std::min(first, last);
    if (first - from > 1e-3) add(first - 1, static_cast<float>((first - from) / cell));
    for (int s = first; s < last; ++s) add(s, static_cast<float>(1.0 / cell));
    if (to - last > 1e-3) add(last, static_cast<float>(std::min(std::min(to - last, 1.0), cell) / cell));
  }
  taps.begin.push_back(static_cast<int>(taps.source.size()));
  return taps;
}

// The taps of every destination pixel padded to the same count with weight 0 (on a valid source
// pixel): adding +0 leaves a sum of non-negative terms unchanged, so the padded sums are the
// same floats, and equal counts let several destination pixels be summed side by side.
struct PaddedTaps {
  int count = 0;               // taps per destination pixel
  std::vector<int> source;     // destination d: source[d * count + k], k < count
  std::vector<float> weight;
};

PaddedTaps Pad(const AxisTaps& taps) {
  PaddedTaps padded;
  const size_t size = taps.begin.size() - 1;
  for (size_t d = 0; d < size; ++d) padded.count = std::max(padded.count, taps.begin[d + 1] - taps.begin[d]);
  padded.source.assign(size * padded.count, 0);
  padded.weight.assign(size * padded.count, 0.0f);
  for (size_t d = 0; d < size; ++d) {
    for (int k = 0; k < padded.count; ++k) {
      const int t = taps.begin[d] + k;
      const bool real = t < taps.begin[d + 1];
      padded.source[d * padded.count + k] = real ? taps.source[t] : taps.source[std::max(taps.begin[d], t - 1)];
      padded.weight[d * padded.count + k] = real ? taps.weight[t] : 0.0f;
    }
  }
  return padded;
}

// One source row (as float, exact) averaged along x: out[d * channels + c] = sum over d's taps,
// in order, of row[source * channels + c] * weight, accumulated in float from 0 (OpenCV's order).
// The sums stay in registers instead of being read back per tap. With 3 channels (SSE2) a pixel's
// three sums share one register, a fourth lane reading the next value (dropped; `row` holds one
// float past its end, `out` one past its end): lane by lane the same single-precision multiply
// and add as the scalar code; four destination pixels are summed side by side.
void AverageAlongX(const float* row, const AxisTaps& columns, const PaddedTaps& padded, int channels, float* out) {
  const int width = static_cast<int>(columns.begin.size()) - 1;
#if defined(__SSE2__)
  if (channels == 3) {
    const int n = padded.count;
    int d = 0;
    for (; d + 4 <= width; d += 4) {
      const int* source = padded.source.data() + static_cast<size_t>(d) * n;
      const float* weight = padded.weight.data() + static_cast<size_t>(d) * n;
      __m128 s0 = _mm_setzero_ps(), s1 = _mm_setzero_ps(), s2 = _mm_setzero_ps(), s3 = _mm_setzero_ps();
      for (int k = 0; k < n; ++k) {
        s0 = _mm_add_ps(s0, _mm_mul_ps(_mm_loadu_ps(row + 3 * source[k]), _mm_set1_ps(weight[k])));
        s1 = _mm_add_ps(s1, _mm_mul_ps(_mm_loadu_ps(row + 3 * source[n + k]), _mm_set1_ps(weight[n + k])));
        s2 = _mm_add_ps(s2, _mm_mul_ps(_mm_loadu_ps(row + 3 * source[2 * n + k]), _mm_set1_ps(weight[2 * n + k])));
        s3 = _mm_add_ps(s3, _mm_mul_ps(_mm_loadu_ps(row + 3 * source[3 * n + k]), _mm_set1_ps(weight[3 * n + k])));
      }
      // In increasing order: each store's fourth lane is overwritten by the next.
      _mm_storeu_ps(out + 3 * d, s0);
      _mm_storeu_ps(out + 3 * d + 3, s1);
      _mm_storeu_ps(out + 3 * d + 6, s2);
      _mm_storeu_ps(out + 3 * d + 9, s3);
    }
    for (; d < width; ++d) {
      __m128 sum = _mm_setzero_ps();
      for (int t = columns.begin[d]; t < columns.begin[d + 1]; ++t)
        sum = _mm_add_ps(sum, _mm_mul_ps(_mm_loadu_ps(row + 3 * columns.source[t]), _mm_set1_ps(columns.weight[t])));
      _mm_storeu_ps(out + 3 * d, sum);
    }
    return;
  }
#endif
  for (int d = 0; d < width; ++d) {
    for (int c = 0; c < channels; ++c) {
      float s = 0.0f;
      for (int t = columns.begin[d]; t < columns.begin[d + 1]; ++t)
        s = s + row[columns.source[t] * channels + c] * columns.weight[t];
      out[d * channels + c] = s;
    }
  }
}

}  // namespace

void ShrinkByAreaAveraging(const cv::Mat& src, cv::Size size, cv::Mat* dst) {
  if (src.empty() || src.depth() != CV_8U) throw std::invalid_argument("ShrinkByAreaAveraging: expects a non-empty 8-bit image");
  if (size.width < 1 || size.height < 1 || size.width > src.cols || size.height > src.rows)
    throw std::invalid_argument("ShrinkByAreaAveraging: the size must be between 1x1 and the source's");
  const int channels = src.channels();
  const AxisTaps columns = AreaTaps(src.cols, size.width);
  const AxisTaps rows = AreaTaps(src.rows, size.height);
  dst->create(size, src.type());
  const size_t length = static_cast<size_t>(size.width) * channels;
  const int row_length = src.cols * channels;
  const PaddedTaps padded = Pad(columns);
  std::vector<float> row(static_cast<size_t>(row_length) + 1, 0.0f), along_x(length + 1), sum(length);
  for (int y = 0; y < size.height; ++y) {
    // Columns first, then the rows under destination row y, weighted, in order (as OpenCV).
    for (int t = rows.begin[y]; t < rows.begin[y + 1]; ++t) {
      const uint8_t* source = src.ptr<uint8_t>(rows.source[t]);
      for (int i = 0; i < row_length; ++i) row[i] = static_cast<float>(source[i]);  // vectorised
      AverageAlongX(row.data(), columns, padded, channels, along_x.data());
      const float w = rows.weight[t];
      if (t == rows.begin[y]) {
        for (size_t i = 0; i < length; ++i) sum[i] = w * along_x[i];
      } else {
        for (size_t i = 0; i < length; ++i) sum[i] = sum[i] + w * along_x[i];
      }
    }
    uint8_t* out = dst->ptr<uint8_t>(y);
    for (size_t i = 0; i < length; ++i) out[i] = cv::saturate_cast<uint8_t>(sum[i]);
  }
}

bool OpenCvAreaFactorsAreIntegers(cv::Size from, cv::Size to) {
  // As cv::resize: scale = 1 / (to / from), compared with its saturate_cast to int.
  const double scale_x = 1.0 / (static_cast<double>(to.width) / from.width);
  const double scale_y = 1.0 / (static_cast<double>(to.height) / from.height);
  return std::abs(scale_x - cv::saturate_cast<int>(scale_x)) < DBL_EPSILON &&
         std::abs(scale_y - cv::saturate_cast<int>(scale_y)) < DBL_EPSILON;
}

}  // namespace epilabel
