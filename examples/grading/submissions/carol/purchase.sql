-- Carol, lab 4. The whole purchase is one function call, so it is one
-- transaction. The UPDATE checks and takes the tickets in one statement;
-- FOUND is false when no row had enough left.
CREATE FUNCTION purchase(p_event_id int, p_buyer_id int, p_quantity int) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
  UPDATE events SET remaining = remaining - p_quantity
   WHERE event_id = p_event_id AND remaining >= p_quantity;
  IF NOT FOUND THEN
    RETURN 'sold-out';
  END IF;
  PERFORM oversold.pause('tickets taken');
  INSERT INTO tickets (event_id, buyer_id, quantity) VALUES (p_event_id, p_buyer_id, p_quantity);
  RETURN 'purchased';
END
$$;
