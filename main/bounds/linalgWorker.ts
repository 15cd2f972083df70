/**
 * Entry point of a linear-algebra worker thread: runs each posted task of `linalgOps.ts` on the
 * shared matrices and replies with the task id, or with the error message when the task threw.
 */
import { parentPort } from 'node:worker_threads';
import { runTask } from './executors.js';
import type { LinalgTask } from './linalg.js';

interface TaskMessage {
  id: number;
  op: LinalgTask['op'];
  args: LinalgTask['args'];
}

parentPort?.on('message', (message: TaskMessage) => {
  try {
    runTask({ op: message.op, args: message.args } as LinalgTask);
    parentPort?.postMessage({ id: message.id });
  } catch (error) {
    parentPort?.postMessage({ id: message.id, error: error instanceof Error ? error.message : String(error) });
  }
});
