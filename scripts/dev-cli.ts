/** Runs the CLI from the TypeScript sources, without building: npx tsx scripts/dev-cli.ts COMMAND ... */
import { main } from '../main/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
