/**
 * The board's keyboard: raw mode while active, and every input event Ink's parser splits off, decoded
 * by `keysOf` (split-keys.ts) into single keys for `onKey`. It listens where Ink's own `useInput` does,
 * one step before its decoding, which loses the Esc of `ESC /` and reads `ESC j` as Alt+j.
 */
import { useStdin, type Key } from 'ink';
import { useEffect } from 'react';
import { keysOf } from './split-keys.js';

export function useKeys(onKey: (input: string, key: Key) => void, isActive: boolean): void {
  const { setRawMode, internal_eventEmitter: events } = useStdin();
  useEffect(() => {
    if (!isActive) return;
    setRawMode(true);
    return () => setRawMode(false);
  }, [isActive, setRawMode]);
  useEffect(() => {
    if (!isActive) return;
    const onInput = (raw: string) => {
      for (const [input, key] of keysOf(raw)) onKey(input, key);
    };
    events.on('input', onInput);
    return () => {
      events.removeListener('input', onInput);
    };
  }, [isActive, events, onKey]);
}
