// The .npy reader that the measure command reads x and y with.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NpyDtype } from '../../main/data/npy.js';
import { encodeNpy, parseNpy, readNpy } from '../../main/data/npy.js';
import { LabError } from '../../main/util/errors.js';

/** A version 1.0 file with the given header text (padded to a multiple of 64 bytes) and body. */
function npyBytes(header: string, body: Uint8Array, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const padded = header + ' '.repeat((64 - ((prefix + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(prefix + padded.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, padded.length, true);
  else view.setUint32(8, padded.length, true);
  out.set(new TextEncoder().encode(padded), prefix);
  out.set(body, prefix + padded.length);
  return out;
}

function rejectsWith(bytes: Uint8Array, message: RegExp): void {
  assert.throws(() => parseNpy(bytes, 'array.npy'), (error: unknown) => error instanceof LabError && error.kind === 'invalid-file' && message.test(error.message));
}

const values = [0, 1, 2, 3, 250, 7];

for (const dtype of ['float32', 'float64', 'uint8', 'int32', 'int64'] as const satisfies readonly NpyDtype[]) {
  test(`npy round trip of ${dtype}`, () => {
    const array = parseNpy(encodeNpy({ dtype, shape: [2, 3], data: values }), 'array.npy');
    assert.equal(array.dtype, dtype);
    assert.deepEqual(array.shape, [2, 3]);
    assert.deepEqual(Array.from(array.data), values);
  });
}

test('npy float values keep their precision', () => {
  const data = [0.1, -2.5e-8, 3.4e38];
  assert.deepEqual(Array.from(parseNpy(encodeNpy({ dtype: 'float64', shape: [3], data }), 'a.npy').data), data);
  assert.deepEqual(Array.from(parseNpy(encodeNpy({ dtype: 'float32', shape: [3], data }), 'a.npy').data), Array.from(Float32Array.from(data)));
});

test('npy reads files from disk', () => {
  // readFileSync returns a Buffer, whose slice is a view: the values must still start after the header.
  const folder = mkdtempSync(join(tmpdir(), 'fragility-lab-npy-'));
  try {
    for (const dtype of ['float32', 'int64'] as const) {
      const path = join(folder, `${dtype}.npy`);
      writeFileSync(path, encodeNpy({ dtype, shape: [6], data: values }));
      assert.deepEqual(Array.from(readNpy(path).data), values, dtype);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('npy version 2 header and scalar shape', () => {
  const body = new Uint8Array(new Float64Array([4.5]).buffer);
  const array = parseNpy(npyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", body, 2), 'a.npy');
  assert.deepEqual(array.shape, []);
  assert.deepEqual(Array.from(array.data), [4.5]);
});

test('npy rejects a missing magic string', () => {
  rejectsWith(new TextEncoder().encode('not an npy file at all'), /does not start with the magic string/);
});

test('npy rejects a header without shape', () => {
  rejectsWith(npyBytes("{'descr': '<f4', 'fortran_order': False}", new Uint8Array(0)), /lacks 'descr', 'fortran_order' or 'shape'/);
});

test('npy rejects a truncated header', () => {
  rejectsWith(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)).subarray(0, 30), /ends inside its header/);
});

test('npy rejects an unsupported dtype', () => {
  rejectsWith(npyBytes("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(16)), /dtype '<c16' is not supported; convert it to float32/);
  rejectsWith(npyBytes("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)), /dtype '>f4' is not supported/);
});

test('npy rejects data that does not match the shape', () => {
  rejectsWith(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(20)), /shape \(2, 3\) of <f4 needs 24 data bytes, but the file has 20/);
});

test('npy rejects Fortran order', () => {
  rejectsWith(npyBytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)), /Fortran order; save it with numpy.ascontiguousarray/);
});

test('npy rejects int64 beyond 2^53', () => {
  const body = new Uint8Array(new BigInt64Array([2n ** 60n]).buffer);
  rejectsWith(npyBytes("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", body), /does not fit in a double/);
});

test('npy reports a missing file', () => {
  assert.throws(() => readNpy('/nonexistent/x.npy'), (error: unknown) => error instanceof LabError && error.kind === 'not-found' && /Cannot read \/nonexistent\/x.npy/.test(error.message));
});
