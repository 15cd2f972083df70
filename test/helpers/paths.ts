import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Folder of the reference fixtures: FRAGILITY_LAB_FIXTURES, else ../shared/fixtures beside the
 * checkout, where CI places them.
 */
export function fixturesDir(): string {
  const folder = process.env.FRAGILITY_LAB_FIXTURES ?? join(repoRoot, '..', 'shared', 'fixtures');
  if (!existsSync(folder)) {
    throw new Error(`Fixture folder ${folder} not found; set FRAGILITY_LAB_FIXTURES to the fixtures folder`);
  }
  return folder;
}
