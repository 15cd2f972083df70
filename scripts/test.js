#!/usr/bin/env node
// Runs the test suite with Node's test runner on the TypeScript sources (through tsx).
// Usage: node scripts/test.js [substring ...]  runs only the test files whose path contains a substring.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

function findTests(folder) {
  const found = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = findTests('test')
  .map((path) => relative('.', path))
  .filter((path) => filters.length === 0 || filters.some((filter) => path.includes(filter)))
  .sort();
if (files.length === 0) {
  process.stderr.write(`No test file matches ${filters.join(', ')}.\n`);
  process.exit(1);
}

// Workers start from the compiled engine (a third of the start-up time of the TypeScript sources
// through tsx), so the engine is compiled first.
// Setting FRAGILITY_LAB_WORKER_ENTRY (to main/studies/worker.ts, say) skips this step.
if (process.env.FRAGILITY_LAB_WORKER_ENTRY === undefined) {
  const build = spawnSync('npm', ['run', '--silent', 'build:engine'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files],
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      FRAGILITY_LAB_LOG_LEVEL: process.env.FRAGILITY_LAB_LOG_LEVEL ?? 'warn',
      FRAGILITY_LAB_WORKER_ENTRY: process.env.FRAGILITY_LAB_WORKER_ENTRY ?? resolve('dist/main/studies/worker.js'),
    },
  },
);
process.exit(result.status ?? 1);
