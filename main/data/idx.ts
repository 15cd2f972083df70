/**
 * IDX files, the format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/), plain or
 * gzip-compressed. The header is two zero bytes, a type code, the number of dimensions, then one
 * big-endian uint32 per dimension; the values follow in C order, big-endian.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { LabError } from '../util/errors.js';

export interface IdxArray {
  shape: number[];
  /** Values in C order. Images and labels are uint8; other types are widened to float64. */
  data: Uint8Array | Float64Array;
}

const typeSizes: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'unsigned byte', bytes: 1 },
  0x09: { name: 'signed byte', bytes: 1 },
  0x0b: { name: 'short', bytes: 2 },
  0x0c: { name: 'int', bytes: 4 },
  0x0d: { name: 'float', bytes: 4 },
  0x0e: { name: 'double', bytes: 8 },
};

/** Largest number of values accepted, so that a corrupt header cannot ask for terabytes. */
const maxValues = 2 ** 31 - 1;

function invalid(path: string, problem: string): LabError {
  return new LabError('invalid-file', `${path} is not a valid IDX file: ${problem}`);
}

/** Decodes IDX bytes (gzip is detected by its magic bytes); `path` only names the file in errors. */
export function parseIdx(fileBytes: Uint8Array, path: string): IdxArray {
  let bytes = fileBytes;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (error) {
      throw invalid(path, `gzip decompression failed (${(error as Error).message}); the download is probably truncated`);
    }
  }
  if (bytes.length < 4) throw invalid(path, `the file has ${bytes.length} bytes, fewer than the 4-byte magic number`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicNumber = view.getUint32(0, false);
  const typeCode = bytes[2]!;
  const rank = bytes[3]!;
  const type = typeSizes[typeCode];
  if (bytes[0] !== 0 || bytes[1] !== 0 || type === undefined || rank === 0) {
    throw invalid(path, `magic number 0x${magicNumber.toString(16).padStart(8, '0')} is not an IDX magic number (expected 0x00000801 for labels or 0x00000803 for images)`);
  }
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw invalid(path, `the file ends inside its header (${bytes.length} of ${headerBytes} bytes)`);

  const shape: number[] = [];
  for (let axis = 0; axis < rank; axis++) shape.push(view.getUint32(4 + 4 * axis, false));
  const count = shape.reduce((product, size) => product * size, 1);
  if (count > maxValues) throw invalid(path, `dimensions ${shape.join(' x ')} give ${count} values, more than the ${maxValues} supported`);

  const expectedBytes = headerBytes + count * type.bytes;
  if (bytes.length !== expectedBytes) {
    const problem = bytes.length < expectedBytes ? 'truncated' : 'longer than its header states';
    throw invalid(path, `${problem}: dimensions ${shape.join(' x ')} of ${type.name} need ${expectedBytes} bytes, the file has ${bytes.length}`);
  }

  if (typeCode === 0x08) return { shape, data: bytes.slice(headerBytes) };
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const offset = headerBytes + i * type.bytes;
    switch (typeCode) {
      case 0x09:
        data[i] = view.getInt8(offset);
        break;
      case 0x0b:
        data[i] = view.getInt16(offset, false);
        break;
      case 0x0c:
        data[i] = view.getInt32(offset, false);
        break;
      case 0x0d:
        data[i] = view.getFloat32(offset, false);
        break;
      default:
        data[i] = view.getFloat64(offset, false);
    }
  }
  return { shape, data };
}

export function readIdx(path: string): IdxArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new LabError('not-found', `Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseIdx(bytes, path);
}

/** Encodes uint8 data as an IDX file (for the embedded subset and for tests). */
export function encodeIdx(shape: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0x00000800 | shape.length, false);
  shape.forEach((size, axis) => view.setUint32(4 + 4 * axis, size, false));
  const out = new Uint8Array(header.length + data.length);
  out.set(header, 0);
  out.set(data, header.length);
  return out;
}
