import type { CaseRanges } from '../../properties/case-arbitrary.ts';
import type { PropertyName } from '../../properties/property-names.ts';
import type { LabInfo } from '../engine/lab.ts';
import type { SandboxSpec } from '../grade/sandbox.ts';
import type { StrategyReport } from './report-model.ts';

/** What the main thread hands the worker that checks one strategy (structured-clone data only). */
export interface CheckWorkerData {
  /** The strategy file as found on disk. */
  readonly path: string;
  /** The lab's database: the worker opens its own sessions there. */
  readonly url: string;
  readonly labInfo: LabInfo;
  /** Under --isolate: the role strategy code's SQL runs as, and the URL that logs in as it. */
  readonly confined?: { readonly role: string; readonly url: string };
  /** Makes the worker's schema names unique in this process (one serial per strategy). */
  readonly schemaSerial: number;
  readonly runs: number;
  readonly seed: number;
  readonly ranges: CaseRanges;
  readonly properties: readonly PropertyName[];
  readonly timeoutMs: number;
  readonly isolate: boolean;
  /** Under --isolate: the bubblewrap sandbox the strategy's processes run in (absent: --unsafe-no-sandbox). */
  readonly sandbox?: SandboxSpec;
}

/** Main → worker: the next strategy this thread checks (one at a time). */
export type MainMessage = { readonly type: 'check'; readonly data: CheckWorkerData };

/** Where the strategy's own code was running when something happened. */
export type StrategyPlace = 'top-level' | 'setup' | 'purchase';

/** The strategy's code did what a check cannot survive in its thread. */
export type FaultKind = 'exit' | 'kill' | 'uncaught' | 'rejection';

/**
 * Worker → main. Phases bound what --timeout bounds: `loading` (top-level
 * code) and each `setup` (ended by `setup-done`); `heartbeat` every
 * {@link HEARTBEAT_MS} proves the worker's JavaScript thread is not stuck.
 */
export type WorkerMessage =
  | { readonly type: 'heartbeat' }
  | { readonly type: 'loading' }
  | {
      readonly type: 'loaded';
      readonly name: string;
      readonly file: string;
      readonly description: string | null;
      readonly scenario: string;
    }
  | { readonly type: 'setup' }
  | { readonly type: 'setup-done' }
  | { readonly type: 'schema'; readonly name: string }
  | { readonly type: 'backend'; readonly pid: number }
  | { readonly type: 'interleaving' }
  | { readonly type: 'report'; readonly report: StrategyReport }
  | {
      readonly type: 'fault';
      readonly kind: FaultKind;
      /** The strategy whose code it was (its path as given), when known: maybe one checked earlier in this thread. */
      readonly path: string | null;
      /** The error's message, the exit code or the signal, bounded. */
      readonly detail: string;
      readonly place: StrategyPlace | null;
      readonly buyer: number | null;
      /** The strategy's own stack line (file:line:col), when found. */
      readonly at: string | null;
    }
  /** oversold's own code failed in the worker (a lost database, a bug): not the strategy's doing. */
  | { readonly type: 'failed'; readonly message: string };

export const HEARTBEAT_MS = 250;
