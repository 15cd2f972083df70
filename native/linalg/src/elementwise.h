// Float32 element-wise kernels for the wasm backend's measures, with the rounding of TensorFlow.js:
// each operation rounds to float32, and products are never fused into an FMA, so that the results
// equal those of the wasm kernels bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>

namespace linalg {

// The tables of the ziggurat method that main/measures/noise.ts computes, one after the other:
// edges[i], the right edge of layer i, then densities[i] = exp(-edges[i]^2 / 2), for i = 0..128.
constexpr std::ptrdiff_t kZigguratLayers = 128;
constexpr std::ptrdiff_t kZigguratTableLength = 2 * (kZigguratLayers + 1);

// Writes out[i] = original[i] + scale_i * z_i for i < count, where z_i are the standard normal
// draws of main/measures/noise.ts (xoshiro128** with its four words in `state`, written back;
// ziggurat with 128 layers) rounded to float32, and scale_i is scales[i], or `scale` where scales
// is null. The rejection step calls std::exp and std::log where noise.ts calls Math.exp and
// Math.log. So a draw differs only where the two differ in the last bit at an acceptance
// threshold or at a float32 rounding boundary.
void perturbGaussian(float* out, const float* original, const float* scales, float scale, std::ptrdiff_t count,
                     std::uint32_t state[4], const double* tables);

// Writes out[i] = x[i] + alpha * y[i] for i < count, rounding the product and the sum to float32
// as TensorFlow.js's mul and add do: the update of SGD and of its momentum.
void scaledAdd(float* out, const float* x, const float* y, float alpha, std::ptrdiff_t count);

}  // namespace linalg
