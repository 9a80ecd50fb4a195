import cliProgress from 'cli-progress';

export interface Progress {
  strategy(file: string, index: number, total: number): void;
  tick(): void;
  stop(): void;
}

const silent: Progress = { strategy() {}, tick() {}, stop() {} };

/** A progress bar on stderr, shown only on an interactive terminal and never in CI. */
export function progressBar(expectedPerStrategy: number): Progress {
  if (!process.stderr.isTTY || process.env.CI) return silent;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {strategy} ({index}/{total}) · {value} interleavings',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    strategy(file, index, total) {
      if (!started) {
        bar.start(expectedPerStrategy, 0, { strategy: file, index: index + 1, total });
        started = true;
      } else {
        bar.setTotal(expectedPerStrategy);
        bar.update(0, { strategy: file, index: index + 1, total });
      }
    },
    tick() {
      if (started) bar.increment();
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
