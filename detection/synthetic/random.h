// A small, portable random number generator for the synthetic studio.
//
// The standard library's distributions are implementation-defined, so the studio uses its
// own: xoshiro256** seeded through SplitMix64, with uniform, normal (Box-Muller) and
// Student-t draws. The same seed gives the same numbers with any compiler and standard
// library. Independent streams (one per camera and frame, ...) come from StreamSeed().
#pragma once

#include <cmath>
#include <cstdint>

namespace epilabel::synthetic {

inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// A seed for stream (a, b, c) of a base seed; streams with different ids are independent.
inline uint64_t StreamSeed(uint64_t seed, uint64_t a, uint64_t b = 0, uint64_t c = 0) {
  uint64_t s = seed;
  uint64_t h = SplitMix64(&s);
  for (uint64_t id : {a, b, c}) {
    uint64_t t = h ^ (id + 0x632BE59BD9B4E019ULL);
    h = SplitMix64(&t);
  }
  return h;
}

class Random {
 public:
  explicit Random(uint64_t seed) {
    uint64_t s = seed;
    for (uint64_t& v : state_) v = SplitMix64(&s);
  }

  uint64_t NextU64() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }
  // Uniform integer in [0, n).
  uint64_t Index(uint64_t n) { return n == 0 ? 0 : static_cast<uint64_t>(Uniform() * static_cast<double>(n)) % n; }
  bool Bernoulli(double p) { return Uniform() < p; }
  // Standard normal (Box-Muller; both values of a pair are used).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = Uniform();
    while (u1 <= 1e-300) u1 = Uniform();
    const double u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 6.283185307179586 * u2;  // 2 pi
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }
  // Chi-square with an integer number of degrees of freedom (sum of squared normals).
  double ChiSquare(int dof) {
    double s = 0.0;
    for (int i = 0; i < dof; ++i) {
      const double z = Normal();
      s += z * z;
    }
    return s;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4] = {};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace epilabel::synthetic
