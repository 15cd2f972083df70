/**
 * The preload of the lab window. It runs sandboxed and exposes one object, `window.fragilityLab`,
 * through the context bridge; `preloadApi.ts` contains the logic. `npm run build:electron` bundles
 * this entry into dist/electron/preload.cjs with esbuild, since a sandboxed preload must be a
 * single CommonJS script.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { exposeLabApi } from './preloadApi.js';

exposeLabApi(contextBridge, ipcRenderer);
