// Lint configuration. Beyond the recommended rules it enforces the process boundaries of the lab:
// the engine (main/, db/) never imports electron and logs only through its logger, and the
// renderer never imports Node modules, better-sqlite3 or TensorFlow.js.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'zlib', 'url'];

export default tseslint.config(
  { ignores: ['dist/', 'out/', 'release/', 'node_modules/', 'renderer/dist/', '.tmp/', 'renderer/**/*.svelte'] },
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
    files: ['electron/**/*.ts'],
    rules: { 'no-console': 'error' },
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
    // .svelte files need svelte-eslint-parser, which is not installed; test/e2e/rendererImports.test.ts
    // checks their imports instead. The Vite and Svelte configs run in Node at build time.
    files: ['renderer/**/*.ts', 'renderer/**/*.svelte.ts'],
    ignores: ['renderer/vite.config.ts', 'renderer/svelte.config.js'],
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
            // A regex, because a gitignore-style negation cannot re-include a file under an excluded folder.
            { regex: '(^|/)main/(?!api/types(\\.js)?$)', message: 'The renderer may import only the API types from main/.' },
          ],
        },
      ],
    },
  },
);
