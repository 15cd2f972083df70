/**
 * Fast standard normal draws for the sigma searches, which need up to 300 perturbations of every
 * parameter (hundreds of millions of draws for a network of 2 million parameters).
 *
 * The stream is seeded from an `Rng` (so from the run's seed) and runs the same xoshiro128**
 * generator with its state in local int32 variables. `Rng.nextUint32` keeps its state in object
 * fields, which V8 stores as heap numbers, so it cost about 60 ns a call on the 2-core development
 * machine (Node 20), against about 20 ns per normal draw here. Normals come from the
 * ziggurat method of Marsaglia and Tsang (2000) with 128 layers; one 32-bit draw gives the layer
 * (7 bits), the sign (1 bit) and a 24-bit position, and about 98.8% of draws are accepted with no
 * further work.
 */
import type { NativeNoiseSource, PerturbFunction } from '../tf/nativePerturb.js';
import type { Rng } from '../util/rng.js';

const layerCount = 128;
/** Right edge of the base layer and the common area of every layer, for 128 layers (Marsaglia and Tsang 2000). */
const tailStart = 3.442619855899;
const layerArea = 9.91256303526217e-3;

/** x[i] is the right edge of layer i (x[0] the virtual width of the base layer), decreasing; x[128] = 0. */
const edges = new Float64Array(layerCount + 1);
/** f(x[i]) = exp(-x[i]^2 / 2). */
const densities = new Float64Array(layerCount + 1);
{
  const density = (x: number): number => Math.exp(-0.5 * x * x);
  edges[0] = layerArea / density(tailStart);
  edges[1] = tailStart;
  for (let i = 1; i < layerCount - 1; i++) {
    edges[i + 1] = Math.sqrt(-2 * Math.log(layerArea / edges[i]! + density(edges[i]!)));
  }
  edges[layerCount] = 0;
  for (let i = 0; i <= layerCount; i++) densities[i] = density(edges[i]!);
  densities[0] = 0;
}

/** The edges, then the densities, for the addon's perturbGaussian. */
const zigguratTables = new Float64Array(2 * (layerCount + 1));
zigguratTables.set(edges);
zigguratTables.set(densities, layerCount + 1);

const twoToMinus24 = 1 / 16777216;
const twoToMinus32 = 1 / 4294967296;

/** A stream of N(0, 1) draws seeded from an `Rng`. */
export class GaussianStream implements NativeNoiseSource {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** The four words of the state as the addon reads and writes them. */
  private readonly words = new Int32Array(4);

  constructor(seedSource: Rng) {
    this.s0 = seedSource.nextUint32() | 0;
    this.s1 = seedSource.nextUint32() | 0;
    this.s2 = seedSource.nextUint32() | 0;
    this.s3 = seedSource.nextUint32() | 0;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Draws one xoshiro128** output as a signed int32. */
  private nextInt32(): number {
    const result = Math.imul(rotateLeft(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotateLeft(this.s3, 11);
    return result;
  }

  /** Draws a uniform value in (0, 1]. */
  private nextUniform(): number {
    return ((this.nextInt32() >>> 0) + 1) * twoToMinus32;
  }

  /** Fills `out` with independent N(0, 1) draws. */
  fill(out: Float32Array | Float64Array): void {
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    for (let index = 0; index < out.length; index++) {
      // Inline xoshiro128** step.
      const bits = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);

      const layer = bits & 127;
      const position = (bits >>> 8) * twoToMinus24;
      const x = position * edges[layer]!;
      if (x < edges[layer + 1]!) {
        out[index] = bits & 128 ? -x : x;
        continue;
      }
      this.s0 = s0;
      this.s1 = s1;
      this.s2 = s2;
      this.s3 = s3;
      const value = this.slowPath(layer, x);
      out[index] = bits & 128 ? -value : value;
      s0 = this.s0;
      s1 = this.s1;
      s2 = this.s2;
      s3 = this.s3;
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
  }

  /**
   * Writes original[i] + scale_i z_i for i < count into the float32 memory of `heap` (byte offsets)
   * with the addon's `perturb`. z_i are the next draws of this stream as `fill` rounds them.
   * scale_i is the float32 at `scalesOffset` + 4 i, or `scale` where scalesOffset is -1.
   */
  perturbInto(perturb: PerturbFunction, heap: Uint8Array, outOffset: number, originalOffset: number, scalesOffset: number, scale: number, count: number): void {
    const words = this.words;
    words[0] = this.s0;
    words[1] = this.s1;
    words[2] = this.s2;
    words[3] = this.s3;
    perturb(heap, outOffset, originalOffset, scalesOffset, scale, count, words, zigguratTables);
    this.s0 = words[0]!;
    this.s1 = words[1]!;
    this.s2 = words[2]!;
    this.s3 = words[3]!;
  }

  /** The rejection step for a draw outside the inner rectangle of its layer; returns |z|. */
  private slowPath(initialLayer: number, initialX: number): number {
    let layer = initialLayer;
    let x = initialX;
    for (;;) {
      if (layer === 0) {
        // Tail beyond tailStart (Marsaglia 1964).
        for (;;) {
          const a = -Math.log(this.nextUniform()) / tailStart;
          const b = -Math.log(this.nextUniform());
          if (b + b > a * a) return tailStart + a;
        }
      }
      // Wedge between the layer's rectangle and the curve.
      const y = densities[layer]! + this.nextUniform() * (densities[layer + 1]! - densities[layer]!);
      if (y < Math.exp(-0.5 * x * x)) return x;
      const bits = this.nextInt32();
      layer = bits & 127;
      x = (bits >>> 8) * twoToMinus24 * edges[layer]!;
      if (x < edges[layer + 1]!) return x;
    }
  }
}

function rotateLeft(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
