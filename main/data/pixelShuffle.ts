/**
 * Pixel shuffling, a data-complexity perturbation (Zhang et al. 2017, "Understanding deep learning
 * requires rethinking generalization", shuffled pixels): the pixel positions of an image are
 * permuted, each pixel keeping its channels together.
 *
 * - 'fixed': one permutation, drawn from the data seed, for every training and test image. The
 *   task keeps its information; only the spatial structure that convolutions exploit is lost.
 * - 'per-image': every image gets its own permutation, drawn from the data seed, the split and the
 *   image's index in its file, so an image is shuffled the same way in every subset that contains it.
 *   Only the pixel-value histogram survives.
 */
import { Rng } from '../util/rng.js';

export type PixelShuffle = 'none' | 'fixed' | 'per-image';

/**
 * Returns the function that gives the pixel order of the image at file index `index` of `split`:
 * output position p takes input position order[p], for `positions` = height x width positions.
 * It returns null for 'none'.
 */
export function pixelOrderFor(shuffle: PixelShuffle, positions: number, dataSeed: number, split: 'train' | 'test'): (index: number) => Int32Array | null {
  switch (shuffle) {
    case 'none':
      return () => null;
    case 'fixed': {
      const order = new Rng(dataSeed, 'pixel-shuffle', 'fixed').permutation(positions);
      return () => order;
    }
    case 'per-image':
      return (index) => new Rng(dataSeed, 'pixel-shuffle', split, index).permutation(positions);
  }
}
