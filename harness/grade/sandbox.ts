import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdtemp, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { onInterrupt } from '../database/exit-cleanup.ts';
import type { ChildCommand, ChildLauncher } from '../engine/child-launcher.ts';
import { bundleChildEntry, bundleStrategy } from './sandbox-bundle.ts';

const run = promisify(execFile);

/** What each of a submission's processes may use. */
export interface SandboxLimits {
  /** V8 heap, MB (the address space allowed is this plus room for Node itself). */
  readonly memoryMb: number;
  /** CPU seconds per process (RLIMIT_CPU): a busy loop ends even if the harness stalls. */
  readonly cpuSeconds: number;
}

/** bubblewrap is missing or cannot make namespaces here; grading untrusted code must not go on. */
export class SandboxUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SandboxUnavailableError';
  }
}

/** An open sandbox as plain data, to hand to another thread. */
export interface SandboxSpec {
  readonly dir: string;
  readonly limits: SandboxLimits;
  readonly identity: { readonly uid: number; readonly gid: number } | null;
  readonly system: readonly string[];
}

/** Where things sit inside the sandbox. */
const ROOT = '/sandbox';
const NODE = `${ROOT}/node`;
// Under a `harness` folder, so the child's call-site capture skips its frames as oversold's own.
const CHILD = `${ROOT}/harness/child.mjs`;
const SUBMISSION = `${ROOT}/submission`;
const STRATEGY = `${SUBMISSION}/strategy.mjs`;
const NOBODY = 65534;
/** Private /tmp inside the sandbox: small, since Node's permission model refuses writes anyway. */
const TMP_BYTES = 16 * 1024 * 1024;
/** Largest file a process may write (RLIMIT_FSIZE). */
const FILE_BYTES = 16 * 1024 * 1024;
/** Processes and threads of the sandbox user (RLIMIT_NPROC; a Node process has about a dozen threads). */
const PROCESSES = 512;
/** Address space beyond the heap that Node needs for code, stacks and its own reservations. */
const NODE_OVERHEAD_MB = 2048;

/**
 * Runs students' code where it can reach nothing but its step channel:
 * bubblewrap gives each child new namespaces (no network, not even the
 * server's Unix socket; its own process tree), a read-only view of /usr, Node
 * and two files (oversold's child entry and the submission's compiled
 * module), a private /tmp, no home, no /etc; it dies with the harness. Inside,
 * Node's permission model refuses every write, child process, worker and
 * native addon, and reads outside /sandbox. Resource limits cap CPU seconds,
 * address space, file size and processes; started by root, the child runs
 * as `nobody`.
 */
export class Sandbox implements AsyncDisposable {
  readonly #dir: string;
  readonly #limits: SandboxLimits;
  readonly #identity: { readonly uid: number; readonly gid: number } | null;
  readonly #system: readonly string[];
  readonly #bundles = new Map<string, Promise<string>>();
  /** Whether this object made the folder (and removes it); an attached one only uses it. */
  readonly #owner: boolean;
  readonly #unregister: () => void;
  #closed = false;

  private constructor(spec: SandboxSpec, owner: boolean) {
    this.#dir = spec.dir;
    this.#system = spec.system;
    this.#limits = spec.limits;
    this.#identity = spec.identity;
    this.#owner = owner;
    this.#unregister = owner ? onInterrupt(() => this.close()) : () => {};
  }

  /**
   * Another thread's view of an open sandbox (check --isolate's worker
   * threads): it compiles submissions into the same folder, which the thread
   * that opened the sandbox removes.
   */
  static attach(spec: SandboxSpec): Sandbox {
    return new Sandbox(spec, false);
  }

  /** What {@link Sandbox.attach} needs, as plain data. */
  get spec(): SandboxSpec {
    return { dir: this.#dir, limits: this.#limits, identity: this.#identity, system: this.#system };
  }

  /** Finds bubblewrap, compiles the child entry, and proves a sandboxed Node starts; or says what is missing. */
  static async open(limits: SandboxLimits): Promise<Sandbox> {
    if (process.platform !== 'linux') {
      throw new SandboxUnavailableError(
        `the grading sandbox needs Linux (bubblewrap); this is ${process.platform}: grade on Linux, or pass --unsafe-no-sandbox to run students' code with your rights`,
      );
    }
    const bwrap = await findBwrap();
    const dir = await mkdtemp(join(await reachableTmp(), 'oversold-sandbox-'));
    // The sandbox user (nobody, when started by root) must reach the bundles.
    await chmod(dir, 0o755);
    const root = process.getuid?.() === 0;
    const identity = root && (await reachableByAll(process.execPath)) ? { uid: NOBODY, gid: NOBODY } : null;
    const sandbox = new Sandbox({ dir, limits, identity, system: await systemFolders() }, true);
    try {
      await bundleChildEntry(join(dir, 'child.mjs'));
      await sandbox.#probe(bwrap);
      return sandbox;
    } catch (error) {
      await sandbox.close();
      throw error;
    }
  }

  /** Whether children run as another user (nobody) than the harness. */
  get dropsPrivileges(): boolean {
    return this.#identity !== null;
  }

  /**
   * A launcher for one submission's strategy: its module is compiled once
   * (a compile error rejects with a StrategyLoadError), and each child sees
   * only that submission.
   */
  async launcherFor(file: string): Promise<ChildLauncher> {
    let bundle = this.#bundles.get(file);
    if (!bundle) {
      const folder = join(this.#dir, `s-${randomBytes(6).toString('hex')}`);
      bundle = bundleStrategy(file, join(folder, 'strategy.mjs')).then(() => folder);
      this.#bundles.set(file, bundle);
    }
    const folder = await bundle;
    // The bundle's source map names the submission's files relative to its folder.
    const home = dirname(resolve(file));
    return {
      command: (nodeFlags) => this.#command(folder, nodeFlags),
      modulePath: () => STRATEGY,
      hostCallSite: (at) =>
        at.startsWith(`${SUBMISSION}/`) ? shownPath(join(home, at.slice(SUBMISSION.length + 1))) : at,
      wrapped: true,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unregister();
    if (this.#owner) await rm(this.#dir, { recursive: true, force: true });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #command(submission: string | null, nodeFlags: readonly string[]): ChildCommand {
    const { memoryMb, cpuSeconds } = this.#limits;
    const bwrapArgs = [
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
      '--clearenv',
      '--setenv',
      'PATH',
      '/usr/bin:/bin',
      '--setenv',
      'HOME',
      '/tmp',
      '--setenv',
      'OVERSOLD_SANDBOXED',
      '1',
      '--ro-bind',
      '/usr',
      '/usr',
      ...this.#system,
      '--ro-bind',
      process.execPath,
      NODE,
      '--ro-bind',
      join(this.#dir, 'child.mjs'),
      CHILD,
      ...(submission ? ['--ro-bind', submission, SUBMISSION] : []),
      '--proc',
      '/proc',
      '--dev',
      '/dev',
      '--size',
      String(TMP_BYTES),
      '--tmpfs',
      '/tmp',
      '--chdir',
      '/tmp',
      '--',
      NODE,
      '--experimental-permission',
      `--allow-fs-read=${ROOT}/*`,
      '--disable-warning=ExperimentalWarning',
      '--enable-source-maps',
      ...nodeFlags,
      CHILD,
    ];
    return {
      command: 'prlimit',
      args: [
        `--cpu=${cpuSeconds}`,
        `--as=${(memoryMb + NODE_OVERHEAD_MB) * 1024 * 1024}`,
        `--fsize=${FILE_BYTES}`,
        '--core=0',
        ...(this.#identity ? [`--nproc=${PROCESSES}`] : []),
        '--',
        'bwrap',
        ...bwrapArgs,
      ],
      ...(this.#identity ? { uid: this.#identity.uid, gid: this.#identity.gid } : {}),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    };
  }

  /** Starts Node in the sandbox once: namespaces, binds and limits all work here, or the reason why not. */
  async #probe(bwrap: string): Promise<void> {
    const launch = this.#command(null, []);
    const args = launch.args.slice(0, -1).concat('--version');
    try {
      await run(launch.command, args, {
        timeout: 30_000,
        ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.gid } : {}),
        env: { ...launch.env },
      });
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      const reason = (failure.stderr || failure.message).trim().split('\n')[0];
      throw new SandboxUnavailableError(
        `${bwrap} cannot start a sandbox here (${reason}): allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 23.10+ also kernel.apparmor_restrict_unprivileged_userns=0), or pass --unsafe-no-sandbox to run students' code with your rights`,
        { cause: error },
      );
    }
  }
}

async function findBwrap(): Promise<string> {
  try {
    await run('bwrap', ['--version']);
  } catch (error) {
    throw new SandboxUnavailableError(
      "bubblewrap (bwrap) is not installed, and grading runs students' code in it: install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap), or pass --unsafe-no-sandbox to run their code with your rights",
      { cause: error },
    );
  }
  await run('prlimit', ['--version']).catch((error: unknown) => {
    throw new SandboxUnavailableError(
      'prlimit (util-linux) is not installed, and the sandbox sets its resource limits with it: install util-linux',
      { cause: error },
    );
  });
  return 'bwrap';
}

/** /bin, /lib, /lib64, …: symlinks into /usr on merged-/usr systems, folders elsewhere. */
async function systemFolders(): Promise<string[]> {
  const args: string[] = [];
  for (const path of ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) {
    const info = await lstat(path).catch(() => null);
    if (!info) continue;
    if (info.isSymbolicLink()) args.push('--symlink', await readlink(path), path);
    else args.push('--ro-bind', path, path);
  }
  return args;
}

/** A temporary folder that every user may enter (the sandbox user must reach the bundles). */
async function reachableTmp(): Promise<string> {
  for (const candidate of [tmpdir(), '/var/tmp', '/tmp', '/dev/shm']) {
    if (await reachableByAll(candidate)) return candidate;
  }
  return tmpdir();
}

/** Every folder on the way to `path` is searchable by others, and `path` is readable by them. */
async function reachableByAll(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if ((info.mode & 0o004) === 0) return false;
    for (let folder = dirname(path); ; folder = dirname(folder)) {
      if (((await stat(folder)).mode & 0o001) === 0) return false;
      if (folder === dirname(folder)) return true;
    }
  } catch {
    return false;
  }
}

/** A path as reports show paths: relative to the working folder when inside it. */
function shownPath(path: string): string {
  const cwd = `${process.cwd()}/`;
  return path.startsWith(cwd) ? path.slice(cwd.length) : path;
}
