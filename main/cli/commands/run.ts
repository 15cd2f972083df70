import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

// TODO: placeholder until the run command is written.
export const command: CliCommand = {
  name: 'run',
  summary: '',
  usage: 'fragility-lab run',
  async run() {
    process.stderr.write('fragility-lab run is not implemented yet\n');
    return exitCodes.failure;
  },
};
