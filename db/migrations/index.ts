import { migration as initial } from './001_initial.js';
import { migration as bounds } from './002_bounds.js';
import type { Migration } from './types.js';

/** Every migration in order; a new one is appended, never inserted or edited once released. */
export const migrations: readonly Migration[] = [initial, bounds];

export const latestSchemaVersion = migrations.length;
