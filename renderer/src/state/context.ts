/** The app-wide objects that pages reach through Svelte context: the API client, router, theme and notices. */
import { getContext, setContext } from 'svelte';
import type { RendererApiClient } from '../lib/api.js';
import type { Notices } from './notices.svelte.js';
import type { Router } from './router.svelte.js';
import type { Theme } from './theme.svelte.js';

export interface AppContext {
  api: RendererApiClient;
  router: Router;
  theme: Theme;
  notices: Notices;
}

const key = Symbol('fragility-lab-app');

export function setAppContext(context: AppContext): void {
  setContext(key, context);
}

export function useAppContext(): AppContext {
  const context = getContext<AppContext | undefined>(key);
  if (context === undefined) throw new Error('useAppContext was called outside the App component');
  return context;
}
