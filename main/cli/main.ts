/**
 * The `fragility-lab` command line: `fragility-lab COMMAND [OPTIONS]`. Errors meant for the user
 * (LabError) print as one line without a stack trace; anything else is a bug and prints in full.
 */
import { LabError } from '../util/errors.js';
import { setLogLevel } from '../util/log.js';
import { exitCodes } from './command.js';
import { commandLoaders } from './commands/index.js';

function overview(): string {
  const width = Math.max(...Object.keys(commandLoaders).map((name) => name.length));
  const lines = Object.entries(commandLoaders).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return [
    'Usage: fragility-lab COMMAND [OPTIONS]',
    '',
    'Audit generalization measures of deep networks for fragility.',
    '',
    'Commands:',
    ...lines,
    '',
    'Run "fragility-lab help COMMAND" for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  // The terminal shows warnings and errors unless FRAGILITY_LAB_LOG_LEVEL asks for more.
  if (process.env.FRAGILITY_LAB_LOG_LEVEL === undefined) setLogLevel('warn');
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(`${overview()}\n`);
    return name === undefined ? exitCodes.usage : exitCodes.ok;
  }
  if (name === 'help') {
    const topic = rest[0];
    const loader = topic === undefined ? undefined : commandLoaders[topic];
    process.stdout.write(`${loader === undefined ? overview() : (await loader.load()).usage}\n`);
    return exitCodes.ok;
  }
  const loader = commandLoaders[name];
  if (loader === undefined) {
    process.stderr.write(`fragility-lab: unknown command "${name}".\n\n${overview()}\n`);
    return exitCodes.usage;
  }

  const command = await loader.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return exitCodes.ok;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof LabError) {
      process.stderr.write(`fragility-lab ${name}: ${error.message}\n`);
      return error.kind === 'invalid-input' ? exitCodes.usage : exitCodes.failure;
    }
    throw error;
  }
}
