import { BARRIER_KEY_BASE } from './control-session.ts';

/**
 * The `oversold` schema present in every strategy's database.
 *
 * `oversold.pause(label)` parks the buyer on an advisory lock that the control
 * session holds: key (BARRIER_KEY_BASE + its backend pid, n), where n is the lowest such
 * key the control session holds now. Releasing barrier n, the control session
 * takes n + 1 before it drops n, so the buyer's next pause parks again. The
 * count lives in pg_locks, not in a variable that a ROLLBACK could undo.
 * Outside a forced interleaving (no `oversold.forced`, or nothing held for
 * this session) it returns at once.
 */
export const oversoldSchemaSql = `
CREATE SCHEMA IF NOT EXISTS oversold;
CREATE OR REPLACE FUNCTION oversold.pause(label text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $pause$
DECLARE
  slot int := pg_backend_pid();
  barrier int;
BEGIN
  -- Only the harness's buyer sessions look for barriers; others (oversold bench) pass at once.
  IF current_setting('oversold.forced', true) IS DISTINCT FROM 'on' THEN
    RETURN;
  END IF;
  SELECT min(objid::bigint)::int INTO barrier FROM pg_locks
   WHERE locktype = 'advisory' AND granted AND objsubid = 2
     -- Advisory keys are per database; other oversold runs may share the server.
     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
     AND classid = (${BARRIER_KEY_BASE} + slot)::oid AND pid <> pg_backend_pid();
  IF barrier IS NULL THEN
    RETURN;
  END IF;
  -- The harness reads the label from pg_stat_activity while the buyer waits.
  PERFORM set_config('application_name', left('oversold.pause:' || coalesce(label, ''), 63), false);
  PERFORM pg_advisory_lock(${BARRIER_KEY_BASE} + slot, barrier);
  PERFORM pg_advisory_unlock(${BARRIER_KEY_BASE} + slot, barrier);
END
$pause$;

`;
