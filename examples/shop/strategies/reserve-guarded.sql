-- @name shop-reserve-guarded-sql
-- @scenario ../shop.scenario.ts
-- @description The guarded checkout as one PL/pgSQL function: purchase(p_request jsonb).
--
-- With your own schema, a .sql strategy creates purchase(p_request jsonb) and
-- receives the request that the scenario module's request() builds, as JSON:
-- here {"customerId": 1, "basket": [{"productId": 201, "quantity": 1}]}.
-- A function runs in one transaction; RAISE undoes everything it did.
CREATE FUNCTION purchase(p_request jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  line record;
BEGIN
  FOR line IN
    SELECT * FROM jsonb_to_recordset(p_request -> 'basket') AS b("productId" int, quantity int)
     ORDER BY "productId"
  LOOP
    UPDATE stock_levels SET reserved = reserved + line.quantity, updated_at = now()
     WHERE product_id = line."productId" AND on_hand - reserved >= line.quantity;
    IF NOT FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'P0001', MESSAGE = 'sold out';
    END IF;
    INSERT INTO reservations (customer_id, product_id, quantity)
    VALUES ((p_request ->> 'customerId')::int, line."productId", line.quantity);
  END LOOP;
  RETURN 'purchased';
EXCEPTION WHEN SQLSTATE 'P0001' THEN
  RETURN 'sold-out';
END
$$;
