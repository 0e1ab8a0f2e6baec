// Small order statistics shared by the modules.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <vector>

namespace epilabel {

// The upper median of `values`: the element at index n / 2 of the sorted values (for an even
// count the larger of the two middle ones, a value that occurs in the data). NaN when empty.
inline double Median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

}  // namespace epilabel
