/** Timing helpers for state classes. */

export interface Debounced {
  (): void;
  cancel(): void;
}

/** Calls `action` once `delayMs` after the last call, so that a burst of triggers runs it once. */
export function debounce(action: () => void, delayMs: number): Debounced {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const debounced = (() => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      action();
    }, delayMs);
  }) as Debounced;
  debounced.cancel = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  return debounced;
}
