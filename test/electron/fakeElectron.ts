/**
 * A stand-in for the `electron` module, with the members electron/main.ts uses, so that the entry
 * file can run in plain Node. main.test.ts maps the `electron` import to this file; what the app
 * does with each member is kept in `recorded`.
 */
import { EventEmitter } from 'node:events';
import { FakeIpcMain, FakeWebContents } from './fakes.js';

export const recorded = {
  userData: '',
  privilegedSchemes: [] as unknown[],
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  menuTemplate: undefined as unknown,
  windows: [] as FakeBrowserWindow[],
  errorBoxes: [] as { title: string; content: string }[],
  quitCalls: 0,
  exitCodes: [] as number[],
  permissionRequestHandler: undefined as ((webContents: unknown, permission: string, callback: (granted: boolean) => void) => void) | undefined,
  permissionCheckHandler: undefined as ((webContents: unknown, permission: string) => boolean) | undefined,
};

class FakeApp extends EventEmitter {
  isPackaged = false;
  private readonly paths = new Map<string, string>();
  private name = 'fragility-lab';
  private resolveReady: () => void = () => undefined;
  private readonly ready = new Promise<void>((resolve) => {
    this.resolveReady = resolve;
  });

  setName(name: string): void {
    this.name = name;
  }
  getName(): string {
    return this.name;
  }
  setPath(name: string, path: string): void {
    this.paths.set(name, path);
    if (name === 'userData') recorded.userData = path;
  }
  getPath(name: string): string {
    const path = this.paths.get(name);
    if (path === undefined) throw new Error(`fake electron: no path set for ${name}`);
    return path;
  }
  getVersion(): string {
    return '0.1.0';
  }
  getAppPath(): string {
    return process.cwd();
  }
  requestSingleInstanceLock(): boolean {
    return true;
  }
  whenReady(): Promise<void> {
    return this.ready;
  }
  /** Resolves `whenReady`, as Electron does once it has started. */
  becomeReady(): void {
    this.resolveReady();
  }
  quit(): void {
    recorded.quitCalls += 1;
    const event = { defaultPrevented: false, preventDefault: () => (event.defaultPrevented = true) };
    this.emit('before-quit', event);
  }
  exit(code: number): void {
    recorded.exitCodes.push(code);
  }
}

export const app = new FakeApp();

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents('');
  loadedUrls: string[] = [];
  reloads = 0;

  constructor(readonly options: { webPreferences: Record<string, unknown> } & Record<string, unknown>) {
    super();
    recorded.windows.push(this);
    Object.assign(this.webContents, { reload: () => (this.reloads += 1) });
  }
  static getFocusedWindow(): FakeBrowserWindow | null {
    return null;
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrls.push(url);
    this.webContents.url = url;
  }
  isMinimized(): boolean {
    return false;
  }
  restore(): void {}
  focus(): void {}
  show(): void {}
}

export const BrowserWindow = FakeBrowserWindow;

export const ipcMain = new FakeIpcMain();

export const protocol = {
  registerSchemesAsPrivileged(schemes: unknown[]): void {
    recorded.privilegedSchemes.push(...schemes);
  },
};

class FakeSession extends EventEmitter {
  readonly protocol = {
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) => {
      recorded.protocolHandlers.set(scheme, handler);
    },
  };
  readonly webRequest = {
    onBeforeRequest: () => undefined,
    onHeadersReceived: () => undefined,
  };
  setPermissionRequestHandler(handler: typeof recorded.permissionRequestHandler): void {
    recorded.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: typeof recorded.permissionCheckHandler): void {
    recorded.permissionCheckHandler = handler;
  }
}

export const session = { defaultSession: new FakeSession() };

export const Menu = {
  buildFromTemplate: (template: unknown) => template,
  setApplicationMenu: (menu: unknown) => {
    recorded.menuTemplate = menu;
  },
};

export const dialog = {
  showErrorBox: (title: string, content: string) => {
    recorded.errorBoxes.push({ title, content });
  },
  showOpenDialog: async () => ({ canceled: true, filePaths: [] }),
  showSaveDialog: async () => ({ canceled: true, filePath: '' }),
  showMessageBox: async () => ({ response: 1 }),
};

export const shell = {
  openExternal: async () => undefined,
  openPath: async () => '',
};

export const utilityProcess = {
  fork: () => {
    throw new Error('fake electron: main.test.ts starts no worker');
  },
};
