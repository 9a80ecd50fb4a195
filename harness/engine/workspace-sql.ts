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

-- What a waiting session waits for, in words, as the harness's control session
-- sees it: a row (its first column), a table, an advisory lock, a transaction.
-- A row waiter holds the row's tuple lock while it waits for the holder's
-- transaction, so the tuple lock names the row. Invoker's rights and search
-- path: a relation is named as the control session would name it.
CREATE OR REPLACE FUNCTION oversold.lock_target(target int) RETURNS text
LANGUAGE plpgsql AS $target$
DECLARE
  held record;
  waiting record;
  shown text;
BEGIN
  SELECT l.relation::regclass::text AS relation, l.page, l.tuple INTO held FROM pg_catalog.pg_locks l
   WHERE l.pid = target AND l.locktype = 'tuple' AND l.relation IS NOT NULL ORDER BY l.granted LIMIT 1;
  IF FOUND THEN
    BEGIN
      EXECUTE format('SELECT (SELECT key || ''='' || value::text FROM pg_catalog.json_each(pg_catalog.row_to_json(r)) LIMIT 1)
                        FROM %s AS r WHERE ctid = format(''(%%s,%%s)'', $1, $2)::tid', held.relation)
        INTO shown USING held.page, held.tuple;
    EXCEPTION WHEN OTHERS THEN
      shown := NULL;
    END;
    RETURN held.relation || ' row' || coalesce(' (' || shown || ')', '');
  END IF;
  SELECT l.locktype, l.relation::regclass::text AS relation, l.classid::bigint AS classid,
         l.objid::bigint AS objid, l.objsubid INTO waiting FROM pg_catalog.pg_locks l
   WHERE l.pid = target AND NOT l.granted ORDER BY l.locktype LIMIT 1;
  IF NOT FOUND THEN
    RETURN NULL;
  ELSIF waiting.locktype = 'relation' AND waiting.relation IS NOT NULL THEN
    RETURN 'table ' || waiting.relation;
  ELSIF waiting.locktype = 'advisory' AND waiting.objsubid = 2 THEN
    RETURN format('advisory lock (%s, %s)', waiting.classid, waiting.objid);
  ELSIF waiting.locktype = 'advisory' THEN
    RETURN 'advisory lock ' || ((coalesce(waiting.classid, 0) << 32) | coalesce(waiting.objid, 0));
  ELSIF waiting.locktype = 'transactionid' THEN
    RETURN 'another transaction (a row or unique key it wrote)';
  END IF;
  RETURN waiting.locktype;
END
$target$;

`;
