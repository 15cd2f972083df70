/**
 * Writes the embedded Fashion-MNIST subset in assets/fashion-mnist/ from the full data set of
 * Debian's `dataset-fashion-mnist` package: the first 10,000 training images and the first 2,000
 * test images, in file order, as gzip-compressed IDX files.
 *
 * Usage: npx tsx scripts/make-embedded-subset.ts [/usr/share/datasets/fashion-mnist]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeIdx, readIdx } from '../main/data/idx.js';

const source = process.argv[2] ?? '/usr/share/datasets/fashion-mnist';
const target = 'assets/fashion-mnist';
const subsets = [
  { prefix: 'train', count: 10_000 },
  { prefix: 't10k', count: 2_000 },
];

mkdirSync(target, { recursive: true });
for (const { prefix, count } of subsets) {
  for (const kind of ['images-idx3', 'labels-idx1']) {
    const name = `${prefix}-${kind}-ubyte.gz`;
    const full = readIdx(join(source, name));
    const shape = [count, ...full.shape.slice(1)];
    const valuesPerItem = full.shape.slice(1).reduce((product, size) => product * size, 1);
    const data = (full.data as Uint8Array).slice(0, count * valuesPerItem);
    writeFileSync(join(target, name), gzipSync(encodeIdx(shape, data), { level: 9 }));
    process.stdout.write(`${name}: ${shape.join(' x ')}\n`);
  }
}
