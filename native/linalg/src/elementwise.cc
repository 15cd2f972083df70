// See elementwise.h. The arithmetic follows main/measures/noise.ts step by step: the uniform
// position and the layer's edge multiply in double, the draw rounds to float32, then the product
// with the scale and the sum with the original value each round to float32.
#include "elementwise.h"

#include <cmath>

namespace linalg {

namespace {

constexpr double kTwoToMinus24 = 1.0 / 16777216.0;
constexpr double kTwoToMinus32 = 1.0 / 4294967296.0;
// Right edge of the base layer (Marsaglia and Tsang 2000), as in noise.ts.
constexpr double kTailStart = 3.442619855899;

inline std::uint32_t rotateLeft(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

// xoshiro128** with its state in four words.
struct Xoshiro128 {
  std::uint32_t s0, s1, s2, s3;

  std::uint32_t next() {
    const std::uint32_t result = rotateLeft(s1 * 5u, 7) * 9u;
    const std::uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotateLeft(s3, 11);
    return result;
  }

  // Returns a uniform value in (0, 1].
  double uniform() { return (static_cast<double>(next()) + 1.0) * kTwoToMinus32; }
};

}  // namespace

// A fused multiply-add would round once where TensorFlow.js and JavaScript round twice. GCC may
// fuse across statements (its default -ffp-contract=fast) where the target has FMA, as on arm64,
// so the function turns contraction off for GCC and for Clang.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
void perturbGaussian(float* out, const float* original, const float* scales, float scale, std::ptrdiff_t count,
                     std::uint32_t state[4], const double* tables) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  const double* edges = tables;
  const double* densities = tables + kZigguratLayers + 1;
  Xoshiro128 generator{state[0], state[1], state[2], state[3]};
  for (std::ptrdiff_t index = 0; index < count; ++index) {
    const std::uint32_t bits = generator.next();
    std::uint32_t layer = bits & 127u;
    double x = static_cast<double>(bits >> 8) * kTwoToMinus24 * edges[layer];
    // The rejection step of noise.ts's slowPath, in the same order of draws.
    while (!(x < edges[layer + 1])) {
      if (layer == 0) {
        for (;;) {
          const double a = -std::log(generator.uniform()) / kTailStart;
          const double b = -std::log(generator.uniform());
          if (b + b > a * a) {
            x = kTailStart + a;
            break;
          }
        }
        break;
      }
      const double y = densities[layer] + generator.uniform() * (densities[layer + 1] - densities[layer]);
      if (y < std::exp(-0.5 * x * x)) break;
      const std::uint32_t retry = generator.next();
      layer = retry & 127u;
      x = static_cast<double>(retry >> 8) * kTwoToMinus24 * edges[layer];
    }
    const float draw = static_cast<float>((bits & 128u) != 0 ? -x : x);
    const float product = draw * (scales != nullptr ? scales[index] : scale);
    out[index] = original[index] + product;
  }
  state[0] = generator.s0;
  state[1] = generator.s1;
  state[2] = generator.s2;
  state[3] = generator.s3;
}

#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("fp-contract=off")))
#endif
void scaledAdd(float* out, const float* x, const float* y, float alpha, std::ptrdiff_t count) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
  for (std::ptrdiff_t index = 0; index < count; ++index) {
    const float product = alpha * y[index];
    out[index] = x[index] + product;
  }
}

}  // namespace linalg
