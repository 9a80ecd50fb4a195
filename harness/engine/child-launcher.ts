import { fileURLToPath } from 'node:url';
import { ownModuleUrl, runsFromSources } from '../package-files.ts';

/** How to start one strategy child process. */
export interface ChildCommand {
  readonly command: string;
  readonly args: readonly string[];
  /** Run the process as this user and group (a sandbox started by root drops to `nobody`). */
  readonly uid?: number;
  readonly gid?: number;
  /** The child's whole environment; the harness's own when absent. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Starts the processes that run a strategy's code (--isolate, grading). The
 * default runs oversold's child entry with this Node; a sandbox
 * (harness/grade/sandbox.ts) runs a bundled copy of it inside bubblewrap,
 * where the strategy's module sits at another path.
 */
export interface ChildLauncher {
  /** The command for a child with these Node flags (heap limit). */
  command(nodeFlags: readonly string[]): ChildCommand;
  /** The path the child imports the strategy from, as the child sees it. */
  modulePath(file: string): string;
  /** A call site the child reported (`path:line`), as the user knows the file; unchanged when absent. */
  hostCallSite?(at: string): string;
  /**
   * True when a wrapper (bubblewrap) stands between the harness and Node: a
   * child killed by signal N then shows as exit code 128 + N.
   */
  readonly wrapped?: boolean;
}

const childEntry = fileURLToPath(ownModuleUrl('./isolated-buyer-child', import.meta.url));
// From the sources the harness itself is TypeScript; compiled, only a strategy
// may be, and the child's loader imports tsx for it when it is.
const loaderFlags = runsFromSources ? ['--import', 'tsx'] : [];

/** Oversold's child entry under this Node, with the harness's rights: `--isolate` without a sandbox. */
export const plainLauncher: ChildLauncher = {
  command: (nodeFlags) => ({ command: process.execPath, args: [...loaderFlags, ...nodeFlags, childEntry] }),
  modulePath: (file) => file,
};
