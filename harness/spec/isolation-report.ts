import { formatResultSet } from './result-table.ts';
import { StepError, type StepResult } from './spec-connection.ts';
import type { PermutationStep, TestSpec } from './spec-parser.ts';

/** What happened while one permutation ran through the engine, in the order it happened. */
export type RunEvent =
  /** The scheduler released permutation step `step` (its index in the permutation). */
  | { readonly kind: 'release'; readonly step: number }
  /** PostgreSQL reported the step's statement waiting for a lock held by another session. */
  | { readonly kind: 'blocked'; readonly step: number }
  /** A session sent a notice (already formatted as libpq does). */
  | { readonly kind: 'notice'; readonly session: number; readonly text: string }
  /** The step's statement finished. */
  | {
      readonly kind: 'done';
      readonly step: number;
      readonly result: StepResult | null;
      readonly error: unknown;
    };

/** The permutation could not be reported the way isolationtester would (it would hang or give up). */
export class ReportStuckError extends Error {
  /** What isolationtester would have printed before it got stuck. */
  readonly output: string;

  constructor(message: string, output: string) {
    super(message);
    this.name = 'ReportStuckError';
    this.output = output;
  }
}

const NONBLOCK = 1;
const RETRY = 2;

/**
 * Replays isolationtester's run_permutation() over what the engine observed,
 * and returns the lines it would print for the steps. isolationtester looks
 * at a session at fixed moments: right after sending a step (until that step
 * completes or is seen waiting), and when polling the steps that wait. The
 * engine records the same facts (a step completed, a step was seen waiting,
 * a notice arrived) in the order they happened, so each look is answered by
 * the events before that moment: a step sent and seen waiting is judged at
 * the moment it was seen waiting, which is what isolationtester sees before a
 * deadlock timeout or a later step resolves it.
 */
export function reportPermutation(
  spec: TestSpec,
  permutation: readonly PermutationStep[],
  events: readonly RunEvent[],
): string {
  const steps = new Map(
    spec.sessions.flatMap((session) => session.steps.map((step) => [step.name, step] as const)),
  );
  const stepOf = (index: number) => steps.get(permutation[index]!.name)!;
  const releaseAt: number[] = [];
  const doneAt: number[] = permutation.map(() => Number.POSITIVE_INFINITY);
  const blockedAt: number[] = permutation.map(() => Number.POSITIVE_INFINITY);
  const outcome = new Map<number, { result: StepResult | null; error: unknown }>();
  events.forEach((event, at) => {
    if (event.kind === 'release') releaseAt[event.step] = at;
    else if (event.kind === 'done') {
      doneAt[event.step] = at;
      outcome.set(event.step, { result: event.result, error: event.error });
    } else if (event.kind === 'blocked' && blockedAt[event.step] === Number.POSITIVE_INFINITY) {
      blockedAt[event.step] = at;
    }
  });

  let out = '';
  const active: (number | null)[] = spec.sessions.map(() => null);
  const noticesSeen = spec.sessions.map(() => 0); // notice events consumed so far, per session
  const noticeTarget = new Map<string, number>();
  let anyNewNotice = false;

  const printNotices = (session: number, before: number): void => {
    let count = 0;
    for (let at = 0; at < before; at++) {
      const event = events[at]!;
      if (event.kind !== 'notice' || event.session !== session) continue;
      count++;
      if (count > noticesSeen[session]!) {
        out += `${spec.sessions[session]!.name}: ${event.text}`;
        noticesSeen[session] = count;
        anyNewNotice = true;
      }
    }
  };

  const hasBlocker = (index: number): boolean =>
    permutation[index]!.blockers.some((blocker) => {
      if (blocker.kind === 'once') return false;
      const other = steps.get(blocker.step)!;
      if (blocker.kind === 'step') {
        const running = active[other.session];
        return running !== null && running !== undefined && permutation[running]!.name === blocker.step;
      }
      return noticesSeen[other.session]! < (noticeTarget.get(`${index}:${blocker.step}`) ?? 0);
    });

  /** try_complete_step(): true while the step is not reported complete. */
  const tryComplete = (index: number, flags: number, moment: number): boolean => {
    const step = stepOf(index);
    if (!(flags & RETRY) && permutation[index]!.blockers.some((blocker) => blocker.kind === 'once')) {
      out += `step ${step.name}: ${step.sql} <waiting ...>\n`;
      return true;
    }
    printNotices(step.session, moment);
    if (doneAt[index]! >= moment) {
      if (!(flags & NONBLOCK)) {
        throw new ReportStuckError(
          `step ${step.name} still waits for a lock that no later step of the permutation releases (isolationtester would wait until it times out)`,
          out,
        );
      }
      if (!(flags & RETRY)) out += `step ${step.name}: ${step.sql} <waiting ...>\n`;
      return true;
    }
    if (hasBlocker(index)) {
      if (!(flags & RETRY)) out += `step ${step.name}: ${step.sql} <waiting ...>\n`;
      return true;
    }
    out += flags & RETRY ? `step ${step.name}: <... completed>\n` : `step ${step.name}: ${step.sql}\n`;
    out += describeOutcome(outcome.get(index)!);
    active[step.session] = null;
    return false;
  };

  /** try_complete_steps(): polls the waiting steps, again while a blocker may have been released. */
  const tryCompleteSteps = (waiting: number[], flags: number, moment: number): number[] => {
    let list = waiting;
    for (;;) {
      anyNewNotice = false;
      const before = list.length;
      let blocked = false;
      const still: number[] = [];
      for (const index of list) {
        if (tryComplete(index, flags, moment)) {
          if (permutation[index]!.blockers.length > 0) blocked = true;
          still.push(index);
        }
      }
      list = still;
      if (!(blocked && (list.length < before || anyNewNotice))) return list;
    }
  };

  let waiting: number[] = [];
  for (let index = 0; index < permutation.length; index++) {
    const step = stepOf(index);
    const sent = releaseAt[index] ?? events.length;
    // The session still runs an earlier step: isolationtester waits for it, polling the others.
    while (active[step.session] !== null) {
      const old = active[step.session]!;
      const progress = waiting.length;
      if (!tryComplete(old, RETRY, sent)) waiting = waiting.filter((other) => other !== old);
      waiting = tryCompleteSteps(waiting, NONBLOCK | RETRY, sent);
      if (active[step.session] !== null && waiting.length === progress && !anyNewNotice) {
        throw new ReportStuckError(
          `step ${stepOf(old).name} is never reported complete before step ${step.name} of the same session (isolationtester would time out)`,
          out,
        );
      }
    }
    active[step.session] = index;
    for (const blocker of permutation[index]!.blockers) {
      if (blocker.kind === 'notices') {
        const other = steps.get(blocker.step)!;
        noticeTarget.set(`${index}:${blocker.step}`, blocker.count + noticesSeen[other.session]!);
      }
    }
    // Seen waiting: judged at that moment; otherwise once everything has settled.
    const settled = releaseAt[index + 1] ?? events.length;
    const moment = Math.min(blockedAt[index]!, settled);
    const mustWait = tryComplete(index, NONBLOCK, moment);
    waiting = tryCompleteSteps(waiting, NONBLOCK | RETRY, moment);
    if (mustWait) waiting.push(index);
  }
  waiting = tryCompleteSteps(waiting, RETRY, events.length);
  if (waiting.length > 0) {
    throw new ReportStuckError('failed to complete permutation due to mutually-blocking steps', out);
  }
  return out;
}

/** A step's result sets, then its error as `SEVERITY:  message`. */
export function describeOutcome({ result, error }: { result: StepResult | null; error: unknown }): string {
  if (result) return result.sets.map(formatResultSet).join('');
  if (error instanceof StepError) {
    return `${error.sets.map(formatResultSet).join('')}${error.severity}:  ${error.message}\n`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `ERROR:  ${message}\n`;
}
