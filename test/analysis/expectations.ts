/**
 * Helpers shared by the analysis tests: reading the fragility fixtures and comparing a computed
 * value with an expected one under the fixture tolerance |a - e| <= 1e-9 max(1, |e|), with
 * integers, booleans, strings and nulls compared exactly.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../helpers/paths.js';

export const tolerance = 1e-9;

/** Keys whose values are counts or sizes, compared exactly. */
const integerKeys = new Set(['m', 'n_valid', 'n_left_out', 'n_runs', 'fragile_count', 'pairs', 'sizes', 'left_out']);

export function fragilityFixture(name: string): string {
  return join(fixturesDir(), 'fragility', name);
}

export function readFragilityFixture(name: string): string {
  return readFileSync(fragilityFixture(name), 'utf8');
}

/** Reads the expected.json of the fragility fixtures, loosely typed because the tests walk it. */
export function readExpected(): { threshold: number; studies: Record<string, Record<string, unknown>>; ranking: Record<string, unknown> } {
  return JSON.parse(readFragilityFixture('expected.json'));
}

/** A leaf of an expected structure with the path of keys (and `m=...` for cells) that leads to it. */
export interface ExpectedLeaf {
  path: string[];
  expected: unknown;
  integer: boolean;
}

/** Lists the leaves of an expected structure; cells are named by their size instead of their index. */
export function listLeaves(value: unknown, path: string[] = [], integer = false): ExpectedLeaf[] {
  if (value === null || typeof value !== 'object') return [{ path, expected: value, integer }];
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => {
      const isCell = item !== null && typeof item === 'object' && 'm' in item;
      const label = isCell ? `m=${(item as { m: number }).m}` : String(index);
      return listLeaves(item, [...path, label], integer);
    });
  }
  return Object.entries(value).flatMap(([key, member]) => listLeaves(member, [...path, key], integer || integerKeys.has(key)));
}

/** Follows a leaf's path into a computed structure; cells are found by their size. */
export function lookUp(root: unknown, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current)) {
      current = key.startsWith('m=') ? current.find((cell: { m: number }) => `m=${cell.m}` === key) : current[Number(key)];
    } else {
      current = (current as Record<string, unknown>)[key];
    }
  }
  return current;
}

/** Asserts one computed value against its expected value under the fixture tolerance. */
export function assertMatches(actual: unknown, leaf: ExpectedLeaf): void {
  const where = leaf.path.join(' ');
  const { expected } = leaf;
  if (typeof expected === 'number' && !leaf.integer) {
    assert.equal(typeof actual, 'number', `${where}: expected a number, received ${JSON.stringify(actual)}`);
    const error = Math.abs((actual as number) - expected);
    const allowed = tolerance * Math.max(1, Math.abs(expected));
    assert.ok(error <= allowed, `${where}: received ${actual as number}, expected ${expected} (difference ${error} > ${allowed})`);
    return;
  }
  assert.deepEqual(actual, expected, `${where}: received ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
}

/** Asserts that an interval [low, high] contains a value. */
export function assertContains(interval: unknown, value: number, where: string): void {
  assert.ok(Array.isArray(interval), `${where}: expected an interval, received ${JSON.stringify(interval)}`);
  assert.equal(interval.length, 2, `${where}: an interval has two bounds`);
  const [low, high] = interval as [number, number];
  assert.ok(low <= value, `${where}: interval [${low}, ${high}] lies above ${value}`);
  assert.ok(value <= high, `${where}: interval [${low}, ${high}] lies below ${value}`);
}
