import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

// TODO: placeholder until the table command is written.
export const command: CliCommand = {
  name: 'table',
  summary: '',
  usage: 'fragility-lab table',
  async run() {
    process.stderr.write('fragility-lab table is not implemented yet\n');
    return exitCodes.failure;
  },
};
