/**
 * Errors that reach a user. Every error that crosses a process boundary (worker to host, engine to
 * renderer over IPC or HTTP) travels as plain data, `LabErrorData`, so that it survives structured
 * cloning and JSON. The message names the value at fault and the fix; stack traces stay in the log.
 */

export type LabErrorKind =
  | 'invalid-input' // a study spec, a command-line option or an API payload failed validation
  | 'invalid-file' // a data, model or array file is malformed
  | 'not-found' // a file, study or run does not exist
  | 'storage' // the database cannot be opened, read or written
  | 'unsupported' // the request is valid but the lab cannot do it (architecture, task, backend)
  | 'resource' // not enough memory or disk for the request
  | 'cancelled' // the user stopped the work
  | 'internal'; // a bug: anything not foreseen above

export interface LabErrorData {
  kind: LabErrorKind;
  message: string;
  /** Dotted path of the offending field, for validation errors (`training.learningRate`). */
  field?: string;
}

export class LabError extends Error {
  readonly kind: LabErrorKind;
  readonly field: string | undefined;

  constructor(kind: LabErrorKind, message: string, options: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'LabError';
    this.kind = kind;
    this.field = options.field;
  }

  toData(): LabErrorData {
    return this.field === undefined
      ? { kind: this.kind, message: this.message }
      : { kind: this.kind, message: this.message, field: this.field };
  }
}

/** Converts anything thrown into plain error data; unforeseen errors become kind `internal`. */
export function toErrorData(error: unknown): LabErrorData {
  if (error instanceof LabError) return error.toData();
  if (isLabErrorData(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'internal', message };
}

export function isLabErrorData(value: unknown): value is LabErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LabErrorData).kind === 'string' &&
    typeof (value as LabErrorData).message === 'string'
  );
}

/** Rebuilds a LabError on the receiving side of a process boundary. */
export function fromErrorData(data: LabErrorData): LabError {
  return new LabError(data.kind, data.message, data.field === undefined ? {} : { field: data.field });
}
