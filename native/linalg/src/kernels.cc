// The dense kernels declared in kernels.h.
//
// The product follows the packed design of Goto and van de Geijn (2008, "Anatomy of
// high-performance matrix multiplication"). Blocks of B (kPackDepth x kPackColumns) and of A
// (kPackRows x kPackDepth) are copied into contiguous panels. A register tile of
// kTileRows x kTileColumns entries of C is then accumulated over the depth. The tile loop is plain
// C++ over fixed-size arrays, which g++ -O3 unrolls and vectorises along the tile's columns.
// The float32 product (sgemm) has its own packing and a 6 x 16 tile written with GCC vector types.
// The triangular solve and the Cholesky factorisation are recursive, so that all but O(n^2)
// of their flops run in that product.
//
// Instruction set: the build uses the compiler's baseline for the target (for x86-64, SSE2),
// so the addon runs on any CPU of its architecture. Where GCC can dispatch at load time
// (x86-64 Linux), the tile loops are also compiled for x86-64-v3 (AVX2, FMA), and the dynamic
// loader picks that clone on CPUs that have it.
#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <memory>
#include <system_error>
#include <thread>
#include <vector>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define LINALG_HAS_CLONES 1
#define LINALG_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LINALG_CLONES
#endif

namespace linalg {
namespace {

using Index = std::ptrdiff_t;

// Register tile of C: kTileRows x kTileColumns accumulators (8 AVX2 registers of 4 doubles).
constexpr Index kTileRows = 4;
constexpr Index kTileColumns = 8;
// Cache blocks. One packed panel of B (kPackDepth x kTileColumns, 16 KB) stays in L1, the
// packed block of A (kPackRows x kPackDepth, 256 KB) in L2, the packed block of B
// (kPackDepth x kPackColumns, 2 MB) in L3. The depth block matches the JavaScript kernel's.
constexpr Index kPackDepth = 256;
constexpr Index kPackRows = 128;
constexpr Index kPackColumns = 1024;
// Sizes at which the recursive solve and factorisation switch to their unblocked loops.
constexpr Index kSolveBaseColumns = 32;
constexpr Index kCholeskyBaseColumns = 64;
// A thread is started only for at least this many flops (a start costs tens of microseconds).
constexpr double kMinFlopsPerThread = 4e6;

static_assert(kPackRows % kTileRows == 0, "kPackRows must be a multiple of kTileRows");
static_assert(kPackColumns % kTileColumns == 0, "kPackColumns must be a multiple of kTileColumns");

// Runs body(part) for part = 0..parts-1, part 0 on the calling thread and the others on new
// threads; rethrows the first exception once all have finished. A part whose thread cannot be
// started runs on the calling thread.
template <typename Body>
void runParallel(int parts, const Body& body) {
  if (parts <= 1) {
    body(0);
    return;
  }
  std::vector<std::exception_ptr> errors(parts);
  std::vector<std::thread> workers;
  std::vector<int> inlineParts;
  workers.reserve(parts - 1);
  for (int part = 1; part < parts; ++part) {
    try {
      workers.emplace_back([&body, &errors, part] {
        try {
          body(part);
        } catch (...) {
          errors[part] = std::current_exception();
        }
      });
    } catch (const std::system_error&) {
      inlineParts.push_back(part);
    }
  }
  for (int part : inlineParts) {
    try {
      body(part);
    } catch (...) {
      errors[part] = std::current_exception();
    }
  }
  try {
    body(0);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (std::thread& worker : workers) worker.join();
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

// Number of threads worth starting for `flops` of work, at most `threads` and `maxParts`.
int plannedThreads(int threads, double flops, Index maxParts) {
  const double byWork = std::floor(flops / kMinFlopsPerThread);
  const double parts = std::min({static_cast<double>(threads), byWork, static_cast<double>(maxParts)});
  return parts < 1 ? 1 : static_cast<int>(parts);
}

// Splits rows [rowStart, rowEnd) into `parts` ranges of about equal cost, with boundaries
// kTileRows apart from rowStart. cost(i) is the work of row i. Returns parts + 1 boundaries.
template <typename RowCost>
std::vector<Index> partitionRows(Index rowStart, Index rowEnd, int parts, const RowCost& cost) {
  std::vector<Index> bounds{rowStart};
  if (parts > 1) {
    // prefix[k] is the cost of rows [rowStart, rowStart + k).
    std::vector<double> prefix(static_cast<size_t>(rowEnd - rowStart + 1), 0.0);
    for (Index k = 0; k < rowEnd - rowStart; ++k) prefix[k + 1] = prefix[k] + cost(rowStart + k);
    for (int part = 1; part < parts; ++part) {
      const double target = prefix.back() * part / parts;
      const Index k = std::lower_bound(prefix.begin(), prefix.end(), target) - prefix.begin();
      const Index rounded = ((k + kTileRows / 2) / kTileRows) * kTileRows;
      bounds.push_back(std::clamp(rowStart + rounded, bounds.back(), rowEnd));
    }
  }
  bounds.push_back(rowEnd);
  return bounds;
}

// Copies rows [row, row + rows) x columns [p0, p0 + depth) of `source` into panels of `width`
// rows: panel k holds, for p = 0..depth-1, the `width` values source[row + k width + r][p0 + p].
// Rows past the end are zero, so the tile loop never needs a shorter panel.
template <Index width>
void packPanels(MatrixRef source, Index row, Index rows, Index p0, Index depth, double* out) {
  for (Index r = 0; r < rows; r += width) {
    double* panel = out + r * depth;
    const Index count = std::min(width, rows - r);
    for (Index k = 0; k < count; ++k) {
      const double* from = &source.at(row + r + k, p0);
      for (Index p = 0; p < depth; ++p) panel[p * width + k] = from[p];
    }
    for (Index k = count; k < width; ++k) {
      for (Index p = 0; p < depth; ++p) panel[p * width + k] = 0;
    }
  }
}

// C[i][j] += alpha * (packed A block times packed B block^T)[i][j] for i < rows, j < columns,
// where `c` points at the block's first entry. With `lower`, only entries with
// j <= i + diagonalShift are written (diagonalShift is the block's first row minus its first
// column in the whole matrix). Full tiles off the diagonal are written without tests.
LINALG_CLONES
void multiplyPackedBlock(const double* aPacked, const double* bPacked, Index depth, Index rows, Index columns,
                         MatrixRef c, double alpha, bool lower, Index diagonalShift) {
  for (Index jr = 0; jr < columns; jr += kTileColumns) {
    const double* __restrict bPanel = bPacked + jr * depth;
    const Index tileColumns = std::min(kTileColumns, columns - jr);
    for (Index ir = 0; ir < rows; ir += kTileRows) {
      const Index tileRows = std::min(kTileRows, rows - ir);
      // Skips a tile that lies wholly above the diagonal.
      if (lower && jr > ir + tileRows - 1 + diagonalShift) continue;
      const double* __restrict aPanel = aPacked + ir * depth;

      double tile[kTileRows][kTileColumns] = {};
      for (Index p = 0; p < depth; ++p) {
        const double* __restrict aValues = aPanel + p * kTileRows;
        const double* __restrict bValues = bPanel + p * kTileColumns;
        for (Index r = 0; r < kTileRows; ++r) {
          for (Index s = 0; s < kTileColumns; ++s) tile[r][s] += aValues[r] * bValues[s];
        }
      }

      const bool full = tileRows == kTileRows && tileColumns == kTileColumns &&
                        (!lower || jr + kTileColumns - 1 <= ir + diagonalShift);
      if (full) {
        for (Index r = 0; r < kTileRows; ++r) {
          double* __restrict row = &c.at(ir + r, jr);
          for (Index s = 0; s < kTileColumns; ++s) row[s] += alpha * tile[r][s];
        }
        continue;
      }
      for (Index r = 0; r < tileRows; ++r) {
        Index end = tileColumns;
        if (lower) end = std::min(end, ir + r + diagonalShift - jr + 1);
        double* row = &c.at(ir + r, jr);
        for (Index s = 0; s < end; ++s) row[s] += alpha * tile[r][s];
      }
    }
  }
}

// One call of addProductNT, as its arguments.
struct ProductJob {
  MatrixRef c;
  MatrixRef a;
  MatrixRef b;
  Index columnStart;
  Index columnEnd;
  Index depth;
  double alpha;
  bool lower;
};

// Runs `job` for rows [rowStart, rowEnd) on the calling thread, with its own packing buffers.
void multiplyRows(const ProductJob& job, Index rowStart, Index rowEnd) {
  const Index columnLimit = job.lower ? std::min(job.columnEnd, rowEnd) : job.columnEnd;
  if (rowStart >= rowEnd || job.columnStart >= columnLimit || job.depth <= 0) return;
  const Index depthBlock = std::min(kPackDepth, job.depth);
  const Index rowBlock = std::min(kPackRows, ((rowEnd - rowStart + kTileRows - 1) / kTileRows) * kTileRows);
  const Index columnBlock =
      std::min(kPackColumns, ((columnLimit - job.columnStart + kTileColumns - 1) / kTileColumns) * kTileColumns);
  std::vector<double> aPacked(static_cast<size_t>(rowBlock * depthBlock));
  std::vector<double> bPacked(static_cast<size_t>(columnBlock * depthBlock));

  for (Index jc = job.columnStart; jc < columnLimit; jc += kPackColumns) {
    const Index columns = std::min(kPackColumns, columnLimit - jc);
    // With `lower`, rows above jc have no entries in this column block.
    const Index firstRow = job.lower ? std::max(rowStart, jc) : rowStart;
    for (Index pc = 0; pc < job.depth; pc += kPackDepth) {
      const Index depth = std::min(kPackDepth, job.depth - pc);
      packPanels<kTileColumns>(job.b, jc, columns, pc, depth, bPacked.data());
      for (Index ic = firstRow; ic < rowEnd; ic += kPackRows) {
        const Index rows = std::min(kPackRows, rowEnd - ic);
        packPanels<kTileRows>(job.a, ic, rows, pc, depth, aPacked.data());
        multiplyPackedBlock(aPacked.data(), bPacked.data(), depth, rows, columns, job.c.sub(ic, jc), job.alpha,
                            job.lower, ic - jc);
      }
    }
  }
}

// Solves rows [rowStart, rowEnd) of X (n <= kSolveBaseColumns columns) against the n x n lower
// triangle of `l`, one row at a time: y_j = x_j / L[j][j], then x_k -= y_j L[k][j] for k > j,
// with L's columns copied into the rows of `transposed` so that the update reads them contiguously.
void solveBaseRows(MatrixRef x, MatrixRef l, Index rowStart, Index rowEnd, Index n) {
  double transposed[kSolveBaseColumns * kSolveBaseColumns];
  for (Index j = 0; j < n; ++j) {
    for (Index k = j; k < n; ++k) transposed[j * n + k] = l.at(k, j);
  }
  for (Index i = rowStart; i < rowEnd; ++i) {
    double* __restrict row = &x.at(i, 0);
    for (Index j = 0; j < n; ++j) {
      const double y = row[j] / transposed[j * n + j];
      row[j] = y;
      const double* __restrict column = transposed + j * n;
      for (Index k = j + 1; k < n; ++k) row[k] -= y * column[k];
    }
  }
}

// X L^-T for rows [rowStart, rowEnd) on the calling thread, by halves of L:
// X1 <- X1 L11^-T, X2 -= X1 L21^T, X2 <- X2 L22^-T.
void solveRows(MatrixRef x, MatrixRef l, Index rowStart, Index rowEnd, Index n) {
  if (n <= kSolveBaseColumns) {
    solveBaseRows(x, l, rowStart, rowEnd, n);
    return;
  }
  const Index half = ((n / 2 + kTileColumns - 1) / kTileColumns) * kTileColumns;
  solveRows(x, l, rowStart, rowEnd, half);
  const ProductJob update{x.sub(0, half), x, l.sub(half, 0), 0, n - half, half, -1.0, false};
  multiplyRows(update, rowStart, rowEnd);
  solveRows(x.sub(0, half), l.sub(half, half), rowStart, rowEnd, n - half);
}

// The unblocked factorisation (the JavaScript kernel's loop), for n <= kCholeskyBaseColumns.
Index choleskyBase(MatrixRef a, Index n) {
  for (Index j = 0; j < n; ++j) {
    const double* rowJ = &a.at(j, 0);
    double pivot = rowJ[j];
    for (Index p = 0; p < j; ++p) pivot -= rowJ[p] * rowJ[p];
    if (!(pivot > 0)) return j;
    const double diagonal = std::sqrt(pivot);
    a.at(j, j) = diagonal;
    for (Index i = j + 1; i < n; ++i) {
      double* rowI = &a.at(i, 0);
      double sum = rowI[j];
      for (Index p = 0; p < j; ++p) sum -= rowI[p] * rowJ[p];
      rowI[j] = sum / diagonal;
    }
  }
  return -1;
}

// ---- Float32 product (sgemm) ----
//
// The same packed design as the float64 product, with a register tile of 6 x 16 floats: 12 AVX2
// registers of 8 floats accumulate, 2 hold the packed B values and 1 the broadcast A value. The
// baseline clone splits each 8-float vector into two SSE registers.

constexpr Index kFloatTileRows = 6;
constexpr Index kFloatTileColumns = 16;
// One packed panel of B (kFloatPackDepth x kFloatTileColumns, 16 KB) stays in L1, the packed block
// of A (kFloatPackRows x kFloatPackDepth, 120 KB) in L2, the packed block of B
// (kFloatPackDepth x kFloatPackColumns, 2 MB) in L3.
constexpr Index kFloatPackDepth = 256;
constexpr Index kFloatPackRows = 120;
constexpr Index kFloatPackColumns = 2048;

static_assert(kFloatPackRows % kFloatTileRows == 0, "kFloatPackRows must be a multiple of kFloatTileRows");
static_assert(kFloatPackColumns % kFloatTileColumns == 0, "kFloatPackColumns must be a multiple of kFloatTileColumns");

// A float32 operand as the product reads it: element (i, p) of op(X) is
// data[i * indexStride + p * depthStride], where i is a row of op(A) or a column of op(B).
struct FloatOperand {
  const float* data;
  Index indexStride;
  Index depthStride;
};

// Copies indices [first, first + count) x depth [p0, p0 + depth) of `source` into panels of
// `width` indices: panel q holds, for p = 0..depth-1, the `width` values of indices
// first + q width + r at depth p0 + p. Indices past the end are zero.
template <Index width>
void packFloatPanels(const FloatOperand& source, Index first, Index count, Index p0, Index depth, float* out) {
  for (Index q = 0; q < count; q += width) {
    float* panel = out + q * depth;
    const Index filled = std::min(width, count - q);
    const float* origin = source.data + (first + q) * source.indexStride + p0 * source.depthStride;
    if (source.depthStride == 1) {
      // Each index's values are contiguous along the depth.
      for (Index r = 0; r < filled; ++r) {
        const float* from = origin + r * source.indexStride;
        for (Index p = 0; p < depth; ++p) panel[p * width + r] = from[p];
      }
    } else {
      // The indices are contiguous at each depth (indexStride == 1).
      for (Index p = 0; p < depth; ++p) {
        const float* from = origin + p * source.depthStride;
        for (Index r = 0; r < filled; ++r) panel[p * width + r] = from[r * source.indexStride];
      }
    }
    for (Index r = filled; r < width; ++r) {
      for (Index p = 0; p < depth; ++p) panel[p * width + r] = 0;
    }
  }
}

#if defined(__GNUC__)
// Eight floats in a GCC/Clang vector. In the baseline clone GCC lowers each operation to two SSE
// instructions. Values of this type are loaded and stored with memcpy (unaligned) and never cross
// a function boundary, because the ABI for passing them would differ between the clones.
typedef float Float8 __attribute__((vector_size(32)));
#endif

// Writes the product of the packed A and B blocks to the first `rows` x `columns` entries of the
// block at `c` (row stride ldc), or adds it there when `accumulate`.
LINALG_CLONES
void multiplyPackedFloatBlock(const float* aPacked, const float* bPacked, Index depth, Index rows, Index columns,
                              float* c, Index ldc, bool accumulate) {
  for (Index jr = 0; jr < columns; jr += kFloatTileColumns) {
    const float* __restrict bPanel = bPacked + jr * depth;
    const Index tileColumns = std::min(kFloatTileColumns, columns - jr);
    for (Index ir = 0; ir < rows; ir += kFloatTileRows) {
      const Index tileRows = std::min(kFloatTileRows, rows - ir);
      const float* __restrict aPanel = aPacked + ir * depth;
      float tile[kFloatTileRows][kFloatTileColumns];

#if defined(__GNUC__)
      Float8 sums[kFloatTileRows][2] = {};
      for (Index p = 0; p < depth; ++p) {
        Float8 b0;
        Float8 b1;
        std::memcpy(&b0, bPanel + p * kFloatTileColumns, sizeof b0);
        std::memcpy(&b1, bPanel + p * kFloatTileColumns + 8, sizeof b1);
        const float* __restrict aValues = aPanel + p * kFloatTileRows;
        for (Index r = 0; r < kFloatTileRows; ++r) {
          const float x = aValues[r];
          const Float8 aValue = {x, x, x, x, x, x, x, x};
          sums[r][0] += aValue * b0;
          sums[r][1] += aValue * b1;
        }
      }
      if (tileRows == kFloatTileRows && tileColumns == kFloatTileColumns) {
        // A full tile goes straight from the registers to C.
        for (Index r = 0; r < kFloatTileRows; ++r) {
          float* row = c + (ir + r) * ldc + jr;
          if (accumulate) {
            Float8 old0;
            Float8 old1;
            std::memcpy(&old0, row, sizeof old0);
            std::memcpy(&old1, row + 8, sizeof old1);
            sums[r][0] += old0;
            sums[r][1] += old1;
          }
          std::memcpy(row, &sums[r][0], sizeof sums[r][0]);
          std::memcpy(row + 8, &sums[r][1], sizeof sums[r][1]);
        }
        continue;
      }
      for (Index r = 0; r < kFloatTileRows; ++r) {
        std::memcpy(tile[r], &sums[r][0], sizeof sums[r][0]);
        std::memcpy(tile[r] + 8, &sums[r][1], sizeof sums[r][1]);
      }
#else
      for (Index r = 0; r < kFloatTileRows; ++r) {
        for (Index s = 0; s < kFloatTileColumns; ++s) tile[r][s] = 0;
      }
      for (Index p = 0; p < depth; ++p) {
        const float* __restrict aValues = aPanel + p * kFloatTileRows;
        const float* __restrict bValues = bPanel + p * kFloatTileColumns;
        for (Index r = 0; r < kFloatTileRows; ++r) {
          for (Index s = 0; s < kFloatTileColumns; ++s) tile[r][s] += aValues[r] * bValues[s];
        }
      }
#endif

      for (Index r = 0; r < tileRows; ++r) {
        float* __restrict row = c + (ir + r) * ldc + jr;
        if (accumulate) {
          for (Index s = 0; s < tileColumns; ++s) row[s] += tile[r][s];
        } else {
          for (Index s = 0; s < tileColumns; ++s) row[s] = tile[r][s];
        }
      }
    }
  }
}

// One sgemm call, as its arguments; the operands are those of batch item 0.
struct FloatProductJob {
  const float* a;
  const float* b;
  float* c;
  Index aBatch;
  Index bBatch;
  Index m;
  Index n;
  Index k;
  bool transposeA;
  bool transposeB;
};

// A packing buffer that only grows and is never zeroed, because packing writes every element
// that the product later reads.
class FloatPackBuffer {
 public:
  float* reserve(Index size) {
    if (size > capacity_) {
      data_.reset(new float[static_cast<size_t>(size)]);
      capacity_ = size;
    }
    return data_.get();
  }

 private:
  std::unique_ptr<float[]> data_;
  Index capacity_ = 0;
};

// The packing buffers of each thread, kept between calls. A training step calls sgemm a few times
// with the same shapes, and allocating and zeroing up to 2 MB per call added memory traffic.
thread_local FloatPackBuffer aPackBuffer;
thread_local FloatPackBuffer bPackBuffer;

// Computes rows [rowStart, rowEnd) x columns [columnStart, columnEnd) of C_item on the calling
// thread, packing into the thread's packing buffers.
void multiplyFloatRange(const FloatProductJob& job, Index item, Index rowStart, Index rowEnd, Index columnStart,
                        Index columnEnd) {
  if (rowStart >= rowEnd || columnStart >= columnEnd) return;
  float* c = job.c + item * job.m * job.n;
  if (job.k == 0) {
    for (Index i = rowStart; i < rowEnd; ++i) std::fill(c + i * job.n + columnStart, c + i * job.n + columnEnd, 0.0f);
    return;
  }
  const float* aData = job.a + (job.aBatch == 1 ? 0 : item) * job.m * job.k;
  const float* bData = job.b + (job.bBatch == 1 ? 0 : item) * job.k * job.n;
  const FloatOperand a = job.transposeA ? FloatOperand{aData, 1, job.m} : FloatOperand{aData, job.k, 1};
  const FloatOperand b = job.transposeB ? FloatOperand{bData, job.k, 1} : FloatOperand{bData, 1, job.n};

  const Index depthBlock = std::min(kFloatPackDepth, job.k);
  const Index rowBlock =
      std::min(kFloatPackRows, ((rowEnd - rowStart + kFloatTileRows - 1) / kFloatTileRows) * kFloatTileRows);
  const Index columnBlock = std::min(
      kFloatPackColumns, ((columnEnd - columnStart + kFloatTileColumns - 1) / kFloatTileColumns) * kFloatTileColumns);
  float* aPacked = aPackBuffer.reserve(rowBlock * depthBlock);
  float* bPacked = bPackBuffer.reserve(columnBlock * depthBlock);

  for (Index jc = columnStart; jc < columnEnd; jc += kFloatPackColumns) {
    const Index columns = std::min(kFloatPackColumns, columnEnd - jc);
    for (Index pc = 0; pc < job.k; pc += kFloatPackDepth) {
      const Index depth = std::min(kFloatPackDepth, job.k - pc);
      packFloatPanels<kFloatTileColumns>(b, jc, columns, pc, depth, bPacked);
      for (Index ic = rowStart; ic < rowEnd; ic += kFloatPackRows) {
        const Index rows = std::min(kFloatPackRows, rowEnd - ic);
        packFloatPanels<kFloatTileRows>(a, ic, rows, pc, depth, aPacked);
        multiplyPackedFloatBlock(aPacked, bPacked, depth, rows, columns, c + ic * job.n + jc, job.n,
                                 pc > 0);
      }
    }
  }
}

// Splits [0, count) into `parts` ranges whose boundaries are multiples of `unit` (except the
// last). Returns parts + 1 boundaries.
std::vector<Index> splitEvenly(Index count, int parts, Index unit) {
  const Index units = (count + unit - 1) / unit;
  std::vector<Index> bounds{0};
  for (int part = 1; part < parts; ++part) bounds.push_back(std::min(count, (units * part / parts) * unit));
  bounds.push_back(count);
  return bounds;
}

}  // namespace

void addProductNT(MatrixRef c, MatrixRef a, MatrixRef b, Index rowStart, Index rowEnd, Index columnStart,
                  Index columnEnd, Index depth, double alpha, bool lower, int threads) {
  if (rowStart >= rowEnd || columnStart >= columnEnd || depth <= 0) return;
  const ProductJob job{c, a, b, columnStart, columnEnd, depth, alpha, lower};
  const auto rowCost = [&](Index i) {
    const Index end = lower ? std::min(columnEnd, i + 1) : columnEnd;
    return static_cast<double>(std::max<Index>(0, end - columnStart));
  };
  double entries = 0;
  for (Index i = rowStart; i < rowEnd; ++i) entries += rowCost(i);
  const int parts = plannedThreads(threads, 2.0 * depth * entries, (rowEnd - rowStart + kTileRows - 1) / kTileRows);
  const std::vector<Index> bounds = partitionRows(rowStart, rowEnd, parts, rowCost);
  runParallel(parts, [&](int part) { multiplyRows(job, bounds[part], bounds[part + 1]); });
}

void solveRowsLowerTransposed(MatrixRef x, MatrixRef l, Index rowStart, Index rowEnd, Index n, int threads) {
  if (rowStart >= rowEnd || n <= 0) return;
  const double flops = static_cast<double>(rowEnd - rowStart) * n * n;
  const int parts = plannedThreads(threads, flops, (rowEnd - rowStart + kTileRows - 1) / kTileRows);
  const std::vector<Index> bounds = partitionRows(rowStart, rowEnd, parts, [](Index) { return 1.0; });
  runParallel(parts, [&](int part) { solveRows(x, l, bounds[part], bounds[part + 1], n); });
}

std::ptrdiff_t choleskyLower(MatrixRef a, Index n, int threads) {
  if (n <= kCholeskyBaseColumns) return choleskyBase(a, n);
  // A11 = L11 L11^T, L21 = A21 L11^-T, then A22 - L21 L21^T = L22 L22^T.
  const Index half = ((n / 2 + kTileColumns - 1) / kTileColumns) * kTileColumns;
  const Index rest = n - half;
  const Index failed = choleskyLower(a, half, threads);
  if (failed >= 0) return failed;
  solveRowsLowerTransposed(a.sub(half, 0), a, 0, rest, half, threads);
  addProductNT(a.sub(half, half), a.sub(half, 0), a.sub(half, 0), 0, rest, 0, rest, half, -1.0, true, threads);
  const Index failedRest = choleskyLower(a.sub(half, half), rest, threads);
  return failedRest >= 0 ? half + failedRest : -1;
}

void sgemm(const float* a, const float* b, float* c, Index aBatch, Index bBatch, Index m, Index n, Index k,
           bool transposeA, bool transposeB, int threads) {
  const Index batch = std::max(aBatch, bBatch);
  if (batch <= 0 || m <= 0 || n <= 0) return;
  const FloatProductJob job{a, b, c, aBatch, bBatch, m, n, k, transposeA, transposeB};
  const Index rowTiles = (m + kFloatTileRows - 1) / kFloatTileRows;
  const Index columnTiles = (n + kFloatTileColumns - 1) / kFloatTileColumns;
  // With k == 0 the work is the zero fill, so it is costed as if k were 1.
  const double flops = 2.0 * static_cast<double>(batch) * m * n * std::max<Index>(k, 1);
  const int parts = plannedThreads(threads, flops, std::max({batch, rowTiles, columnTiles}));

  if (parts > 1 && batch >= parts) {
    // Each thread takes whole batch items and packs only their blocks.
    const std::vector<Index> bounds = splitEvenly(batch, parts, 1);
    runParallel(parts, [&](int part) {
      for (Index item = bounds[part]; item < bounds[part + 1]; ++item) multiplyFloatRange(job, item, 0, m, 0, n);
    });
    return;
  }
  // Otherwise each item is split along its longer side (in tiles), so that every thread packs
  // its own part of one operand and all of the other.
  const bool byColumns = columnTiles >= rowTiles;
  const std::vector<Index> bounds =
      byColumns ? splitEvenly(n, parts, kFloatTileColumns) : splitEvenly(m, parts, kFloatTileRows);
  runParallel(parts, [&](int part) {
    for (Index item = 0; item < batch; ++item) {
      if (byColumns) {
        multiplyFloatRange(job, item, 0, m, bounds[part], bounds[part + 1]);
      } else {
        multiplyFloatRange(job, item, bounds[part], bounds[part + 1], 0, n);
      }
    }
  });
}

const char* instructionSet() {
#if defined(LINALG_HAS_CLONES)
  __builtin_cpu_init();
  return __builtin_cpu_supports("x86-64-v3") ? "x86-64-v3 (AVX2, FMA)" : "x86-64 baseline (SSE2)";
#elif defined(__x86_64__)
  return "x86-64 baseline (SSE2)";
#elif defined(__aarch64__)
  return "AArch64 (NEON)";
#else
  return "compiler baseline";
#endif
}

}  // namespace linalg
