// Lint configuration. Beyond the recommended rules it enforces the process boundaries of the lab:
// the engine (main/, db/) never imports electron and logs only through its logger, and the
// renderer never imports Node modules, better-sqlite3 or TensorFlow.js.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'zlib', 'url'];

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'release/', 'node_modules/', 'renderer/dist/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/**/*.ts', 'db/**/*.ts'],
    rules: {
      'no-console': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The engine (main/, db/) runs outside Electron; only electron/ may import it.' }],
          patterns: [{ group: ['electron/*', '../electron/*', '../../electron/*'], message: 'The engine must not depend on the Electron shell.' }],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte', 'renderer/**/*.svelte.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'The renderer runs in a sandboxed page; reach the engine through the API client.' })),
            { name: 'better-sqlite3', message: 'The renderer reads data through the API client, never the database.' },
            { name: 'electron', message: 'The renderer reaches Electron only through the preload bridge.' },
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a sandboxed page; reach the engine through the API client.' },
            { group: ['@tensorflow/*'], message: 'Training and measures run in the lab worker, not in the renderer.' },
            { group: ['**/main/*', '!**/main/api/types*'], message: 'The renderer may import only the API types from main/.' },
          ],
        },
      ],
    },
  },
);
