import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultCaseRanges } from '../../properties/case-arbitrary.ts';
import { load, openWorkspace, runSchedule, twoBuyers } from '../../test/support/run-schedule.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import { checkStrategy } from '../check/check-strategy.ts';
import { ConnectionLostError } from './errors.ts';
import type { Lab } from './lab.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

const fixture = (name: string) => `test/fixtures/engine/${name}`;

describe('what the engine says when a strategy or the server misbehaves', () => {
  it("names the strategy's own line for each statement (regression: read `file.ts:1` under vitest)", async () => {
    const file = 'strategies/naive-read-modify-write.ts';
    const firstQuery =
      (await readFile(file, 'utf8')).split('\n').findIndex((line) => line.includes('db.query')) + 1;
    const strategy = await load(file);
    await using workspace = await openWorkspace(lab, strategy);
    const run = await runSchedule(workspace, strategy, twoBuyers(), []);
    expect(run.trace[0]).toMatchObject({ event: 'sent', at: `${file}:${firstQuery}` });
  });

  it('reports `throw null` as a throw (regression: it read "purchase() returned nothing")', async () => {
    const strategy = await load(fixture('throws-null.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    const run = await runSchedule(workspace, strategy, twoBuyers(), []);
    expect(run.outcomes.get(1)).toEqual({ kind: 'threw', message: 'purchase() threw null' });
    expect(run.trace).toContainEqual({ buyer: 1, event: 'threw', message: 'purchase() threw null' });
  });

  it('says a buyer lost its connection when its backend is terminated from outside (regression: blamed on the strategy)', async () => {
    const strategy = await load(fixture('terminates-other-buyer.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    // Buyer 1 runs SELECT 1, buyer 2 terminates buyer 1's backend, buyer 1 sends SELECT 2.
    const failure = await runSchedule(workspace, strategy, twoBuyers(), [1, 2, 1]).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConnectionLostError);
    expect((failure as Error).message).toMatch(
      /^buyer 1's connection to PostgreSQL was lost \(SQLSTATE (08006|57P01)/,
    );
    expect((failure as Error).message).not.toMatch(/transaction still open/);
    // The workspace opens fresh sessions for the next run.
    const next = await runSchedule(workspace, await load('strategies/guarded-update.ts'), twoBuyers(), []);
    expect(next.outcomes.get(1)).toEqual({ kind: 'returned', value: 'purchased' });
  });

  it("says a buyer's connection was lost between runs, with the server's SQLSTATE (regression: 'Client has encountered a connection error')", async () => {
    const strategy = await load(fixture('terminates-other-buyer.ts'));
    await using workspace = await openWorkspace(lab, strategy);
    // Buyer 1 finishes first; then buyer 2 ends buyer 1's backend. The run itself completes.
    await runSchedule(workspace, strategy, twoBuyers(), [1, 1, 2]);
    const failure = await runSchedule(workspace, strategy, twoBuyers(), []).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConnectionLostError);
    expect((failure as Error).message).toMatch(
      // The server's FATAL (57P01) when it is read before the next write; the socket's error (08006) when not.
      /^buyer 1's connection to PostgreSQL was lost between runs \(SQLSTATE (57P01: terminating connection due to administrator command|08006: [^)]+)\)/,
    );
  });

  it('fails a strategy that replaces oversold.pause, and puts it back for the next strategy', async () => {
    const options = {
      runs: 3,
      seed: 1,
      ranges: defaultCaseRanges,
      properties: ['no-oversell'] as const,
      timeoutMs: 10_000,
    };
    const forger = await load(fixture('replaces-pause.ts'));
    const forged = await checkStrategy(lab, forger, options);
    expect(forged.error).toMatch(
      /changed oversold's own functions \(schema oversold, e\.g\. oversold\.pause\)/,
    );
    expect(forged.passed).toBe(false);
    // The next strategy's SQL barriers still park and interleave: its oversell is still found.
    const next = await checkStrategy(
      lab,
      await load('test/fixtures/strategies/plpgsql-read-pause-write.sql'),
      {
        ...options,
        runs: 30,
      },
    );
    expect(next.error).toBeNull();
    expect(next.properties[0]).toMatchObject({ name: 'no-oversell', passed: false });
  });
});
