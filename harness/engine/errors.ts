import type { TraceEvent } from './trace.ts';

/**
 * Errors that end the evaluation of a strategy (exit status 2), as opposed to
 * a property failing (exit status 1). Callers branch on `code`.
 */
export class StrategyError extends Error {
  readonly code:
    | 'STRATEGY_HANG'
    | 'STRATEGY_MISTAKE'
    | 'STRATEGY_LOAD'
    | 'SCHEDULE_INVALID'
    | 'CONNECTION_LOST';
  constructor(code: StrategyError['code'], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StrategyError';
    this.code = code;
  }
}

/** A buyer took longer than --timeout on one step. */
export class HangError extends StrategyError {
  readonly buyers: number[];
  constructor(message: string, buyers: number[]) {
    super('STRATEGY_HANG', message);
    this.name = 'HangError';
    this.buyers = buyers;
  }
}

/** The strategy broke the contract: a bad return value, two statements at once, a transaction left open. */
export class StrategyMistakeError extends StrategyError {
  constructor(message: string) {
    super('STRATEGY_MISTAKE', message);
    this.name = 'StrategyMistakeError';
  }
}

/** A strategy file could not be loaded. */
export class StrategyLoadError extends StrategyError {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super('STRATEGY_LOAD', `${file}: ${message}`, options);
    this.name = 'StrategyLoadError';
    this.file = file;
  }
}

/** A replayed schedule names a buyer that cannot move at that point. */
export class ScheduleError extends StrategyError {
  /** What the run did before the schedule could not be followed (set by the engine). */
  partialTrace: TraceEvent[] = [];
  /** Each buyer's state at that point, in words: `blocked by buyer 1 (UPDATE …)`, `finished`. */
  buyerStates: Record<number, string> = {};
  constructor(message: string) {
    super('SCHEDULE_INVALID', message);
    this.name = 'ScheduleError';
  }
}

/** A buyer's session died under it (terminated backend, server restart): not the strategy's doing. */
export class ConnectionLostError extends StrategyError {
  constructor(message: string) {
    super('CONNECTION_LOST', message);
    this.name = 'ConnectionLostError';
  }
}
