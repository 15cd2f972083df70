import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';
import { assertMatches, fragilityFixture, listLeaves, lookUp, readExpected } from './expectations.js';

/** Runs `fragility-lab ARGS` from the TypeScript sources in a child process. */
function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const script = "import { main } from './main/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const expected = readExpected();
const scratch = mkdtempSync(join(tmpdir(), 'fragility-analyze-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('analyze command', () => {
  test('text table of a study', () => {
    const result = runCli(['analyze', '--table', fragilityFixture('study_a.csv'), '--bootstrap', '200']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^study_a\.csv: 48 runs, 4 conditions, 5 measures, sizes m = 100, 300, 1000, 3000\./);
    assert.match(result.stdout, /alpha of test_error/);
    assert.match(result.stdout, /path_norm\s.*-0\.270 \[.*\] fragile/);
    assert.match(result.stdout, /Intervals: 95% bootstrap percentile intervals over seeds, 200 resamples, generator seed 0/);
  });

  test('JSON of the gap study', async (t) => {
    const study = expected.studies.study_c as Record<string, unknown>;
    const result = runCli(['analyze', '--table', fragilityFixture('study_c.csv'), '--target', 'gap', '--json', '--bootstrap', '100', '--seed', '3']);
    assert.equal(result.status, 0, result.stderr);
    const analysis = JSON.parse(result.stdout) as Record<string, unknown>;
    assert.deepEqual(analysis.bootstrap, { resamples: 100, seed: 3, confidence: 0.95 });
    for (const key of ['file', 'target', 'alpha', 'ecms', 'trend_flip', 'verdict', 'summary', 'kendall_tau_a']) {
      for (const leaf of listLeaves(study[key], [key])) {
        await t.test(`study_c ${leaf.path.join(' ')}`, () => assertMatches(lookUp(analysis, leaf.path), leaf));
      }
    }
  });

  test('threshold option changes verdicts', () => {
    const result = runCli(['analyze', '--table', fragilityFixture('study_a.csv'), '--threshold', '0.5', '--bootstrap', '0', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const analysis = JSON.parse(result.stdout) as { threshold: number; summary: Record<string, { fragile_count: number }> };
    assert.equal(analysis.threshold, 0.5);
    assert.equal(analysis.summary.path_norm!.fragile_count, 0);
  });

  test('ranking grid with axes', async (t) => {
    const ranking = expected.ranking as { targets: Record<string, unknown> };
    const result = runCli(['analyze', '--table', fragilityFixture('ranking.csv'), '--axes', 'lr,batch_size', '--json']);
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    for (const leaf of listLeaves(ranking.targets, ['targets'])) {
      await t.test(`ranking ${leaf.path.join(' ')}`, () => assertMatches(lookUp(report, leaf.path), leaf));
    }
  });

  test('ranking grid text', () => {
    const result = runCli(['analyze', '--table', fragilityFixture('ranking.csv'), '--axes', 'lr,batch_size', '--target', 'gap']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Target gap:/);
    assert.doesNotMatch(result.stdout, /Target test_error:/);
  });

  test('missing file names the path', () => {
    const path = join(scratch, 'absent.csv');
    const result = runCli(['analyze', '--table', path]);
    assert.equal(result.status, 1);
    assert.equal(result.stderr, `fragility-lab analyze: --table ${path}: file not found; check the path\n`);
  });

  test('bad option values name the value', () => {
    const table = fragilityFixture('study_a.csv');
    const cases: [string[], RegExp][] = [
      [['--threshold', 'abc'], /--threshold is "abc"; it must be a number/],
      [['--threshold=-1'], /--threshold is "-1"; it must be a number >= 0/],
      [['--threshold', '0'], /--threshold is "0"; it must be a number > 0/],
      [['--target', 'loss'], /--target is "loss"; it must be test_error or gap/],
      [['--bootstrap', '2.5'], /--bootstrap is "2.5"; it must be an integer >= 0/],
      [['--seed=-4'], /--seed is "-4"; it must be an integer >= 0/],
      [['--axes', ','], /--axes is ","; list the axis columns/],
    ];
    for (const [options, pattern] of cases) {
      const result = runCli(['analyze', '--table', table, ...options]);
      assert.equal(result.status, 2, `${options.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trim().split('\n').length, 1, `one line for ${options.join(' ')}`);
    }
  });

  test('missing table option', () => {
    const result = runCli(['analyze']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--table is required/);
  });

  test('malformed CSV names line and column', () => {
    const path = join(scratch, 'broken.csv');
    writeFileSync(path, 'condition,kind,m,seed,test_error,train_error,mu\nbaseline,baseline,100,0,0.2,0.1,x\n');
    const result = runCli(['analyze', '--table', path]);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      'fragility-lab analyze: broken.csv: line 2, column "mu": "x" is not a number; write a decimal number such as 0.25, or leave the field empty for a missing value\n',
    );
  });

  test('grid without axes explains the fix', () => {
    const result = runCli(['analyze', '--table', fragilityFixture('ranking.csv')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /ranking\.csv is not a study table .*pass --axes to read it as a ranking grid/);
  });

  test('study options rejected for a grid', () => {
    const result = runCli(['analyze', '--table', fragilityFixture('ranking.csv'), '--axes', 'lr,batch_size', '--threshold', '0.2']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--threshold applies to study tables only/);
  });
});
