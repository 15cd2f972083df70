// Dense float64 kernels on row-major matrices: the product C += alpha A B^T, the triangular
// solve X <- X L^-T with many right-hand sides, and the Cholesky factorisation A = L L^T. Also
// a float32 product C = op(A) op(B) (sgemm), for the matMul kernels of TensorFlow.js.
//
// Every kernel works in place on memory that the caller owns (a Float64Array or a
// SharedArrayBuffer of the JavaScript side) and copies no matrix. The only copies are blocks of
// at most 128 x 256 and 256 x 1024 doubles (for sgemm, 120 x 256 and 256 x 2048 floats), packed
// into per-thread buffers.
// Element (i, j) of a matrix argument is data[i * stride + j]. `threads` is the number of
// threads the caller allows; a kernel uses fewer when the work is too small to share.
#ifndef FRAGILITY_LAB_LINALG_KERNELS_H
#define FRAGILITY_LAB_LINALG_KERNELS_H

#include <cstddef>

namespace linalg {

// A row-major float64 matrix region: element (i, j) is data[i * stride + j].
struct MatrixRef {
  double* data;
  std::ptrdiff_t stride;

  double& at(std::ptrdiff_t i, std::ptrdiff_t j) const { return data[i * stride + j]; }
  MatrixRef sub(std::ptrdiff_t row, std::ptrdiff_t column) const { return {data + row * stride + column, stride}; }
};

// C[i][j] += alpha * sum_{p < depth} A[i][p] * B[j][p] for rowStart <= i < rowEnd and
// columnStart <= j < columnEnd; with `lower`, only the entries with j <= i.
// Shapes: C and A have at least rowEnd rows, B has at least columnEnd rows, A and B at least
// depth columns. C must not overlap the elements of A or B that are read (A and B may be the
// same matrix). Cost: 2 * depth flops per entry updated.
void addProductNT(MatrixRef c, MatrixRef a, MatrixRef b, std::ptrdiff_t rowStart, std::ptrdiff_t rowEnd,
                  std::ptrdiff_t columnStart, std::ptrdiff_t columnEnd, std::ptrdiff_t depth, double alpha,
                  bool lower, int threads);

// Replaces rows [rowStart, rowEnd) of X (their first n entries) with the solution Y of
// Y L^T = X, that is X L^-T, where L is the n x n lower triangle of `l` (its strict upper
// triangle is not read). X must not overlap L. Rows are independent: threads take disjoint
// row ranges. Cost: n^2 flops per row.
void solveRowsLowerTransposed(MatrixRef x, MatrixRef l, std::ptrdiff_t rowStart, std::ptrdiff_t rowEnd,
                              std::ptrdiff_t n, int threads);

// Factors the n x n symmetric positive definite matrix in the lower triangle of `a` as L L^T,
// in place: L overwrites the lower triangle, and the strict upper triangle is neither read nor
// written. Returns -1 on success, or the index of the first pivot that is not positive (NaN
// included). The factorisation stops at that pivot, so the lower triangle is left partly updated.
// Cost: n^3 / 3 flops.
std::ptrdiff_t choleskyLower(MatrixRef a, std::ptrdiff_t n, int threads);

// Float32 matrix product for the TensorFlow.js matMul kernels, on dense row-major matrices:
// C_t = op(A_t) op(B_t) for t < max(aBatch, bBatch), where op(A_t) is m x k and op(B_t) is k x n.
// A_t is the m x k matrix at a + t m k, or with transposeA the k x m matrix there, read
// transposed. B_t is the k x n matrix at b + t k n, or with transposeB the n x k matrix there.
// A batch of 1 is broadcast: aBatch == 1 uses A_0 for every t, and likewise for B. Otherwise
// aBatch and bBatch must be equal. C_t is the m x n matrix at c + t m n, and it is overwritten
// (with zeros when k == 0). C must not overlap A or B, but A and B may overlap each other.
// Cost: 2 m n k flops per output matrix. Each entry is summed in blocks of 256 along the depth,
// and the AVX2/FMA clone rounds once per multiply-add, so results can differ from a plain float32
// loop by rounding.
void sgemm(const float* a, const float* b, float* c, std::ptrdiff_t aBatch, std::ptrdiff_t bBatch, std::ptrdiff_t m,
           std::ptrdiff_t n, std::ptrdiff_t k, bool transposeA, bool transposeB, int threads);

// Names the instruction set the product kernels were dispatched to on this CPU.
const char* instructionSet();

}  // namespace linalg

#endif
