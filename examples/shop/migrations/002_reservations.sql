-- A customer's hold on units of one product, from checkout until it is
-- confirmed (paid) or released (abandoned, expired).
CREATE TYPE reservation_status AS ENUM ('held', 'confirmed', 'released');

CREATE TABLE reservations (
  reservation_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id    int NOT NULL,
  product_id     int NOT NULL REFERENCES products,
  quantity       int NOT NULL CHECK (quantity > 0),
  status         reservation_status NOT NULL DEFAULT 'held',
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX reservations_open_by_product ON reservations (product_id) WHERE status <> 'released';
