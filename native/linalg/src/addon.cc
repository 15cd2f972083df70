// Node-API binding of the kernels in kernels.h.
//
// Each function checks its arguments on the calling thread, then runs the kernel on a libuv
// worker thread (which starts more threads when `threads` > 1) and returns a Promise, so that
// the JavaScript event loop keeps running meanwhile. The kernels read and write the caller's
// Float64Array memory in place. Until the Promise settles the caller must neither touch nor
// transfer the arrays passed, and the binding holds references so that they are not collected.
// NOTE: a call occupies one of libuv's worker threads (4 unless UV_THREADPOOL_SIZE is set) for its
// whole run, an estimated 50 s for EP's triangular solve at m = 10,000 on two cores. Other
// asynchronous fs or zlib calls of the process share the remaining threads meanwhile.
//
// Matrix arguments are objects { data: Float64Array, offset, stride }: element (i, j) is
// data[offset + i * stride + j], the MatrixView of main/bounds/dense.ts. Every element a call
// reads or writes is checked to lie inside its array before the work starts.
//
//   addProductNT(c, a, b, rowStart, rowEnd, columnStart, columnEnd, depth, alpha, lower, threads)
//       -> Promise<void>
//   solveRowsLowerTransposed(x, l, rowStart, rowEnd, n, threads) -> Promise<void>
//   choleskyLower(a, n, threads) -> Promise<number>   (-1, or the first non-positive pivot)
//   instructionSet: string                             (the product kernels' instruction set)
//
// sgemm is the exception: it runs on the calling thread (plus threads - 1 threads of its own)
// and returns once C is written, because TensorFlow.js kernels are synchronous. Its operands are
// float32 matrices at byte offsets into one memory, the linear memory of the tfjs wasm backend:
//
//   sgemm(memory, aOffset, bOffset, cOffset, aBatch, bBatch, m, n, k, transposeA, transposeB,
//         threads) -> undefined
//
// `memory` is an ArrayBuffer, a typed array or a DataView, and offsets count bytes from its start.
// The offsets must be multiples of 4, every matrix must lie inside `memory`, and C must not overlap
// A or B; the shapes and the broadcasting of a batch of 1 are those of linalg::sgemm in kernels.h.
//
// perturbGaussian is synchronous too. It writes perturbed float32 parameters into the same kind of
// memory, as linalg::perturbGaussian in elementwise.h describes:
//
//   perturbGaussian(memory, outOffset, originalOffset, scalesOffset, scale, count, state, tables)
//       -> undefined
//
// scalesOffset is -1 to use `scale` for every element. `state` is a Uint32Array or Int32Array of
// the generator's 4 words, read and written back. `tables` is the Float64Array of the ziggurat's
// 129 edges and 129 densities.
//
//   scaledAdd(memory, outOffset, xOffset, yOffset, alpha, count) -> undefined
//
// writes out = x + alpha y in float32 (linalg::scaledAdd), synchronously; out may be x or y.
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <new>
#include <string>
#include <vector>

#include "elementwise.h"
#include "kernels.h"

namespace {

using Index = std::ptrdiff_t;

// The largest thread count accepted; a guard against a mistyped argument, not a tuning limit.
constexpr double kMaxThreads = 1024;

// A JavaScript exception raised by argument checks; thrown as a TypeError or RangeError.
struct ArgumentError {
  bool isRange;
  std::string message;
};

// An argument-checked matrix: the kernel's view plus the array to keep alive.
struct MatrixArgument {
  linalg::MatrixRef ref;
  napi_value array;
};

// One kernel call waiting for, or running on, a libuv worker thread.
struct KernelCall {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  std::vector<napi_ref> arrays;
  std::function<Index()> kernel;
  bool resolvesToNumber = false;
  Index result = -1;
  std::string error;
};

void check(napi_status status) {
  if (status != napi_ok) throw ArgumentError{false, "a Node-API call failed with status " + std::to_string(status)};
}

double readNumber(napi_env env, napi_value value, const char* name) {
  napi_valuetype type;
  check(napi_typeof(env, value, &type));
  if (type != napi_number) throw ArgumentError{false, std::string(name) + " must be a number"};
  double number;
  check(napi_get_value_double(env, value, &number));
  return number;
}

// Reads a non-negative integer below 2^53.
Index readIndex(napi_env env, napi_value value, const char* name) {
  const double number = readNumber(env, value, name);
  if (!(number >= 0 && number <= 9007199254740991.0 && std::floor(number) == number)) {
    throw ArgumentError{true, std::string(name) + " is " + std::to_string(number) + "; it must be an integer >= 0"};
  }
  return static_cast<Index>(number);
}

int readThreads(napi_env env, napi_value value) {
  const double number = readNumber(env, value, "threads");
  if (!(number >= 1 && number <= kMaxThreads && std::floor(number) == number)) {
    throw ArgumentError{true, "threads is " + std::to_string(number) + "; it must be an integer from 1 to 1024"};
  }
  return static_cast<int>(number);
}

bool readBoolean(napi_env env, napi_value value, const char* name) {
  napi_valuetype type;
  check(napi_typeof(env, value, &type));
  if (type != napi_boolean) throw ArgumentError{false, std::string(name) + " must be a boolean"};
  bool result;
  check(napi_get_value_bool(env, value, &result));
  return result;
}

napi_value readProperty(napi_env env, napi_value object, const char* key) {
  napi_value value;
  check(napi_get_named_property(env, object, key, &value));
  return value;
}

// Reads { data: Float64Array, offset, stride } and checks that rows [rowStart, rowEnd) x
// columns [columnStart, columnEnd) lie inside `data`, and that those rows do not overlap.
MatrixArgument readMatrix(napi_env env, napi_value value, const char* name, Index rowStart, Index rowEnd,
                          Index columnStart, Index columnEnd) {
  napi_valuetype type;
  check(napi_typeof(env, value, &type));
  if (type != napi_object) throw ArgumentError{false, std::string(name) + " must be an object { data, offset, stride }"};
  const napi_value array = readProperty(env, value, "data");
  bool isTypedArray = false;
  check(napi_is_typedarray(env, array, &isTypedArray));
  napi_typedarray_type arrayType = napi_uint8_array;
  size_t length = 0;
  void* data = nullptr;
  if (isTypedArray) check(napi_get_typedarray_info(env, array, &arrayType, &length, &data, nullptr, nullptr));
  if (!isTypedArray || arrayType != napi_float64_array) {
    throw ArgumentError{false, std::string(name) + ".data must be a Float64Array"};
  }
  const std::string prefix(name);
  const Index offset = readIndex(env, readProperty(env, value, "offset"), (prefix + ".offset").c_str());
  const Index stride = readIndex(env, readProperty(env, value, "stride"), (prefix + ".stride").c_str());
  if (rowStart < rowEnd && columnStart < columnEnd) {
    if (rowEnd - rowStart > 1 && stride < columnEnd) {
      throw ArgumentError{true, prefix + ".stride is " + std::to_string(stride) + ", less than the " +
                                    std::to_string(columnEnd) + " columns used, so its rows would overlap"};
    }
    // In double arithmetic: exact below 2^53, and any larger value is out of range anyway.
    const double last = static_cast<double>(offset) + static_cast<double>(rowEnd - 1) * static_cast<double>(stride) +
                        static_cast<double>(columnEnd - 1);
    if (last >= static_cast<double>(length)) {
      throw ArgumentError{true, prefix + " reaches element " + std::to_string(static_cast<long long>(last)) +
                                    " of a Float64Array of length " + std::to_string(length) + " (rows " +
                                    std::to_string(rowStart) + " to " + std::to_string(rowEnd - 1) + ", columns " +
                                    std::to_string(columnStart) + " to " + std::to_string(columnEnd - 1) + ")"};
    }
  }
  return {{static_cast<double*>(data) + offset, stride}, array};
}

void executeCall(napi_env, void* data) {
  auto* call = static_cast<KernelCall*>(data);
  try {
    call->result = call->kernel();
  } catch (const std::bad_alloc&) {
    call->error = "the native linear-algebra kernel ran out of memory for its packing buffers";
  } catch (const std::exception& error) {
    call->error = std::string("the native linear-algebra kernel failed: ") + error.what();
  }
}

void completeCall(napi_env env, napi_status status, void* data) {
  auto* call = static_cast<KernelCall*>(data);
  if (status == napi_cancelled && call->error.empty()) call->error = "the native linear-algebra call was cancelled";
  napi_value outcome;
  if (!call->error.empty()) {
    napi_value message;
    napi_create_string_utf8(env, call->error.c_str(), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &outcome);
    napi_reject_deferred(env, call->deferred, outcome);
  } else {
    if (call->resolvesToNumber) {
      napi_create_double(env, static_cast<double>(call->result), &outcome);
    } else {
      napi_get_undefined(env, &outcome);
    }
    napi_resolve_deferred(env, call->deferred, outcome);
  }
  for (napi_ref ref : call->arrays) napi_delete_reference(env, ref);
  napi_delete_async_work(env, call->work);
  delete call;
}

// Queues `kernel` on a libuv worker thread, keeping `arrays` alive, and returns its Promise.
napi_value queueCall(napi_env env, const std::vector<MatrixArgument>& matrices, std::function<Index()> kernel,
                     bool resolvesToNumber) {
  auto* call = new KernelCall();
  call->kernel = std::move(kernel);
  call->resolvesToNumber = resolvesToNumber;
  napi_value promise = nullptr;
  napi_value name;
  napi_status status = napi_create_string_utf8(env, "fragility-lab:linalg", NAPI_AUTO_LENGTH, &name);
  if (status == napi_ok) status = napi_create_promise(env, &call->deferred, &promise);
  for (const MatrixArgument& matrix : matrices) {
    if (status != napi_ok) break;
    napi_ref ref;
    status = napi_create_reference(env, matrix.array, 1, &ref);
    if (status == napi_ok) call->arrays.push_back(ref);
  }
  if (status == napi_ok) status = napi_create_async_work(env, nullptr, name, executeCall, completeCall, call, &call->work);
  if (status == napi_ok) status = napi_queue_async_work(env, call->work);
  if (status != napi_ok) {
    for (napi_ref ref : call->arrays) napi_delete_reference(env, ref);
    if (call->work != nullptr) napi_delete_async_work(env, call->work);
    if (call->deferred != nullptr) {
      napi_value error;
      napi_value message;
      napi_create_string_utf8(env, "could not queue the native linear-algebra call", NAPI_AUTO_LENGTH, &message);
      napi_create_error(env, nullptr, message, &error);
      napi_reject_deferred(env, call->deferred, error);
    }
    delete call;
  }
  return promise;
}

// Reads exactly `count` arguments, or raises a TypeError naming the function.
std::vector<napi_value> readArguments(napi_env env, napi_callback_info info, size_t count, const char* function) {
  std::vector<napi_value> args(count);
  size_t received = count;
  check(napi_get_cb_info(env, info, &received, args.data(), nullptr, nullptr));
  if (received != count) {
    throw ArgumentError{false, std::string(function) + " takes " + std::to_string(count) + " arguments; it received " +
                                   std::to_string(received)};
  }
  return args;
}

// Runs `body`, turning an ArgumentError into a pending JavaScript exception.
template <typename Body>
napi_value guard(napi_env env, const Body& body) {
  try {
    return body();
  } catch (const ArgumentError& error) {
    if (error.isRange) {
      napi_throw_range_error(env, nullptr, error.message.c_str());
    } else {
      napi_throw_type_error(env, nullptr, error.message.c_str());
    }
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, nullptr, "out of memory while preparing a native linear-algebra call");
  }
  return nullptr;
}

napi_value addProductNT(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    const auto args = readArguments(env, info, 11, "addProductNT");
    const Index rowStart = readIndex(env, args[3], "rowStart");
    const Index rowEnd = readIndex(env, args[4], "rowEnd");
    const Index columnStart = readIndex(env, args[5], "columnStart");
    const Index columnEnd = readIndex(env, args[6], "columnEnd");
    const Index depth = readIndex(env, args[7], "depth");
    const double alpha = readNumber(env, args[8], "alpha");
    const bool lower = readBoolean(env, args[9], "lower");
    const int threads = readThreads(env, args[10]);
    // With `lower`, no column at or past rowEnd is touched.
    const Index columnLimit = lower ? std::min(columnEnd, rowEnd) : columnEnd;
    const bool empty = rowStart >= rowEnd || columnStart >= columnLimit || depth == 0;
    const MatrixArgument c = readMatrix(env, args[0], "c", rowStart, rowEnd, columnStart, columnLimit);
    const MatrixArgument a = readMatrix(env, args[1], "a", rowStart, empty ? rowStart : rowEnd, 0, depth);
    const MatrixArgument b = readMatrix(env, args[2], "b", columnStart, empty ? columnStart : columnLimit, 0, depth);
    return queueCall(
        env, {c, a, b},
        [=] {
          linalg::addProductNT(c.ref, a.ref, b.ref, rowStart, rowEnd, columnStart, columnEnd, depth, alpha, lower,
                               threads);
          return Index{-1};
        },
        false);
  });
}

napi_value solveRowsLowerTransposed(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    const auto args = readArguments(env, info, 6, "solveRowsLowerTransposed");
    const Index rowStart = readIndex(env, args[2], "rowStart");
    const Index rowEnd = readIndex(env, args[3], "rowEnd");
    const Index n = readIndex(env, args[4], "n");
    const int threads = readThreads(env, args[5]);
    const MatrixArgument x = readMatrix(env, args[0], "x", rowStart, rowEnd, 0, n);
    const MatrixArgument l = readMatrix(env, args[1], "l", 0, rowStart < rowEnd ? n : 0, 0, n);
    return queueCall(
        env, {x, l},
        [=] {
          linalg::solveRowsLowerTransposed(x.ref, l.ref, rowStart, rowEnd, n, threads);
          return Index{-1};
        },
        false);
  });
}

napi_value choleskyLower(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    const auto args = readArguments(env, info, 3, "choleskyLower");
    const Index n = readIndex(env, args[1], "n");
    const int threads = readThreads(env, args[2]);
    const MatrixArgument a = readMatrix(env, args[0], "a", 0, n, 0, n);
    return queueCall(env, {a}, [=] { return linalg::choleskyLower(a.ref, n, threads); }, true);
  });
}

// The bytes of an ArrayBuffer, or of the range a typed array or DataView covers.
struct ByteRange {
  char* data;
  size_t length;
};

ByteRange readMemory(napi_env env, napi_value value, const char* name) {
  bool isArrayBuffer = false;
  check(napi_is_arraybuffer(env, value, &isArrayBuffer));
  if (isArrayBuffer) {
    void* data = nullptr;
    size_t length = 0;
    check(napi_get_arraybuffer_info(env, value, &data, &length));
    return {static_cast<char*>(data), length};
  }
  bool isTypedArray = false;
  check(napi_is_typedarray(env, value, &isTypedArray));
  if (isTypedArray) {
    napi_typedarray_type type;
    size_t elements = 0;
    void* data = nullptr;
    check(napi_get_typedarray_info(env, value, &type, &elements, &data, nullptr, nullptr));
    size_t elementSize = 1;
    switch (type) {
      case napi_int16_array:
      case napi_uint16_array:
        elementSize = 2;
        break;
      case napi_int32_array:
      case napi_uint32_array:
      case napi_float32_array:
        elementSize = 4;
        break;
      case napi_float64_array:
      case napi_bigint64_array:
      case napi_biguint64_array:
        elementSize = 8;
        break;
      default:
        break;
    }
    return {static_cast<char*>(data), elements * elementSize};
  }
  bool isDataView = false;
  check(napi_is_dataview(env, value, &isDataView));
  if (isDataView) {
    size_t length = 0;
    void* data = nullptr;
    check(napi_get_dataview_info(env, value, &length, &data, nullptr, nullptr));
    return {static_cast<char*>(data), length};
  }
  throw ArgumentError{false, std::string(name) + " must be an ArrayBuffer, a typed array or a DataView"};
}

// Reads a byte offset that is a multiple of 4, the alignment of a float.
Index readFloatOffset(napi_env env, napi_value value, const char* name) {
  const Index offset = readIndex(env, value, name);
  if (offset % 4 != 0) {
    throw ArgumentError{true, std::string(name) + " is " + std::to_string(offset) +
                                  "; it must be a multiple of 4 bytes, the alignment of a float32"};
  }
  return offset;
}

// Reads the float32 memory argument. Offsets are checked to be multiples of 4, so the memory's
// start must be 4-byte aligned too.
ByteRange readFloatMemory(napi_env env, napi_value value) {
  const ByteRange memory = readMemory(env, value, "memory");
  if (reinterpret_cast<std::uintptr_t>(memory.data) % alignof(float) != 0) {
    throw ArgumentError{true, "memory starts at an address that is not a multiple of 4 bytes; pass its ArrayBuffer, or a view that starts at a multiple of 4 bytes"};
  }
  return memory;
}

// Checks that `floats` floats from byte `offset` lie inside `memory`; returns the end in bytes.
double checkFloatRange(const ByteRange& memory, Index offset, double floats, const char* name) {
  const double end = static_cast<double>(offset) + 4.0 * floats;
  if (end > static_cast<double>(memory.length)) {
    throw ArgumentError{true, std::string(name) + " spans bytes " + std::to_string(offset) + " to " +
                                  std::to_string(static_cast<long long>(end)) + ", past the end of the " +
                                  std::to_string(memory.length) + "-byte memory"};
  }
  return end;
}

// Returns whether the byte ranges [firstStart, firstEnd) and [secondStart, secondEnd) share a byte;
// an empty range shares none.
bool rangesOverlap(Index firstStart, double firstEnd, Index secondStart, double secondEnd) {
  const double first = static_cast<double>(firstStart);
  const double second = static_cast<double>(secondStart);
  return first < firstEnd && second < secondEnd && first < secondEnd && second < firstEnd;
}

napi_value sgemm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    const auto args = readArguments(env, info, 12, "sgemm");
    const ByteRange memory = readFloatMemory(env, args[0]);
    const Index aOffset = readFloatOffset(env, args[1], "aOffset");
    const Index bOffset = readFloatOffset(env, args[2], "bOffset");
    const Index cOffset = readFloatOffset(env, args[3], "cOffset");
    const Index aBatch = readIndex(env, args[4], "aBatch");
    const Index bBatch = readIndex(env, args[5], "bBatch");
    const Index m = readIndex(env, args[6], "m");
    const Index n = readIndex(env, args[7], "n");
    const Index k = readIndex(env, args[8], "k");
    const bool transposeA = readBoolean(env, args[9], "transposeA");
    const bool transposeB = readBoolean(env, args[10], "transposeB");
    const int threads = readThreads(env, args[11]);
    if (aBatch < 1 || bBatch < 1) {
      throw ArgumentError{true, "aBatch is " + std::to_string(aBatch) + " and bBatch is " + std::to_string(bBatch) +
                                    "; both must be at least 1"};
    }
    if (aBatch != bBatch && aBatch != 1 && bBatch != 1) {
      throw ArgumentError{true, "aBatch is " + std::to_string(aBatch) + " and bBatch is " + std::to_string(bBatch) +
                                    "; they must be equal, or one of them 1 (broadcast)"};
    }
    const Index batch = std::max(aBatch, bBatch);
    // In double arithmetic: exact below 2^53, and any larger value is out of range anyway.
    const double aFloats = static_cast<double>(aBatch) * static_cast<double>(m) * static_cast<double>(k);
    const double bFloats = static_cast<double>(bBatch) * static_cast<double>(k) * static_cast<double>(n);
    const double cFloats = static_cast<double>(batch) * static_cast<double>(m) * static_cast<double>(n);
    const double aEnd = checkFloatRange(memory, aOffset, aFloats, "a");
    const double bEnd = checkFloatRange(memory, bOffset, bFloats, "b");
    const double cEnd = checkFloatRange(memory, cOffset, cFloats, "c");
    if (rangesOverlap(cOffset, cEnd, aOffset, aEnd)) throw ArgumentError{true, "c overlaps a; the output needs memory of its own"};
    if (rangesOverlap(cOffset, cEnd, bOffset, bEnd)) throw ArgumentError{true, "c overlaps b; the output needs memory of its own"};

    char* base = memory.data;
    try {
      linalg::sgemm(reinterpret_cast<const float*>(base + aOffset), reinterpret_cast<const float*>(base + bOffset),
                    reinterpret_cast<float*>(base + cOffset), aBatch, bBatch, m, n, k, transposeA, transposeB, threads);
    } catch (const std::bad_alloc&) {
      napi_throw_error(env, nullptr, "the native sgemm kernel ran out of memory for its packing buffers");
      return static_cast<napi_value>(nullptr);
    } catch (const std::exception& error) {
      napi_throw_error(env, nullptr, (std::string("the native sgemm kernel failed: ") + error.what()).c_str());
      return static_cast<napi_value>(nullptr);
    }
    napi_value undefined;
    check(napi_get_undefined(env, &undefined));
    return undefined;
  });
}

// Returns the data of a typed array of `type` with exactly `length` elements.
void* readTypedArray(napi_env env, napi_value value, napi_typedarray_type type, size_t length, const char* name,
                     const char* expected) {
  bool isTypedArray = false;
  check(napi_is_typedarray(env, value, &isTypedArray));
  napi_typedarray_type actualType = napi_int8_array;
  size_t elements = 0;
  void* data = nullptr;
  if (isTypedArray) check(napi_get_typedarray_info(env, value, &actualType, &elements, &data, nullptr, nullptr));
  const bool sameWords = actualType == type || (type == napi_uint32_array && actualType == napi_int32_array);
  if (!isTypedArray || !sameWords) throw ArgumentError{false, std::string(name) + " must be " + expected};
  if (elements != length) {
    throw ArgumentError{true, std::string(name) + " has " + std::to_string(elements) + " elements; it must have " +
                                  std::to_string(length)};
  }
  return data;
}

napi_value perturbGaussian(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    const auto args = readArguments(env, info, 8, "perturbGaussian");
    const ByteRange memory = readFloatMemory(env, args[0]);
    const Index outOffset = readFloatOffset(env, args[1], "outOffset");
    const Index originalOffset = readFloatOffset(env, args[2], "originalOffset");
    const double scalesArgument = readNumber(env, args[3], "scalesOffset");
    const double scale = readNumber(env, args[4], "scale");
    const Index count = readIndex(env, args[5], "count");
    auto* state = static_cast<std::uint32_t*>(readTypedArray(env, args[6], napi_uint32_array, 4, "state", "a Uint32Array or Int32Array"));
    const auto* tables = static_cast<const double*>(
        readTypedArray(env, args[7], napi_float64_array, linalg::kZigguratTableLength, "tables", "a Float64Array"));

    const double outEnd = checkFloatRange(memory, outOffset, static_cast<double>(count), "out");
    const double originalEnd = checkFloatRange(memory, originalOffset, static_cast<double>(count), "original");
    const bool hasScales = scalesArgument != -1;
    const Index scalesOffset = hasScales ? readFloatOffset(env, args[3], "scalesOffset") : 0;
    const double scalesEnd = hasScales ? checkFloatRange(memory, scalesOffset, static_cast<double>(count), "scales") : 0;
    if (rangesOverlap(outOffset, outEnd, originalOffset, originalEnd)) {
      throw ArgumentError{true, "out overlaps original; the output needs memory of its own"};
    }
    if (hasScales && rangesOverlap(outOffset, outEnd, scalesOffset, scalesEnd)) {
      throw ArgumentError{true, "out overlaps scales; the output needs memory of its own"};
    }

    char* base = memory.data;
    linalg::perturbGaussian(reinterpret_cast<float*>(base + outOffset), reinterpret_cast<const float*>(base + originalOffset),
                            hasScales ? reinterpret_cast<const float*>(base + scalesOffset) : nullptr, static_cast<float>(scale), count,
                            state, tables);
    napi_value undefined;
    check(napi_get_undefined(env, &undefined));
    return undefined;
  });
}

napi_value scaledAdd(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    const auto args = readArguments(env, info, 6, "scaledAdd");
    const ByteRange memory = readFloatMemory(env, args[0]);
    const Index outOffset = readFloatOffset(env, args[1], "outOffset");
    const Index xOffset = readFloatOffset(env, args[2], "xOffset");
    const Index yOffset = readFloatOffset(env, args[3], "yOffset");
    const double alpha = readNumber(env, args[4], "alpha");
    const Index count = readIndex(env, args[5], "count");
    checkFloatRange(memory, outOffset, static_cast<double>(count), "out");
    checkFloatRange(memory, xOffset, static_cast<double>(count), "x");
    checkFloatRange(memory, yOffset, static_cast<double>(count), "y");
    char* base = memory.data;
    linalg::scaledAdd(reinterpret_cast<float*>(base + outOffset), reinterpret_cast<const float*>(base + xOffset),
                      reinterpret_cast<const float*>(base + yOffset), static_cast<float>(alpha), count);
    napi_value undefined;
    check(napi_get_undefined(env, &undefined));
    return undefined;
  });
}

void exportFunction(napi_env env, napi_value exports, const char* name, napi_callback callback) {
  napi_value function;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, nullptr, &function);
  napi_set_named_property(env, exports, name, function);
}

}  // namespace

NAPI_MODULE_INIT() {
  exportFunction(env, exports, "addProductNT", addProductNT);
  exportFunction(env, exports, "solveRowsLowerTransposed", solveRowsLowerTransposed);
  exportFunction(env, exports, "choleskyLower", choleskyLower);
  exportFunction(env, exports, "sgemm", sgemm);
  exportFunction(env, exports, "perturbGaussian", perturbGaussian);
  exportFunction(env, exports, "scaledAdd", scaledAdd);
  napi_value instructionSet;
  napi_create_string_utf8(env, linalg::instructionSet(), NAPI_AUTO_LENGTH, &instructionSet);
  napi_set_named_property(env, exports, "instructionSet", instructionSet);
  return exports;
}
