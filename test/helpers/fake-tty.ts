// A terminal for running the board in-process: what Ink needs of stdin and stdout, no more.
import { EventEmitter } from 'node:events';

/** A keyboard: `type()` hands Ink keys the way a raw-mode TTY would; `rawMode` says what Ink asked for. */
export class FakeStdin extends EventEmitter {
  isTTY: boolean | undefined = true;
  rawMode = false;
  private queue: string[] = [];
  setRawMode(on: boolean) {
    this.rawMode = on;
  }
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read(): string | null {
    return this.queue.shift() ?? null;
  }
  type(text: string) {
    this.queue.push(text);
    this.emit('readable');
  }
}

/** A screen of a given size that keeps every chunk written to it. */
export class FakeStdout extends EventEmitter {
  isTTY = true;
  readonly chunks: string[] = [];
  constructor(
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(String(chunk));
    return true;
  }
  get text(): string {
    return this.chunks.join('');
  }
}
