import { describeOutcome } from './isolation-report.ts';
import type { TestSpec } from './spec-parser.ts';
import type { SpecInterleaving } from './spec-sessions.ts';

/**
 * What a step ended with, as a run of the spec printed it: the notices its
 * session sent while it ran (`s1: NOTICE:  …`), then its result sets and
 * error as isolationtester prints them. A step still waiting when no session
 * could go on is `never completes`; a step never sent is `not run`.
 */
export type StepOutcome = string;

/**
 * One run's outcome, independent of the order the steps ran in: for each
 * session in the spec's order, for each of its steps in its order, the
 * step's outcome (see {@link StepOutcome}); then what the session teardowns
 * and the teardown printed (the rows of a teardown's last SELECT, or a
 * failure). Two runs have the same outcome exactly when every step printed
 * the same and the teardown printed the same.
 */
export function outcomeSignature(spec: TestSpec, run: SpecInterleaving): string {
  const outcomes = stepOutcomes(spec, run);
  const sessions = spec.sessions.map((session) => ({
    session: session.name,
    steps: session.steps.map((step) => [step.name, outcomes.get(step.name) ?? 'not run']),
  }));
  return JSON.stringify({ sessions, teardown: run.teardown });
}

/** Step name → its outcome in this run (steps never sent are absent). */
export function stepOutcomes(spec: TestSpec, run: SpecInterleaving): Map<string, StepOutcome> {
  const notices = new Map<number, string>();
  const results = new Map<number, string>();
  const running: (number | null)[] = spec.sessions.map(() => null);
  const sessionOf = new Map(
    spec.sessions.flatMap((session, index) => session.steps.map((step) => [step.name, index])),
  );
  for (const event of run.events) {
    if (event.kind === 'release') {
      running[sessionOf.get(run.permutation[event.step]!.name)!] = event.step;
    } else if (event.kind === 'notice') {
      // A notice reaches the client before the answer of the statement that sent it.
      const step = running[event.session];
      if (step === null || step === undefined) continue;
      const text = `${spec.sessions[event.session]!.name}: ${event.text}`;
      notices.set(step, (notices.get(step) ?? '') + text);
    } else if (event.kind === 'done') {
      results.set(event.step, describeOutcome(event));
    }
  }
  const outcomes = new Map<string, StepOutcome>();
  run.permutation.forEach((pstep, index) => {
    const result = results.get(index) ?? 'never completes\n';
    outcomes.set(pstep.name, (notices.get(index) ?? '') + result);
  });
  return outcomes;
}
