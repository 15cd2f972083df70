import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { commandLoaders } from '../../main/cli/commands/index.js';
import { main } from '../../main/cli/main.js';
import { findChromium } from '../../main/reports/index.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/temp.js';
import { parseRfc4180 } from './csvText.js';
import { writeCompleteStudy } from './studies.js';

const folder = tempDir('fragility-report-cli-');
let dbPath: string;

// The command's options are what these tests check; the report contents from a trained study are
// checked in model.test.ts and html.test.ts, so a study written through the Store API suffices here.
before(() => {
  dbPath = join(folder, 'complete.sqlite');
  writeCompleteStudy(dbPath);
});

/** Runs `fragility-lab ARGS` from the TypeScript sources in a child process. */
function runCli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const script = "import { main } from './main/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));";
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs `fragility-lab ARGS` in this process, which is much faster than a child process, and
 * collects what it writes to stderr. Only stderr is captured, because the test reporter writes
 * to stdout; the commands run this way write their reports to files. `env` is set for the call only.
 */
async function runMain(args: string[], env: Record<string, string> = {}): Promise<{ status: number; stderr: string }> {
  let stderr = '';
  const writeStderr = process.stderr.write.bind(process.stderr);
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  }) as typeof process.stderr.write;
  Object.assign(process.env, env);
  try {
    const status = await main(args);
    return { status, stderr };
  } finally {
    process.stderr.write = writeStderr;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

function chromiumSkip(): string | false {
  try {
    findChromium();
    return false;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('report command', () => {
  test('listed with its usage', async () => {
    const loader = commandLoaders.report;
    assert.ok(loader !== undefined, 'report is not in the command list');
    assert.match(loader.summary, /^Write a report of a stored study/);
    const { usage } = await loader.load();
    assert.match(usage, /--format FORMAT\s+html \(default\), pdf, csv, json or latex/);
    assert.match(usage, /--plots-dir DIR/);
    assert.match(usage, /rendered from the SVG by headless Chromium/);
  });

  test('CSV to standard output of the command', () => {
    const result = runCli(['report', '--db', dbPath, '--format', 'csv']);
    assert.equal(result.status, 0, result.stderr);
    const rows = parseRfc4180(result.stdout);
    assert.equal(rows.length, 19, 'header and 18 runs');
    assert.ok(rows[0]!.includes('path_norm_adjusted'));
  });

  test('JSON and LaTeX to files', async () => {
    for (const [format, name] of [
      ['json', 'report.json'],
      ['latex', 'report.tex'],
    ] as const) {
      const out = join(folder, name);
      const result = await runMain(['report', '--db', dbPath, '--study', 'complete', '--format', format, '--out', out]);
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`Wrote the ${format} report of study complete to `));
      assert.ok(existsSync(out), out);
    }
    const report = JSON.parse(readFileSync(join(folder, 'report.json'), 'utf8')) as { study: { id: string }; runs: unknown[] };
    assert.equal(report.study.id, 'complete');
    assert.equal(report.runs.length, 18);
    assert.match(readFileSync(join(folder, 'report.tex'), 'utf8'), /^% Fragility report of study complete/);
  });

  test('HTML with plots as SVG and PNG', { skip: chromiumSkip() }, async () => {
    const out = join(folder, 'report.html');
    const plots = join(folder, 'plots', 'nested');
    const result = await runMain(['report', '--db', dbPath, '--out', out, '--plots-dir', plots]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(readFileSync(out, 'utf8'), /^<!DOCTYPE html>/);
    const files = readdirSync(plots).sort();
    for (const id of ['curves-param_norm', 'curves-test_error', 'small-multiples']) {
      assert.ok(files.includes(`${id}.svg`), `${id}.svg`);
      assert.ok(files.includes(`${id}.png`), `${id}.png`);
    }
    assert.match(readFileSync(join(plots, 'small-multiples.svg'), 'utf8'), /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<svg xmlns=/);
    assert.equal(readFileSync(join(plots, 'small-multiples.png')).subarray(1, 4).toString('latin1'), 'PNG');
  });

  test('PDF needs --out', async () => {
    const result = await runMain(['report', '--db', dbPath, '--format', 'pdf']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--format pdf writes binary data; pass --out FILE\.pdf/);
  });

  test('unknown format names the choices', async () => {
    const result = await runMain(['report', '--db', dbPath, '--format', 'docx']);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /--format is "docx"; use html, pdf, csv, json, latex/);
  });

  test('missing output folder is reported', async () => {
    const result = await runMain(['report', '--db', dbPath, '--out', join(folder, 'absent', 'report.html')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /the folder .*absent does not exist; create it or pass another path/);
  });

  test('unknown study lists the studies', async () => {
    const result = await runMain(['report', '--db', dbPath, '--study', 'other']);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Study "other" is not in .*; the studies there are complete/);
  });

  test('bad Chromium path names the variable', async () => {
    const result = await runMain(['report', '--db', dbPath, '--format', 'pdf', '--out', join(folder, 'x.pdf')], { FRAGILITY_LAB_CHROMIUM: join(folder, 'no-such-browser') });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /FRAGILITY_LAB_CHROMIUM is ".*no-such-browser", which is not a file; set it to the path of a Chromium or Chrome executable/);
    assert.ok(!existsSync(join(folder, 'x.pdf')));
  });
});
