import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];

// Removed when the test file's process exits, so that a folder made in a before() hook outlives
// the hook (an after() registered there would run as soon as the hook ends).
process.on('exit', () => {
  for (const folder of created) rmSync(folder, { recursive: true, force: true });
});

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(prefix = 'fragility-lab-test-'): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  created.push(folder);
  return folder;
}
