import { openSpecDatabase } from './spec-database.ts';
import { allPermutations, type PermutationStep, type TestSpec } from './spec-parser.ts';
import {
  type SpecInterleaving,
  SpecSessions,
  SpecStopped,
  SpecUnsupportedError,
  type StepSchedule,
} from './spec-sessions.ts';
import { unsupportedReason } from './unsupported.ts';

export interface SpecRunOptions {
  /** The server to run on; the spec runs in a scratch database created there and dropped after. */
  readonly url: string;
  /** Longest one step may take (isolationtester's default is 300 s). */
  readonly timeoutMs: number;
  /** Receives the output as it is produced, exactly as isolationtester prints it. */
  readonly write?: (text: string) => void;
  /** Called after each permutation has run, with what it printed and what the engine observed. */
  readonly onPermutation?: (run: SpecInterleaving) => void;
}

export interface SpecRunResult {
  /** Everything printed: isolationtester's stdout and stderr, as pg_isolation_regress captures them. */
  readonly output: string;
  /** Why oversold cannot run this spec as isolationtester does; null when it ran it. */
  readonly unsupported: string | null;
  readonly serverVersion: string;
  readonly serverMajor: number;
}

/**
 * Runs an isolation spec: for each permutation (every ordering when the spec
 * lists none) setup, session setups, the steps through oversold's engine (each
 * session is a buyer; the scheduler releases the steps in the permutation's
 * order), session teardowns and teardown, printing what isolationtester prints.
 */
export async function runSpec(spec: TestSpec, options: SpecRunOptions): Promise<SpecRunResult> {
  let output = '';
  const write = (text: string): void => {
    output += text;
    options.write?.(text);
  };
  await using database = await openSpecDatabase(options.url);
  const about = { serverVersion: database.serverVersion, serverMajor: database.serverMajor };
  const reason = unsupportedReason(spec, database);
  if (reason) return { output, unsupported: reason, ...about };
  for (const warning of spec.warnings) write(`${warning}\n`);
  write(`Parsed test spec with ${spec.sessions.length} sessions\n`);
  await using sessions = await SpecSessions.open(spec, database);
  const permutations = spec.permutations.length > 0 ? spec.permutations : allPermutations(spec);
  try {
    for (const permutation of permutations) {
      write(`\nstarting permutation: ${permutation.map((step) => step.name).join(' ')}\n`);
      const run = await sessions.run(permutationSchedule(spec, permutation), write, options.timeoutMs);
      options.onPermutation?.(run);
    }
  } catch (error) {
    // isolationtester exits after a failed setup: what it printed is the whole output.
    if (error instanceof SpecStopped) return { output, unsupported: null, ...about };
    if (error instanceof SpecUnsupportedError) return { output, unsupported: error.message, ...about };
    throw error;
  }
  return { output, unsupported: null, ...about };
}

/** Releases the permutation's steps in its order; a step due while its session still waits cannot be run. */
function permutationSchedule(spec: TestSpec, permutation: readonly PermutationStep[]): StepSchedule {
  const sessionOf = new Map(
    spec.sessions.flatMap((session, index) => session.steps.map((step) => [step.name, index])),
  );
  const bySession = spec.sessions.map((_, index) =>
    permutation.filter((pstep) => sessionOf.get(pstep.name) === index),
  );
  return {
    stepsOf: (session) => bySession[session]!,
    choose: (index, ready) => {
      const name = permutation[index]!.name;
      const session = sessionOf.get(name)!;
      if (!ready.includes(session)) {
        throw new SpecUnsupportedError(
          `step ${name} is due while session ${spec.sessions[session]!.name} still waits for a lock that no step releases (only a timeout could end it)`,
        );
      }
      return session;
    },
    stuckIsOutcome: false,
  };
}
