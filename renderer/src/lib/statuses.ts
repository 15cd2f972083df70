/** Run statuses as the app names and groups them. */
import type { RunStatus } from '../../../main/api/types.js';

export const runStatuses: readonly RunStatus[] = ['pending', 'running', 'fit', 'did_not_fit', 'diverged', 'failed', 'interrupted'];

/** Statuses of a run whose training ended and whose results are stored. */
export const finishedStatuses: readonly RunStatus[] = ['fit', 'did_not_fit', 'diverged'];

export const statusLabels: Record<RunStatus, string> = {
  pending: 'pending',
  running: 'running',
  fit: 'fit the training set',
  did_not_fit: 'did not fit',
  diverged: 'diverged',
  failed: 'failed',
  interrupted: 'interrupted',
};

/** A one-character mark drawn on a run cell, so that a status never depends on colour alone. */
export const statusMarks: Record<RunStatus, string> = {
  pending: '',
  running: '\u25b8',
  fit: '',
  did_not_fit: '\u2013',
  diverged: '!',
  failed: '\u00d7',
  interrupted: '?',
};

export function isFinished(status: RunStatus): boolean {
  return finishedStatuses.includes(status);
}
