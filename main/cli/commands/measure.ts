import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

// TODO: placeholder until the measure command is written.
export const command: CliCommand = {
  name: 'measure',
  summary: '',
  usage: 'fragility-lab measure',
  async run() {
    process.stderr.write('fragility-lab measure is not implemented yet\n');
    return exitCodes.failure;
  },
};
