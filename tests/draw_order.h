// Random test data drawn in one order for every compiler.
//
// Function arguments are evaluated in an unspecified order (GCC right to left, Clang left to
// right), so Eigen::Vector2d(noise(rng), noise(rng)) gives other test data under another
// compiler, and a tolerance checked against one compiler's draw may not hold for the other's.
// DrawLastFirst draws the last coordinate first, as GCC did, so the data the tests were written
// against stay the same everywhere.
#pragma once

#include <Eigen/Core>

namespace epilabel::testing {

// N values of draw(), the last coordinate drawn first.
template <int N, typename Draw>
Eigen::Matrix<double, N, 1> DrawLastFirst(Draw&& draw) {
  Eigen::Matrix<double, N, 1> v;
  for (int i = N - 1; i >= 0; --i) v[i] = draw();
  return v;
}

}  // namespace epilabel::testing
