import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLabApp, rendererBuildDir } from '../../server/labApp.js';
import { startLabServer } from '../../server/server.js';
import { numberOption, parseOptions } from '../args.js';
import type { CliCommand } from '../command.js';
import { exitCodes } from '../command.js';

const usage = `Usage: fragility-lab serve [--port N] [--db FILE] [--host ADDRESS]

Serves the lab in a browser: the same app as the desktop window, over HTTP. It prints a URL with a
random token; only requests with that token are answered. On a headless workstation, forward the
port over SSH (ssh -L 8765:127.0.0.1:8765 workstation) and open the URL on your own machine.

Options:
  --port N        TCP port (default: 8765; 0 picks a free one)
  --db FILE       SQLite database (default: fragility-lab.sqlite)
  --host ADDRESS  address to listen on (default: 127.0.0.1, this machine only). Another address
                  exposes the lab to your network, protected by the token alone`;

export const command: CliCommand = {
  name: 'serve',
  summary: 'Serve the lab to a browser on this machine (for headless workstations)',
  usage,
  async run(args) {
    const { values } = parseOptions(args, { port: { type: 'string' }, db: { type: 'string' }, host: { type: 'string' } }, usage);
    const port = numberOption(values.port, '--port', { min: 0, max: 65535, integer: true }) ?? 8765;
    const dbPath = resolve(values.db ?? 'fragility-lab.sqlite');
    const { host, handlers } = createLabApp({ dbPath, settingsPath: join(homedir(), '.fragility-lab', 'settings.json') });
    const server = await startLabServer({ host, handlers, staticDir: rendererBuildDir(), port, ...(values.host === undefined ? {} : { bindAddress: values.host }) });
    if (values.host !== undefined && values.host !== '127.0.0.1' && values.host !== 'localhost') {
      process.stderr.write(`Warning: listening on ${values.host}; anyone who can reach it and has the token can use the lab.\n`);
    }
    process.stdout.write(`Fragility Lab is serving ${dbPath}\nOpen ${server.url}\nPress Ctrl-C to stop.\n`);

    await new Promise<void>((resolveStop) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stderr.write('Stopping: cancelling running studies...\n');
    await host.close();
    await server.close();
    return exitCodes.ok;
  },
};
