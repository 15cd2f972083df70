import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { encodeIdx, parseIdx, readIdx } from '../../main/data/idx.js';
import { tempDir } from '../helpers/temp.js';

const images = Uint8Array.from({ length: 2 * 3 * 4 }, (_, index) => index);

test('idx reads plain and gzip files alike', () => {
  const folder = tempDir();
  const bytes = encodeIdx([2, 3, 4], images);
  writeFileSync(join(folder, 'plain'), bytes);
  writeFileSync(join(folder, 'packed.gz'), gzipSync(bytes));
  for (const name of ['plain', 'packed.gz']) {
    const array = readIdx(join(folder, name));
    assert.deepEqual(array.shape, [2, 3, 4]);
    assert.deepEqual([...array.data], [...images]);
  }
});

test('idx rejects a truncated file, naming it', () => {
  const bytes = encodeIdx([2, 3, 4], images).slice(0, -5);
  assert.throws(() => parseIdx(bytes, '/data/train-images-idx3-ubyte'), (error: Error) => {
    assert.match(error.message, /\/data\/train-images-idx3-ubyte/);
    assert.match(error.message, /truncated/);
    assert.match(error.message, /2 x 3 x 4/);
    return true;
  });
});

test('idx rejects a file longer than its header states', () => {
  const bytes = new Uint8Array([...encodeIdx([2, 3, 4], images), 0, 0]);
  assert.throws(() => parseIdx(bytes, 'long.idx'), /longer than its header states/);
});

test('idx rejects a wrong magic number', () => {
  const bytes = encodeIdx([2, 3, 4], images);
  bytes[0] = 0x12;
  assert.throws(() => parseIdx(bytes, 'bad.idx'), /bad\.idx.*magic number 0x12000803 is not an IDX magic number/);
});

test('idx rejects an unknown type code', () => {
  const bytes = encodeIdx([2, 3, 4], images);
  bytes[2] = 0x07;
  assert.throws(() => parseIdx(bytes, 'type.idx'), /not an IDX magic number/);
});

test('idx rejects a header that ends early', () => {
  assert.throws(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0]), 'short.idx'), /ends inside its header/);
});

test('idx rejects a corrupt gzip stream', () => {
  const packed = gzipSync(encodeIdx([2, 3, 4], images)).slice(0, 20);
  assert.throws(() => parseIdx(packed, 'cut.gz'), /cut\.gz.*gzip decompression failed/);
});

test('idx rejects dimensions too large to allocate', () => {
  const header = new Uint8Array(16);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x00000803);
  view.setUint32(4, 100_000);
  view.setUint32(8, 100_000);
  view.setUint32(12, 100_000);
  assert.throws(() => parseIdx(header, 'huge.idx'), /more than the \d+ supported/);
});

test('idx reports a missing file as not found', () => {
  assert.throws(() => readIdx('/nonexistent/file.idx'), (error: Error & { kind?: string }) => error.kind === 'not-found' && /\/nonexistent\/file\.idx/.test(error.message));
});
