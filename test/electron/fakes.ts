/**
 * Fakes of the Electron objects the shell takes as parameters, recording what the shell does with
 * them, and a logger that keeps its lines.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../main/util/log.js';

export interface RecordingLogger extends Logger {
  lines: { level: string; message: string }[];
}

export function recordingLogger(): RecordingLogger {
  const lines: { level: string; message: string }[] = [];
  const write = (level: string) => (message: string) => {
    lines.push({ level, message });
  };
  return { lines, debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/** A preventable event as Electron passes to will-navigate and similar listeners. */
export class FakeEvent {
  defaultPrevented = false;
  constructor(
    readonly url = '',
    readonly isMainFrame = true,
  ) {}
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

/** A web contents: its listeners, its window open handler and what was sent to it. */
export class FakeWebContents extends EventEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
  sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;

  constructor(public url = 'app://lab/index.html') {
    super();
  }

  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }

  isDestroyed(): boolean {
    return this.destroyed;
  }

  getURL(): string {
    return this.url;
  }

  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }

  /** Emits a preventable navigation-like event and returns it. */
  navigate(eventName: string, url: string, isMainFrame = true): FakeEvent {
    const event = new FakeEvent(url, isMainFrame);
    this.emit(eventName, event);
    return event;
  }
}

type InvokeListener = (event: { senderFrame: { url: string; parent: unknown } | null }, ...args: unknown[]) => Promise<unknown>;

/** ipcMain with `handle`, and `invoke` to call a handler as a page would. */
export class FakeIpcMain {
  readonly handlers = new Map<string, InvokeListener>();

  handle(channel: string, listener: InvokeListener): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }

  invoke(channel: string, frame: { url: string; parent: unknown } | null, ...args: unknown[]): Promise<unknown> {
    const listener = this.handlers.get(channel);
    if (listener === undefined) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return listener({ senderFrame: frame }, ...args);
  }
}

/** The main frame of the app page. */
export const appFrame = { url: 'app://lab/index.html', parent: null };
