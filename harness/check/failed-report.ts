import type { StrategyReport } from './report-model.ts';

/** What is known of a strategy before and without its verdicts. */
export interface StrategyIdentity {
  readonly name: string;
  readonly file: string;
  readonly description: string | null;
  readonly scenario: string;
}

/** The identity a strategy file has before it loads: its file name. */
export function identityOfFile(file: string): StrategyIdentity {
  return {
    name: file.replace(/^.*[/\\]/, '').replace(/\.[^.]+$/, ''),
    file,
    description: null,
    scenario: 'tickets',
  };
}

/** A strategy that could not be evaluated: `error` says why, in one line. */
export function failedReport(
  identity: StrategyIdentity,
  error: string,
  progress: { interleavings: number; durationMs: number } = { interleavings: 0, durationMs: 0 },
): StrategyReport {
  return { ...identity, passed: false, error, ...progress, properties: [] };
}

export function loadFailure(file: string, message: string): StrategyReport {
  return failedReport(identityOfFile(file), message);
}
