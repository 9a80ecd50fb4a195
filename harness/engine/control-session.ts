import type { SqlSession } from './sql-session.ts';

/**
 * First key of the advisory locks that serve as SQL barriers. The second key
 * counts the buyer's barriers within a run; `oversold.pause` waits on the
 * lowest one the control session holds for its slot (see workspace-sql.ts).
 */
export const BARRIER_KEY_BASE = 0x4f560000;

/**
 * The harness's own session: it asks PostgreSQL who blocks whom and holds the
 * advisory locks that park buyers at SQL barriers.
 */
export class ControlSession {
  readonly session: SqlSession;

  constructor(session: SqlSession) {
    this.session = session;
  }

  get pid(): number {
    return this.session.pid;
  }

  /**
   * For each pid, the pids it waits for: heavyweight locks (pg_blocking_pids)
   * and a SERIALIZABLE DEFERRABLE transaction's wait for a safe snapshot.
   * Together these are what PostgreSQL's isolation tester asks.
   */
  async blockers(pids: readonly number[]): Promise<Map<number, number[]>> {
    const result = await this.session.query(
      'SELECT pid, pg_blocking_pids(pid) || pg_safe_snapshot_blocking_pids(pid) AS blockers FROM unnest($1::int[]) AS pid',
      [pids],
      { prepare: 'oversold_blockers' },
    );
    const map = new Map<number, number[]>();
    for (const row of result.rows) map.set(row.pid as number, row.blockers as number[]);
    return map;
  }

  /** Drops every barrier lock, then holds the first barrier of each slot. */
  async holdFirstBarriers(slots: readonly number[]): Promise<void> {
    await this.session.query(
      `SELECT pg_advisory_unlock_all(); SELECT pg_advisory_lock(${BARRIER_KEY_BASE} + slot, 1) FROM unnest(ARRAY[${slots.map(Number).join(',')}]::int[]) AS slot`,
    );
  }

  /** Lets a parked buyer through barrier `held`, holding `held + 1` first so its next pause parks too. */
  async releaseBarrier(slot: number, held: number): Promise<void> {
    await this.session.query(
      'SELECT pg_advisory_lock($1::int, $3::int), pg_advisory_unlock($1::int, $2::int)',
      [BARRIER_KEY_BASE + slot, held, held + 1],
    );
  }

  /** The label a buyer parked with: `oversold.pause` puts it in application_name before waiting. */
  async barrierLabel(pid: number): Promise<string> {
    const result = await this.session.query('SELECT application_name FROM pg_stat_get_activity($1)', [pid]);
    const name = String(result.rows[0]?.application_name ?? '');
    return name.startsWith('oversold.pause:') ? name.slice('oversold.pause:'.length) : name;
  }

  /** The pids among these whose session is inside a transaction while idle. */
  async idleInTransaction(pids: readonly number[]): Promise<number[]> {
    if (pids.length === 0) return [];
    // pg_stat_get_activity(pid) reads one backend's entry; the pg_stat_activity view costs ~4 ms.
    const result = await this.session.query(
      "SELECT pid FROM unnest($1::int[]) AS pid WHERE (SELECT state FROM pg_stat_get_activity(pid)) LIKE 'idle in transaction%'",
      [pids],
    );
    return result.rows.map((row) => row.pid as number);
  }

  /** Ends these sessions' backends (a hung buyer). */
  async terminate(pids: readonly number[]): Promise<void> {
    if (pids.length === 0) return;
    await this.session.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  }
}
