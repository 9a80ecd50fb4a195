import { describe, expect, it } from 'vitest';
import type { SpecExploration } from './explore-spec.ts';
import type { RunEvent } from './isolation-report.ts';
import { StepError, type StepResult } from './spec-connection.ts';
import { explorationLine, permutationLine } from './spec-exploration-text.ts';
import { outcomeSignature, stepOutcomes } from './spec-outcome.ts';
import { parseSpec } from './spec-parser.ts';
import type { SpecInterleaving } from './spec-sessions.ts';

const spec = parseSpec(`
  session s1
  step s1r { SELECT x FROM t; }
  step s1w { UPDATE t SET x = 1; }
  session s2
  step s2r { SELECT x FROM t; }
`);

const rows = (value: string): StepResult => {
  const set = { fields: ['x'], rows: [[value]] };
  return { rows: [], rowCount: 1, command: 'SELECT', sets: [set], last: set };
};
const empty: StepResult = { rows: [], rowCount: 1, command: 'UPDATE', sets: [], last: null };

/**
 * A run of `order` (step names) in which each step completes at once with
 * `results[name]`, after the events `during[name]`.
 */
function run(
  order: string[],
  results: Record<string, StepResult | Error>,
  during: Record<string, RunEvent[]> = {},
): SpecInterleaving {
  const events: RunEvent[] = [];
  order.forEach((name, step) => {
    events.push({ kind: 'release', step });
    events.push(...(during[name] ?? []));
    const result = results[name]!;
    events.push(
      result instanceof Error
        ? { kind: 'done', step, result: null, error: result }
        : { kind: 'done', step, result, error: null },
    );
  });
  return {
    permutation: order.map((name) => ({ name, blockers: [] })),
    events,
    printed: '',
    teardown: 'final\n-----\n    1\n(1 row)\n\n',
    stuck: [],
  };
}

describe('the outcome of a spec run', () => {
  it('is each session’s step results in its own order, whatever order the steps ran in', () => {
    const results = { s1r: rows('0'), s1w: empty, s2r: rows('0') };
    const first = run(['s1r', 's1w', 's2r'], { ...results, s2r: rows('1') });
    const second = run(['s2r', 's1r', 's1w'], results);
    const third = run(['s1r', 's2r', 's1w'], results);
    expect(outcomeSignature(spec, second)).toBe(outcomeSignature(spec, third));
    expect(outcomeSignature(spec, first)).not.toBe(outcomeSignature(spec, second));
    expect(JSON.parse(outcomeSignature(spec, second))).toEqual({
      sessions: [
        {
          session: 's1',
          steps: [
            ['s1r', 'x\n-\n0\n(1 row)\n\n'],
            ['s1w', ''],
          ],
        },
        { session: 's2', steps: [['s2r', 'x\n-\n0\n(1 row)\n\n']] },
      ],
      teardown: 'final\n-----\n    1\n(1 row)\n\n',
    });
  });

  it('counts what the teardown printed, and an error by its message', () => {
    const failed = new StepError('could not serialize access', '40001', 'ERROR', 'ERROR:  could not…\n', []);
    const results = { s1r: rows('0'), s1w: failed, s2r: rows('0') };
    const base = run(['s1r', 's1w', 's2r'], results);
    expect(stepOutcomes(spec, base).get('s1w')).toBe('ERROR:  could not serialize access\n');
    expect(outcomeSignature(spec, { ...base, teardown: '' })).not.toBe(outcomeSignature(spec, base));
  });

  it('gives a notice to the step its session was running, and marks steps never completed or never sent', () => {
    const notice: RunEvent = { kind: 'notice', session: 0, text: 'NOTICE:  hello\n' };
    const withNotice = run(
      ['s1r', 's1w', 's2r'],
      { s1r: rows('0'), s1w: empty, s2r: rows('0') },
      { s1r: [notice] },
    );
    expect(stepOutcomes(spec, withNotice).get('s1r')).toBe('s1: NOTICE:  hello\nx\n-\n0\n(1 row)\n\n');
    const stuck: SpecInterleaving = {
      permutation: [{ name: 's1r', blockers: [] }],
      events: [
        { kind: 'release', step: 0 },
        { kind: 'blocked', step: 0 },
      ],
      printed: '',
      teardown: '',
      stuck: [0],
    };
    const steps = JSON.parse(outcomeSignature(spec, stuck)).sessions[0].steps;
    expect(steps).toEqual([
      ['s1r', 'never completes\n'],
      ['s1w', 'not run'],
    ]);
  });
});

describe('the lines of oversold spec --explore', () => {
  const exploration = (extra: Partial<SpecExploration>): SpecExploration => ({
    status: 'exhausted',
    interleavings: 6,
    pruned: 1,
    bounded: 0,
    preemptionBound: null,
    reduction: true,
    outcomes: [{ signature: 'a', permutation: [], printed: '' }],
    ...extra,
  });

  it('quotes each step of a permutation line, as a spec writes them', () => {
    expect(permutationLine(['s1r', 's2 r'])).toBe('permutation "s1r" "s2 r"');
  });

  it('says exhausted only when every interleaving was checked, and otherwise what stopped the search', () => {
    expect(explorationLine(exploration({}))).toBe(
      'exhausted: every interleaving checked (6 run, 1 branch pruned); 1 distinct outcome',
    );
    expect(explorationLine(exploration({ reduction: false, pruned: 0 }))).toBe(
      'exhausted: every interleaving checked (6 run, no reduction); 1 distinct outcome',
    );
    expect(explorationLine(exploration({ status: 'time-limit' }))).toBe(
      'not exhausted: stopped at --time-limit (6 run, 1 branch pruned); 1 distinct outcome among the interleavings run',
    );
    expect(explorationLine(exploration({ status: 'preemption-bound', preemptionBound: 1, bounded: 3 }))).toBe(
      'not exhausted: preemption bound 1 (6 run, 1 branch pruned, 3 beyond the bound); 1 distinct outcome among the interleavings run',
    );
  });
});
