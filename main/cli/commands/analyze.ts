import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

// TODO: placeholder until the analyze command is written.
export const command: CliCommand = {
  name: 'analyze',
  summary: '',
  usage: 'fragility-lab analyze',
  async run() {
    process.stderr.write('fragility-lab analyze is not implemented yet\n');
    return exitCodes.failure;
  },
};
