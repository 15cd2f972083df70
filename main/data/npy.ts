/**
 * NumPy `.npy` arrays (format versions 1.0, 2.0 and 3.0), the format researchers move arrays in.
 * Supported dtypes: float32, float64, uint8, int32, int64 (little-endian or single-byte), C order.
 * int64 values must fit in a double exactly (|v| <= 2^53), which labels and indices always do.
 */
import { readFileSync } from 'node:fs';
import { LabError } from '../util/errors.js';

export type NpyDtype = 'float32' | 'float64' | 'uint8' | 'int32' | 'int64';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** Values in C order; int64 arrays are converted to float64. */
  data: Float32Array | Float64Array | Uint8Array | Int32Array;
}

const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const descrToDtype: Record<string, { dtype: NpyDtype; bytes: number }> = {
  '<f4': { dtype: 'float32', bytes: 4 },
  '<f8': { dtype: 'float64', bytes: 8 },
  '|u1': { dtype: 'uint8', bytes: 1 },
  '<u1': { dtype: 'uint8', bytes: 1 },
  '|i1': { dtype: 'uint8', bytes: 1 },
  '<i4': { dtype: 'int32', bytes: 4 },
  '<i8': { dtype: 'int64', bytes: 8 },
};

const dtypeToDescr: Record<NpyDtype, string> = {
  float32: '<f4',
  float64: '<f8',
  uint8: '|u1',
  int32: '<i4',
  int64: '<i8',
};

function invalid(path: string, problem: string): LabError {
  return new LabError('invalid-file', `${path} is not a valid .npy file: ${problem}`);
}

/** Parses the Python-literal header dictionary, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. */
function parseHeader(path: string, text: string): { descr: string; fortranOrder: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw invalid(path, `the header ${JSON.stringify(text.trim())} lacks 'descr', 'fortran_order' or 'shape'`);
  }
  const shape = shapeText
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const size = Number(part.replace(/L$/, ''));
      if (!Number.isInteger(size) || size < 0) throw invalid(path, `the shape (${shapeText}) has a non-integer dimension "${part}"`);
      return size;
    });
  return { descr, fortranOrder: fortran === 'True', shape };
}

/** Decodes an in-memory .npy file; `path` only names it in errors. */
export function parseNpy(bytes: Uint8Array, path: string): NpyArray {
  if (bytes.length < 10 || magic.some((value, index) => bytes[index] !== value)) {
    throw invalid(path, 'it does not start with the magic string \\x93NUMPY');
  }
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw invalid(path, 'the file ends inside its header');
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw invalid(path, `format version ${major}.${bytes[7]} is not supported (expected 1.0, 2.0 or 3.0)`);
  }
  if (headerStart + headerLength > bytes.length) throw invalid(path, 'the file ends inside its header');

  const headerText = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
  const header = parseHeader(path, headerText);
  if (header.fortranOrder) {
    throw invalid(path, 'the array is in Fortran order; save it with numpy.ascontiguousarray(a) first');
  }
  const type = descrToDtype[header.descr];
  if (type === undefined) {
    throw invalid(path, `dtype '${header.descr}' is not supported; convert it to float32, float64, uint8, int32 or int64 (little-endian)`);
  }

  const count = header.shape.reduce((product, size) => product * size, 1);
  const dataStart = headerStart + headerLength;
  const expectedBytes = count * type.bytes;
  const actualBytes = bytes.length - dataStart;
  if (actualBytes !== expectedBytes) {
    throw invalid(path, `shape (${header.shape.join(', ')}) of ${header.descr} needs ${expectedBytes} data bytes, but the file has ${actualBytes}`);
  }

  // Copy so that the typed array is aligned whatever the header length. An explicit copy, because
  // Buffer.slice (readNpy passes a Buffer) returns a view whose .buffer starts at the file's header.
  const raw = new Uint8Array(expectedBytes);
  raw.set(bytes.subarray(dataStart, dataStart + expectedBytes));
  switch (type.dtype) {
    case 'float32':
      return { dtype: 'float32', shape: header.shape, data: new Float32Array(raw.buffer) };
    case 'float64':
      return { dtype: 'float64', shape: header.shape, data: new Float64Array(raw.buffer) };
    case 'uint8':
      return { dtype: 'uint8', shape: header.shape, data: raw };
    case 'int32':
      return { dtype: 'int32', shape: header.shape, data: new Int32Array(raw.buffer) };
    case 'int64': {
      const wide = new BigInt64Array(raw.buffer);
      const data = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const value = wide[i]!;
        if (value > 9007199254740992n || value < -9007199254740992n) {
          throw invalid(path, `int64 value ${value} at flat index ${i} does not fit in a double; store it as float64`);
        }
        data[i] = Number(value);
      }
      return { dtype: 'int64', shape: header.shape, data };
    }
  }
}

export function readNpy(path: string): NpyArray {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new LabError('not-found', `Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseNpy(bytes, path);
}

/** Encodes an array as a version 1.0 .npy file (used by exports and tests). */
export function encodeNpy(array: { dtype: NpyDtype; shape: number[]; data: ArrayLike<number> }): Uint8Array {
  const shapeText = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${dtypeToDescr[array.dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';

  const count = array.shape.reduce((product, size) => product * size, 1);
  let body: Uint8Array;
  switch (array.dtype) {
    case 'float32':
      body = new Uint8Array(Float32Array.from(array.data).buffer);
      break;
    case 'float64':
      body = new Uint8Array(Float64Array.from(array.data).buffer);
      break;
    case 'uint8':
      body = Uint8Array.from(array.data);
      break;
    case 'int32':
      body = new Uint8Array(Int32Array.from(array.data).buffer);
      break;
    case 'int64':
      body = new Uint8Array(BigInt64Array.from(Array.from(array.data, (value) => BigInt(value))).buffer);
      break;
  }
  if (body.length !== count * (array.dtype === 'uint8' ? 1 : array.dtype === 'float32' || array.dtype === 'int32' ? 4 : 8)) {
    throw new RangeError(`encodeNpy: shape (${array.shape.join(', ')}) does not match ${array.data.length} values`);
  }
  const out = new Uint8Array(10 + header.length + body.length);
  out.set(magic, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}
