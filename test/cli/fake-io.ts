// In-process streams and I/O for running commands in tests.
import { PassThrough, Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/io.js';

export class CapturedStream extends Writable {
  text = '';
  isTTY?: boolean;
  columns?: number;
  constructor({ isTTY = false, columns }: { isTTY?: boolean; columns?: number } = {}) {
    super();
    this.isTTY = isTTY;
    if (columns !== undefined) this.columns = columns;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
  lines(): string[] {
    return this.text.split('\n').filter((line) => line !== '');
  }
  json(): Array<Record<string, unknown>> {
    return this.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

export interface FakeIo extends CliIo {
  stdout: CapturedStream;
  stderr: CapturedStream;
  controller: AbortController;
}

export function fakeIo({
  env = {},
  cwd = process.cwd(),
  tty = false,
}: { env?: NodeJS.ProcessEnv; cwd?: string; tty?: boolean } = {}): FakeIo {
  const controller = new AbortController();
  return {
    stdout: new CapturedStream({ isTTY: tty, columns: tty ? 120 : undefined }),
    stderr: new CapturedStream({ isTTY: tty }),
    stdin: new PassThrough(),
    env,
    cwd,
    signal: controller.signal,
    controller,
  };
}
