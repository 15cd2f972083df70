/** The shape every `fragility-lab` subcommand module exports as `command`. */
export interface CliCommand {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Full usage text printed by `fragility-lab help NAME` and after a usage error. */
  usage: string;
  /** Runs the command with the arguments after its name; resolves to the process exit code. */
  run(args: string[]): Promise<number>;
}

/** Exit codes shared by every command. */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 2,
} as const;
