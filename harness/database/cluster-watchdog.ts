import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * A small shell process that outlives oversold to stop the embedded server and
 * remove its cluster. It creates the cluster's folder itself, so no moment
 * exists where the folder is there and nobody will remove it. It reads the pids of initdb and the postmaster from a
 * pipe; end of input, whether oversold closed the pipe on purpose or the
 * kernel closed it because oversold died (even by SIGKILL or out of memory),
 * means: stop them, wait for them to exit, remove the folder, exit.
 *
 * Started in its own session, it ignores the Ctrl-C the terminal sends to the
 * foreground process group, so the clean-up runs to its end.
 */
const script = String.raw`
trap '' INT TERM HUP PIPE
dir=$(mktemp -d "$1/oversold-pg-XXXXXX") || exit 1
printf '%s\n' "$dir"
watched=' '
while read -r kind pid; do
  case $kind in
    exited) watched=$(printf '%s' "$watched" | sed "s/ [a-z]*:$pid / /") ;;
    *) watched="$watched$kind:$pid " ;;
  esac
done
# A pid that exited but is not yet reaped still answers kill -0; read its state.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  state=$(sed -n 's/^[0-9]* ([^)]*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
  [ "$state" != Z ]
}
for entry in $watched; do
  pid=\${entry#*:}
  case $entry in
    # initdb leads its own process group, with the bootstrap backend it started.
    initdb:*) kill -KILL -- "-$pid" 2>/dev/null ;;
    # Fast shutdown: the postmaster ends its backends and removes its shared memory.
    *) kill -INT "$pid" 2>/dev/null ;;
  esac
done
for entry in $watched; do
  pid=\${entry#*:}
  tries=0
  while alive "$pid" && [ $tries -lt 600 ]; do
    tries=$((tries + 1))
    [ $tries -eq 200 ] && kill -KILL "$pid" 2>/dev/null
    sleep 0.05
  done
done
rm -rf -- "$dir"
`.replaceAll('\\$', '$');

export class ClusterWatchdog {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #finished = false;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      // Without a shell the watchdog never ran; there is nothing more to wait for.
      child.once('error', () => resolve());
    });
  }

  /**
   * Starts a watchdog that makes a fresh folder in `parentDir` and removes it
   * once oversold is gone or calls {@link finish}. Resolves with the folder.
   */
  static async start(
    parentDir: string,
  ): Promise<{ readonly watchdog: ClusterWatchdog; readonly dir: string }> {
    const child = spawn('/bin/sh', ['-c', script, 'oversold-watchdog', parentDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      // mktemp's messages in plain ASCII quotes, whatever the user's locale.
      env: { ...process.env, LC_ALL: 'C' },
    });
    child.stdin.on('error', () => {});
    const watchdog = new ClusterWatchdog(child);
    const dir = await firstLine(child).catch(async (error: unknown) => {
      await watchdog.finish();
      throw error;
    });
    // Neither the watchdog nor its pipes keep oversold's event loop alive until
    // finish(): a process that forgets to stop the server still ends, and the watchdog cleans up.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as Socket).unref();
    return { watchdog, dir };
  }

  /** Asks the watchdog to stop `process` at the end; forgets it once it exits by itself. */
  watch(kind: 'initdb' | 'postmaster', process: ChildProcess): void {
    if (process.pid === undefined) return;
    const pid = process.pid;
    this.#send(`${kind} ${pid}`);
    process.once('exit', () => this.#send(`exited ${pid}`));
  }

  /** Stops what it watches, removes the folder, and resolves when all that is done. */
  finish(): Promise<void> {
    if (!this.#finished) {
      this.#finished = true;
      // Waiting for it must keep this process alive until the folder is gone.
      this.#child.ref();
      this.#child.stdin?.end();
    }
    return this.#exited;
  }

  #send(line: string): void {
    if (!this.#finished) this.#child.stdin?.write(`${line}\n`);
  }
}

/** The folder the watchdog created, or its error (mktemp's message) when it could not. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const end = out.indexOf('\n');
      if (end >= 0) resolve(out.slice(0, end));
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (err.length < 1000) err += chunk.toString();
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run /bin/sh (${error.message})`, { cause: error })),
    );
    child.once('exit', () => reject(new Error(err.trim().split('\n')[0] || 'the watchdog exited at once')));
  });
}
