/**
 * Runs registered clean-ups when the process is interrupted (Ctrl-C, SIGTERM),
 * so that no server, temporary directory or database outlives oversold.
 * Normal completion and errors clean up through `finally` blocks instead.
 */
type Cleanup = () => Promise<void>;

const cleanups = new Set<Cleanup>();
let installed = false;
let interruptCode: number | null = null;

/** 130 after Ctrl-C, 143 after SIGTERM or SIGHUP; null when not interrupted. */
export function interruptedExitCode(): number | null {
  return interruptCode;
}

export function onInterrupt(cleanup: Cleanup): () => void {
  install();
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      const code = signal === 'SIGINT' ? 130 : 143;
      interruptCode = code;
      void Promise.allSettled([...cleanups].map((cleanup) => cleanup())).then(() => process.exit(code));
    });
  }
}
