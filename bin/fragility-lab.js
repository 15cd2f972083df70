#!/usr/bin/env node
// Entry point of the `fragility-lab` command. It runs the compiled CLI from dist/, which
// `npm ci` (through the `prepare` script) or `npm run build` produces.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliPath = fileURLToPath(new URL('../dist/main/cli/main.js', import.meta.url));
if (!existsSync(cliPath)) {
  process.stderr.write(`fragility-lab: ${cliPath} is missing. Run "npm run build" in the project folder first.\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(cliPath).href);
process.exitCode = await main(process.argv.slice(2));
