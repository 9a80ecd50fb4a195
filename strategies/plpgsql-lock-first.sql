-- @name plpgsql-lock-first
-- @description A PL/pgSQL purchase() that locks the event row with SELECT … FOR UPDATE before it checks.
--
-- Idea: put the whole purchase in one server-side function, called as one
-- statement (`SELECT purchase($1, $2, $3)`), and make its first statement a
-- locking read of the event row.
-- Holds: the call runs in its own transaction, so the row lock is held until
-- the function returns and its transaction commits. A second buyer's locking
-- read waits for that commit, then READ COMMITTED re-reads the row's newest
-- version, so it sees the decremented stock. The barriers below let oversold
-- interleave the buyers inside the function: every place where another buyer
-- could try to get in is a point the scheduler explores.
-- PostgreSQL fact: a function is not atomic against other sessions by itself;
-- without FOR UPDATE, two calls could both read the same remaining (each
-- statement inside takes its own snapshot under READ COMMITTED).
CREATE FUNCTION purchase(p_event_id int, p_buyer_id int, p_quantity int) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v_remaining int;
BEGIN
  SELECT remaining INTO v_remaining FROM events WHERE event_id = p_event_id FOR UPDATE;
  PERFORM oversold.pause('locked');
  IF v_remaining < p_quantity THEN
    RETURN 'sold-out';
  END IF;
  UPDATE events SET remaining = remaining - p_quantity WHERE event_id = p_event_id;
  PERFORM oversold.pause('decremented');
  INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (p_event_id, p_buyer_id, p_quantity);
  RETURN 'purchased';
END
$$;
