import { describe, test } from 'node:test';
import { analyzeStudy } from '../../main/analysis/analyze.js';
import type { StudyAnalysis } from '../../main/analysis/analyze.js';
import { parseRankingCsv, parseRunTableCsv } from '../../main/analysis/csv.js';
import { rankingStatistics } from '../../main/analysis/ranking.js';
import type { TargetKind } from '../../main/analysis/table.js';
import { assertMatches, listLeaves, lookUp, readExpected, readFragilityFixture } from './expectations.js';

const expected = readExpected();

for (const [study, expectedStudy] of Object.entries(expected.studies)) {
  describe(`fixture ${study}`, () => {
    const { file, ...keys } = expectedStudy as { file: string; target: TargetKind; threshold: number };
    let analysis: StudyAnalysis | undefined;
    const analyze = (): StudyAnalysis => {
      analysis ??= analyzeStudy(parseRunTableCsv(readFragilityFixture(file), { source: file }), {
        target: keys.target,
        threshold: keys.threshold,
      });
      return analysis;
    };

    for (const [key, value] of Object.entries(keys)) {
      test(`${study} ${key}`, async (t) => {
        for (const leaf of listLeaves(value, [key])) {
          await t.test(`${study} ${leaf.path.join(' ')}`, () => assertMatches(lookUp(analyze(), leaf.path), leaf));
        }
      });
    }
  });
}

describe('fixture ranking grid', () => {
  const ranking = expected.ranking as { file: string; axes: string[]; measures: string[]; targets: Record<string, unknown> };
  const grid = parseRankingCsv(readFragilityFixture(ranking.file), { source: ranking.file, axes: ranking.axes });

  test('ranking grid columns', async (t) => {
    await t.test('axes', () => assertMatches(grid.axes, { path: ['axes'], expected: ranking.axes, integer: false }));
    await t.test('measures', () => assertMatches(grid.measures, { path: ['measures'], expected: ranking.measures, integer: false }));
  });

  const targets = rankingStatistics(grid.runs, grid.axes, grid.measures);
  for (const [target, byMeasure] of Object.entries(ranking.targets)) {
    test(`ranking ${target}`, async (t) => {
      for (const leaf of listLeaves(byMeasure, [target])) {
        await t.test(`ranking ${leaf.path.join(' ')}`, () => assertMatches(lookUp(targets, leaf.path), leaf));
      }
    });
  }
});
