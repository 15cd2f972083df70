/**
 * The operations a linear-algebra task may name, shared by the inline executor and the worker
 * threads. Each takes plain data (typed arrays, views, numbers) and index ranges, so that it can
 * be posted to a worker and run there on shared memory.
 */
import { addProductNT, mirrorLowerRows, solveAndPackPanelRows, solveRowsLowerTransposed, solveRowsLowerTransposedBlocked } from './dense.js';
import { covarianceRows, epColumnsBelowBlock, epTrailingUpdateRows, formBRows, posteriorVarianceRows, solveCovarianceFactorRows } from './epTasks.js';
import { fcKernelRows } from './fcKernel.js';

export const linalgOps = {
  addProductNT,
  mirrorLowerRows,
  solveRowsLowerTransposed,
  solveAndPackPanelRows,
  solveRowsLowerTransposedBlocked,
  formBRows,
  solveCovarianceFactorRows,
  covarianceRows,
  posteriorVarianceRows,
  epColumnsBelowBlock,
  epTrailingUpdateRows,
  fcKernelRows,
};
