import cliProgress from 'cli-progress';

export interface Progress {
  strategy(file: string, index: number, total: number): void;
  tick(): void;
  /** Prints between redraws: the bar is cleared, `write` runs, the bar comes back below. */
  print(write: () => void): void;
  stop(): void;
}

/** Where the bar draws, and whether it may: tests pass a fake terminal. */
export interface ProgressTerminal {
  readonly stream: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly ci: boolean;
}

const silent: Progress = {
  strategy() {},
  tick() {},
  print(write) {
    write();
  },
  stop() {},
};

// cli-progress fills {value}, {total}, {percentage}, {eta}, {duration} (and their
// _formatted forms) itself, overwriting payload keys of those names: the bar's own
// counter is strategies, so the runs of the current strategy travel in {strategyRuns}.
const format = ' {bar} {value}/{total} strategies · {strategy} · {strategyRuns}';

/**
 * A progress bar on stderr, shown only on an interactive terminal and never in CI: how many
 * strategies are done, and how many interleavings the current one has run.
 */
export function progressBar(
  runsPerStrategy: number,
  terminal: ProgressTerminal = { stream: process.stderr, ci: Boolean(process.env.CI) },
): Progress {
  if (!terminal.stream.isTTY || terminal.ci) return silent;
  const bar = new cliProgress.SingleBar(
    { stream: terminal.stream, format, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let runs = 0;
  // What the bar shows, to draw it again after a print.
  let shown = { total: 0, value: 0, strategy: '' };
  const payload = () => ({ strategy: shown.strategy, strategyRuns: runsText(runs, runsPerStrategy) });
  return {
    strategy(file, index, total) {
      runs = 0;
      shown = { total, value: index, strategy: file };
      if (!started) {
        bar.start(total, index, payload());
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(index, payload());
      }
    },
    tick() {
      if (!started) return;
      runs += 1;
      bar.update(payload());
    },
    print(write) {
      if (!started) return write();
      // clearOnComplete: stopping erases the bar's line, so the text starts on a clean one.
      bar.stop();
      write();
      bar.start(shown.total, shown.value, payload());
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

/**
 * Every property replays the same seeded cases, so fresh interleavings stop at the number
 * asked for, except those fast-check runs while shrinking a failure.
 */
function runsText(runs: number, planned: number): string {
  return runs <= planned ? `${runs}/${planned} runs` : `${runs} runs (${planned} + shrinking)`;
}
