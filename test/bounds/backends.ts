/**
 * The linear-algebra backends that the bound tests run on. The native one is skipped, with the
 * loader's reason, when the addon of native/linalg is not built.
 */
import type { LinalgBackend } from '../../main/bounds/linalg.js';
import { defaultLinalgAddon, type LinalgAddon } from '../../main/bounds/nativeLinalg.js';

const load = defaultLinalgAddon();

/** The loaded addon, or undefined when it is not built. */
export const nativeAddon: LinalgAddon | undefined = load.addon;

/** `skip` option of the native-only tests: false when the addon loaded, else the reason. */
export const nativeSkip: false | string = load.addon === undefined ? `native addon unavailable: ${load.reason}` : false;

export interface BackendCase {
  linalg: LinalgBackend;
  skip: false | string;
}

/** Both backends, each with its `skip` option. */
export const backendCases: readonly BackendCase[] = [
  { linalg: 'js', skip: false },
  { linalg: 'native', skip: nativeSkip },
];
