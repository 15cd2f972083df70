/**
 * The renderer's process boundary for .svelte files: ESLint checks the .ts files of renderer/, but
 * it cannot parse .svelte components without svelte-eslint-parser, so this test reads their
 * imports. A component may import svelte, d3 and the renderer's own modules, and from main/ only
 * the API types; never Node built-ins, electron, better-sqlite3 or TensorFlow.js.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../helpers/paths.js';

function svelteFiles(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return svelteFiles(path);
    return name.endsWith('.svelte') ? [path] : [];
  });
}

/** Module specifiers of the import statements in a component's script blocks. */
function importedModules(source: string): string[] {
  const scripts = [...source.matchAll(/<script[^>]*>([\s\S]*?)<\/script>/g)].map((match) => match[1] ?? '');
  return scripts.flatMap((script) => [...script.matchAll(/\bimport\s+(?:type\s+)?(?:[\s\S]*?\sfrom\s+)?['"]([^'"]+)['"]/g)].map((match) => match[1]!));
}

function whyForbidden(specifier: string): string | null {
  if (specifier.startsWith('node:')) return 'a Node built-in';
  if (['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'zlib', 'url'].includes(specifier)) return 'a Node built-in';
  if (specifier === 'electron' || specifier.startsWith('electron/')) return 'Electron';
  if (specifier === 'better-sqlite3') return 'the database driver';
  if (specifier.startsWith('@tensorflow/')) return 'TensorFlow.js';
  if (/(^|\/)main\//.test(specifier) && !/(^|\/)main\/api\/types(\.js)?$/.test(specifier)) return 'an engine module other than main/api/types';
  return null;
}

test('svelte components import no engine code', () => {
  const files = svelteFiles(join(repoRoot, 'renderer', 'src'));
  assert.ok(files.length > 10, `expected the renderer's components, found ${files.length}`);
  const violations: string[] = [];
  for (const file of files) {
    for (const specifier of importedModules(readFileSync(file, 'utf8'))) {
      const reason = whyForbidden(specifier);
      if (reason !== null) violations.push(`${relative(repoRoot, file)} imports ${specifier} (${reason})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('import check catches forbidden modules', () => {
  const source = `<script lang="ts">\n  import { readFileSync } from 'node:fs';\n  import type { LabHost } from '../../../main/api/host.js';\n  import type { LabApiMethod } from '../../../main/api/types.js';\n</script>`;
  const reasons = importedModules(source).map(whyForbidden);
  assert.deepEqual(reasons, ['a Node built-in', 'an engine module other than main/api/types', null]);
});
