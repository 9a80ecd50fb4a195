import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { progressBar } from './progress.ts';

/** A terminal that says it is one, and keeps what was drawn on it. */
function fakeTerminal(isTTY: boolean) {
  let written = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    }),
    { isTTY, columns: 200 },
  );
  return {
    stream,
    /** The last line the bar drew: each redraw starts with a cursor escape. */
    lastLine: () =>
      written
        // biome-ignore lint/suspicious/noControlCharactersInRegex: splitting on terminal escapes
        .split(/\x1b\[[0-9;?]*[A-Za-z]|\x1b[78]|\r|\n/)
        .filter((line) => line.includes('strategies'))
        .at(-1)
        ?.trim(),
    written: () => written,
  };
}

describe('progressBar', () => {
  // cli-progress redraws on a timer and throttles by Date.now(): drive both.
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts strategies, not runs, when cli-progress reserves {total} and {value}', () => {
    const terminal = fakeTerminal(true);
    const progress = progressBar(100, { stream: terminal.stream, ci: false });
    progress.strategy('strategies/guarded-update.ts', 2, 26);
    for (let run = 0; run < 14; run += 1) progress.tick();
    vi.advanceTimersByTime(1000);
    expect(terminal.lastLine()).toMatch(
      /^\S+ 2\/26 strategies · strategies\/guarded-update\.ts · 14\/100 runs$/,
    );
    progress.strategy('strategies/select-for-update.ts', 3, 26);
    progress.tick();
    vi.advanceTimersByTime(1000);
    expect(terminal.lastLine()).toMatch(
      / 3\/26 strategies · strategies\/select-for-update\.ts · 1\/100 runs$/,
    );
    progress.stop();
  });

  it('says runs past the planned number come from shrinking', () => {
    const terminal = fakeTerminal(true);
    const progress = progressBar(2, { stream: terminal.stream, ci: false });
    progress.strategy('strategies/naive-read-modify-write.ts', 0, 1);
    for (let run = 0; run < 5; run += 1) progress.tick();
    vi.advanceTimersByTime(1000);
    expect(terminal.lastLine()).toMatch(/ 0\/1 strategies · .* · 5 runs \(2 \+ shrinking\)$/);
    progress.stop();
  });

  it('clears its line for printed text and draws itself again below it', () => {
    const terminal = fakeTerminal(true);
    const progress = progressBar(100, { stream: terminal.stream, ci: false });
    progress.strategy('strategies/guarded-update.ts', 0, 2);
    progress.tick();
    vi.advanceTimersByTime(1000);
    let before = '';
    progress.print(() => {
      before = terminal.written();
      terminal.stream.write('✓ guarded-update\n');
    });
    vi.advanceTimersByTime(1000);
    // The bar erased its own line before the text was written …
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a terminal escape
    expect(before).toMatch(/\x1b\[2K(\x1b\[\?25h)?$/);
    // … and is drawn again after it, with what it showed.
    const after = terminal.written().split('✓ guarded-update\n')[1] ?? '';
    expect(after).toMatch(/0\/2 strategies · strategies\/guarded-update\.ts · 1\/100 runs/);
    progress.stop();
  });

  it('prints straight through off a terminal', () => {
    const terminal = fakeTerminal(false);
    const progress = progressBar(100, { stream: terminal.stream, ci: false });
    const printed: string[] = [];
    progress.print(() => printed.push('block'));
    expect(printed).toEqual(['block']);
    expect(terminal.written()).toBe('');
  });

  it('draws nothing off a terminal or in CI', () => {
    for (const [isTTY, ci] of [
      [false, false],
      [true, true],
    ] as const) {
      const terminal = fakeTerminal(isTTY);
      const progress = progressBar(100, { stream: terminal.stream, ci });
      progress.strategy('strategies/guarded-update.ts', 0, 1);
      progress.tick();
      vi.advanceTimersByTime(1000);
      progress.stop();
      expect(terminal.written()).toBe('');
    }
  });
});
