/**
 * The reason that an intermediate quantity (a folded network, the margin, a sigma) cannot be
 * computed. Measures that depend on it become `{ missing: reason }` instead of 0, NaN or Infinity.
 */
export class Unavailable {
  constructor(readonly reason: string) {}
}

/** A value, or the reason it cannot be computed. */
export type Available<T> = T | Unavailable;

export function isUnavailable(value: unknown): value is Unavailable {
  return value instanceof Unavailable;
}
