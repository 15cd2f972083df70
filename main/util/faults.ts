/**
 * Fault injection for the crash-safety tests: a process started with
 * FRAGILITY_LAB_FAULTS="point:probability,..." kills itself with SIGKILL at the named points with
 * the given probability, drawn from a generator seeded by FRAGILITY_LAB_FAULT_SEED and the process
 * id. Without the variable every fault point does nothing.
 *
 * Points: `training` (between epochs), `measuring` (before the measures), `store-write` (inside the
 * transaction that stores a finished run, after its first statement). The point `out-of-memory`
 * throws the error a backend throws when its memory runs out, instead of killing the process.
 */
import { Rng } from './rng.js';

export type FaultPoint = 'training' | 'measuring' | 'store-write' | 'out-of-memory';

function parse(text: string | undefined): Map<string, number> {
  const points = new Map<string, number>();
  for (const part of (text ?? '').split(',')) {
    const [name, probability] = part.split(':');
    if (name !== undefined && name !== '' && probability !== undefined) points.set(name.trim(), Number(probability));
  }
  return points;
}

const configured = parse(process.env.FRAGILITY_LAB_FAULTS);
const rng = configured.size > 0 ? new Rng(process.env.FRAGILITY_LAB_FAULT_SEED ?? 0, process.pid) : undefined;

/** Kills this process at `point` when fault injection asks for it; otherwise returns at once. */
export function faultPoint(point: FaultPoint): void {
  if (rng === undefined) return;
  const probability = configured.get(point);
  if (probability === undefined || rng.nextFloat() >= probability) return;
  if (point === 'out-of-memory') throw new Error('Out of memory: failed to allocate 4294967296 bytes (injected fault)');
  process.kill(process.pid, 'SIGKILL');
}
