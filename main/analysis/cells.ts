/**
 * Learning-curve cells: for a quantity X, a condition C and a training-set size m, the plotted
 * value x_C(m) = mean over the valid runs of log10 X_{C,m,s}. A run is valid when X is present
 * and, for a quantity not stored as a logarithm, positive. A cell without a valid run has x = null.
 */
import { buildGrid } from './design.js';
import type { Grid, StudyDesign } from './design.js';
import { mean } from './statistics.js';
import { plottedLog10, quantityValue } from './table.js';
import type { RunTable } from './table.js';

/** The plotted values of every cell, kept per run so that the bootstrap can resample them. */
export interface CellSamples {
  /** values[quantity][condition][size index]: log10 X of the valid runs, in table order. */
  values: Grid<number[][]>;
  /** leftOut[quantity][condition][size index]: runs of the cell whose X is missing or not positive. */
  leftOut: Grid<number[]>;
  /** runCounts[condition][size index]: runs of the cell, valid or not. */
  runCounts: Record<string, number[]>;
}

/** x per quantity, condition and size index; null for a cell without a valid run. */
export type CellMeans = Grid<(number | null)[]>;

/** A cell as reports show it. */
export interface Cell {
  m: number;
  x: number | null;
  n_valid: number;
  n_left_out: number;
}

/** Sorts the runs of a table into cells and converts each value to its plotted log10. */
export function collectCellSamples(table: RunTable, design: StudyDesign): CellSamples {
  const sizeIndex = new Map(design.sizes.map((m, index) => [m, index]));
  const emptyLists = (): number[][] => design.sizes.map(() => []);
  const zeros = (): number[] => design.sizes.map(() => 0);
  const values = buildGrid(design.quantities, design.conditions, emptyLists);
  const leftOut = buildGrid(design.quantities, design.conditions, zeros);
  const runCounts: Record<string, number[]> = {};
  for (const condition of design.conditions) runCounts[condition] = zeros();

  for (const run of table.runs) {
    const index = sizeIndex.get(run.m)!;
    runCounts[run.condition]![index]! += 1;
    for (const quantity of design.quantities) {
      const plotted = plottedLog10(quantity, quantityValue(run, quantity, design.target));
      if (plotted === null) leftOut[quantity]![run.condition]![index]! += 1;
      else values[quantity]![run.condition]![index]!.push(plotted);
    }
  }
  return { values, leftOut, runCounts };
}

/** Returns x for every cell: the mean of its valid plotted values, or null when it has none. */
export function computeCellMeans(samples: CellSamples): CellMeans {
  const means: CellMeans = {};
  for (const [quantity, byCondition] of Object.entries(samples.values)) {
    const row: Record<string, (number | null)[]> = {};
    for (const [condition, cells] of Object.entries(byCondition)) {
      row[condition] = cells.map((valid) => (valid.length === 0 ? null : mean(valid)));
    }
    means[quantity] = row;
  }
  return means;
}

/** Returns the cells of every quantity and condition in report form, one entry per size. */
export function describeCells(samples: CellSamples, means: CellMeans, design: StudyDesign): Grid<Cell[]> {
  return buildGrid(design.quantities, design.conditions, (quantity, condition) =>
    design.sizes.map((m, index) => ({
      m,
      x: means[quantity]![condition]![index]!,
      n_valid: samples.values[quantity]![condition]![index]!.length,
      n_left_out: samples.leftOut[quantity]![condition]![index]!,
    })),
  );
}

/** Returns the runs left out of each quantity's learning curve, per condition, over all sizes. */
export function countLeftOut(samples: CellSamples, design: StudyDesign): Grid<number> {
  return buildGrid(design.quantities, design.conditions, (quantity, condition) =>
    samples.leftOut[quantity]![condition]!.reduce((total, count) => total + count, 0),
  );
}

/** Returns the measures without a single valid value in any run of the study. */
export function findEmptyMeasures(samples: CellSamples, design: StudyDesign): string[] {
  return design.measures.filter((measure) =>
    design.conditions.every((condition) => samples.values[measure]![condition]!.every((valid) => valid.length === 0)),
  );
}
