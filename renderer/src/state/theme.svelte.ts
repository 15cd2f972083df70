/** The colour theme: the system's (prefers-color-scheme) unless the user chose one, kept in localStorage. */
export type ThemeChoice = 'system' | 'light' | 'dark';

const storageKey = 'fragility-lab-theme';

function readChoice(): ThemeChoice {
  try {
    const stored = window.localStorage.getItem(storageKey);
    return stored === 'light' || stored === 'dark' ? stored : 'system';
  } catch {
    return 'system';
  }
}

export class Theme {
  choice = $state<ThemeChoice>(readChoice());
  private systemDark = $state(false);
  /** The theme in effect once the system preference is applied. */
  readonly effective = $derived.by<'light' | 'dark'>(() => {
    if (this.choice !== 'system') return this.choice;
    return this.systemDark ? 'dark' : 'light';
  });

  constructor() {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    this.systemDark = query.matches;
    query.addEventListener('change', (event) => {
      this.systemDark = event.matches;
      this.apply();
    });
    this.apply();
  }

  choose(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      if (choice === 'system') window.localStorage.removeItem(storageKey);
      else window.localStorage.setItem(storageKey, choice);
    } catch {
      // Without storage the choice lasts until the page closes.
    }
    this.apply();
  }

  /** Sets data-theme on the root element, which the stylesheet's colour variables key on. */
  private apply(): void {
    document.documentElement.dataset.theme = this.effective;
  }
}
