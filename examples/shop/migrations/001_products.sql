-- The catalogue: one row per product.
CREATE TABLE products (
  product_id  int PRIMARY KEY,
  sku         text NOT NULL UNIQUE,
  name        text NOT NULL,
  price_cents int NOT NULL CHECK (price_cents >= 0)
);

-- Stock per product: units on the shelf, and how many of them are promised
-- to customers whose reservations are still open. Available = on_hand - reserved.
CREATE TABLE stock_levels (
  product_id int PRIMARY KEY REFERENCES products ON DELETE CASCADE,
  on_hand    int NOT NULL CHECK (on_hand >= 0),
  reserved   int NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);
