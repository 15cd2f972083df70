import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

// TODO: placeholder until the bound command is written.
export const command: CliCommand = {
  name: 'bound',
  summary: '',
  usage: 'fragility-lab bound',
  async run() {
    process.stderr.write('fragility-lab bound is not implemented yet\n');
    return exitCodes.failure;
  },
};
