import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCsvText, parseRankingCsv, parseRunTableCsv } from '../../main/analysis/csv.js';
import { LabError } from '../../main/util/errors.js';

const header = 'condition,kind,m,seed,test_error,train_error,path_norm,log_prod_of_spec';
const goodRow = 'baseline,baseline,100,0,0.25,0.05,6.3,-0.57';

function study(...rows: string[]): string {
  return [header, ...rows].join('\n');
}

/** Asserts that parsing raises an invalid-file LabError whose message matches every pattern. */
function assertRejects(text: string, patterns: RegExp[], axes: string[] = []): void {
  assert.throws(
    () => parseRunTableCsv(text, { source: 'runs.csv', axes }),
    (error: unknown) => {
      assert.ok(error instanceof LabError, `expected a LabError, received ${String(error)}`);
      assert.equal(error.kind, 'invalid-file');
      assert.match(error.message, /^runs\.csv: /);
      for (const pattern of patterns) assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('study table CSV', () => {
  test('parses values and missing fields', () => {
    const table = parseRunTableCsv(study(goodRow, 'lr_x10,hyperparameter,300,2,0.2,,,-0.7'));
    assert.deepEqual(table.measures, ['path_norm', 'log_prod_of_spec']);
    assert.equal(table.runs.length, 2);
    assert.deepEqual(table.runs[0], {
      condition: 'baseline',
      kind: 'baseline',
      m: 100,
      seed: 0,
      testError: 0.25,
      trainError: 0.05,
      measures: { path_norm: 6.3, log_prod_of_spec: -0.57 },
    });
    assert.equal(table.runs[1]!.trainError, null);
    assert.equal(table.runs[1]!.measures.path_norm, null);
  });

  test('accepts CRLF, BOM and blank lines', () => {
    const table = parseRunTableCsv(`\uFEFF${header}\r\n${goodRow}\r\n\r\n`);
    assert.equal(table.runs.length, 1);
    assert.equal(table.runs[0]!.measures.log_prod_of_spec, -0.57);
  });

  test('axis columns become settings', () => {
    const table = parseRunTableCsv('condition,kind,m,seed,test_error,train_error,lr,optimizer,mu\nbaseline,baseline,100,0,0.2,0.1,0.01,sgd,1', {
      axes: ['lr', 'optimizer'],
    });
    assert.deepEqual(table.measures, ['mu']);
    assert.deepEqual(table.runs[0]!.settings, { lr: 0.01, optimizer: 'sgd' });
  });

  test('rejects wrong field count', () => {
    assertRejects(study(goodRow, 'baseline,baseline,300,0,0.2,0.1,5'), [/line 3 has 7 fields/, /header has 8 columns/]);
  });

  test('rejects non-numeric value', () => {
    assertRejects(study('baseline,baseline,100,0,0.25,0.05,abc,-0.57'), [/line 2, column "path_norm"/, /"abc" is not a number/, /leave the field empty/]);
  });

  test('rejects NaN and infinity', () => {
    assertRejects(study('baseline,baseline,100,0,NaN,0.05,6,-0.57'), [/column "test_error"/, /"NaN" is not a number/]);
    assertRejects(study('baseline,baseline,100,0,0.2,0.05,Infinity,-0.57'), [/column "path_norm"/]);
  });

  test('rejects unknown kind', () => {
    assertRejects(study('baseline,control,100,0,0.25,0.05,6,-0.57'), [/line 2, column "kind"/, /"control"/, /baseline, hyperparameter or data/]);
  });

  test('rejects bad training-set size', () => {
    assertRejects(study('baseline,baseline,0,0,0.25,0.05,6,-0.57'), [/column "m"/, /"0" is not a positive integer/]);
    assertRejects(study('baseline,baseline,1e3,0,0.25,0.05,6,-0.57'), [/column "m"/, /"1e3"/]);
    assertRejects(study('baseline,baseline,,0,0.25,0.05,6,-0.57'), [/column "m": is empty/]);
  });

  test('rejects non-integer seed', () => {
    assertRejects(study('baseline,baseline,100,1.5,0.25,0.05,6,-0.57'), [/column "seed"/, /"1.5" is not an integer/]);
  });

  test('rejects missing column', () => {
    assertRejects('condition,kind,m,test_error,train_error,mu\nbaseline,baseline,100,0.2,0.1,1', [/column "seed" is missing/]);
  });

  test('rejects missing axis column', () => {
    assertRejects(study(goodRow), [/axis "lr" has no column/], ['lr']);
  });

  test('rejects repeated column', () => {
    assertRejects(`${header},path_norm\n${goodRow},1`, [/column "path_norm" appears twice/, /columns 7 and 9/]);
  });

  test('rejects empty column name', () => {
    assertRejects(`${header},\n${goodRow},1`, [/line 1, column 9 of the header is empty/]);
  });

  test('rejects repeated run', () => {
    assertRejects(study(goodRow, goodRow), [/line 3 repeats the run of line 2/, /seed 0/]);
  });

  test('rejects two kinds for a condition', () => {
    assertRejects(study(goodRow, 'baseline,data,300,0,0.2,0.05,6,-0.57'), [/line 3, column "kind"/, /given to "baseline" on line 2/]);
  });

  test('rejects quoted fields', () => {
    assertRejects(study('"baseline",baseline,100,0,0.25,0.05,6,-0.57'), [/line 2 contains a quote/]);
  });

  test('rejects empty file', () => {
    assertRejects('', [/the file is empty/]);
    assertRejects('\n\n', [/the file is empty/]);
  });

  test('rejects header without rows', () => {
    assertRejects(`${header}\n`, [/header but no rows/]);
  });

  test('shape error names source and line', () => {
    try {
      parseCsvText('a,b\n1', 'x.csv');
      assert.fail('expected an error');
    } catch (error) {
      assert.ok(error instanceof LabError);
      assert.match(error.message, /^x\.csv: line 2 has 1 fields/);
    }
  });
});

describe('ranking grid CSV', () => {
  const grid = 'run,lr,batch_size,test_error,train_error,mu\n1,0.01,32,0.12,0.01,0.5\n2,0.01,128,0.13,,0.55';

  test('parses settings and measures', () => {
    const table = parseRankingCsv(grid, { axes: ['lr', 'batch_size'] });
    assert.deepEqual(table.measures, ['mu']);
    assert.deepEqual(table.runs[1], { id: '2', settings: { lr: 0.01, batch_size: 128 }, testError: 0.13, trainError: null, measures: { mu: 0.55 } });
  });

  test('rejects empty setting', () => {
    assert.throws(
      () => parseRankingCsv(`${grid}\n3,,32,0.1,0.01,0.4`, { axes: ['lr', 'batch_size'], source: 'grid.csv' }),
      (error: unknown) => error instanceof LabError && /grid\.csv: line 4, column "lr": is empty/.test(error.message),
    );
  });

  test('rejects repeated run id', () => {
    assert.throws(
      () => parseRankingCsv(`${grid}\n2,0.1,32,0.1,0.01,0.4`, { axes: ['lr', 'batch_size'] }),
      (error: unknown) => error instanceof LabError && /run id "2" is also used on line 3/.test(error.message),
    );
  });

  test('rejects missing axis', () => {
    assert.throws(
      () => parseRankingCsv(grid, { axes: ['momentum'] }),
      (error: unknown) => error instanceof LabError && /axis "momentum" has no column/.test(error.message),
    );
  });
});
