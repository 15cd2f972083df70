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
//   instructionSet: string                             (the product kernel's instruction set)
#include <node_api.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <new>
#include <string>
#include <vector>

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
  napi_value instructionSet;
  napi_create_string_utf8(env, linalg::instructionSet(), NAPI_AUTO_LENGTH, &instructionSet);
  napi_set_named_property(env, exports, "instructionSet", instructionSet);
  return exports;
}
