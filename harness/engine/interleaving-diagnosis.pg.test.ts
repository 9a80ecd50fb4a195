import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, openWorkspace, runSchedule, twoBuyers } from '../../test/support/run-schedule.ts';
import { openTestLab } from '../../test/support/test-lab.ts';
import type { TicketCase } from '../scenarios/tickets-scenario.ts';
import type { Lab } from './lab.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await openTestLab();
});
afterAll(async () => {
  await lab?.close();
});

const fixture = (name: string) => `test/fixtures/strategies/${name}`;
const oneBuyer: TicketCase = { capacity: 1, buyers: [{ id: 1, quantity: 1 }] };

/** The error a schedule of this fixture ends with. */
async function failureOf(file: string, kase = oneBuyer): Promise<string> {
  const strategy = await load(fixture(file));
  await using workspace = await openWorkspace(lab, strategy);
  const error = await runSchedule(workspace, strategy, kase, []).then(
    () => new Error('the run succeeded'),
    (caught: unknown) => caught as Error,
  );
  expect(error.name).toBe('StrategyMistakeError');
  return error.message;
}

describe('a buyer that throws with its transaction open (PostgreSQL)', () => {
  it('says which error, not only "returned an error with its transaction still open"', async () => {
    expect(await failureOf('throws-without-rollback.ts')).toMatch(
      /^buyer 1 threw "division by zero" \(SQLSTATE 22012\) from SELECT 1 \/ \(remaining - remaining\) FROM events WHERE event_… \(at test\/fixtures\/strategies\/throws-without-rollback\.ts:\d+\) and left its transaction open: ROLLBACK in a catch\/finally before purchase\(\) throws$/,
    );
  });

  it('names both errors when the strategy throws its own in place of the statement error', async () => {
    expect(await failureOf('wraps-error-without-rollback.ts')).toMatch(
      /^buyer 1 threw "checkout failed" after SELECT 1 \/ .* failed with "division by zero" \(SQLSTATE 22012\) and left its transaction open: ROLLBACK/,
    );
  });

  // PostgreSQL releases an aborted transaction's locks at the error, so only a
  // buyer that throws its own error still holds them: no one can move then.
  it('says what a buyer threw, not that it returned, when another buyer waits for its locks', async () => {
    expect(await failureOf('throws-holding-lock.ts', twoBuyers())).toBe(
      'buyer 1 threw "payment service unavailable" and left its transaction open, and buyer 2 waits for its locks: ROLLBACK in a catch/finally before purchase() throws',
    );
  });

  it('still says how a buyer that returned left its transaction open', async () => {
    expect(await failureOf('leaves-transaction-open.ts')).toBe(
      "buyer 1 returned 'purchased' with its transaction still open: COMMIT or ROLLBACK before purchase() returns",
    );
  });
});
