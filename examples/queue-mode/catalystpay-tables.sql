-- The tables examples/queue-mode/payment-events.json uses, in your own database (not n8n's).
-- Run once: psql -d <your database> -f examples/queue-mode/catalystpay-tables.sql

-- One row per CatalystPay delivery ever handled. The workflow's first step after the trigger inserts
-- the delivery's id here; the primary key lets exactly one copy of a delivery through, whichever n8n
-- webhook process or worker it reached, at the same moment or after a restart.
CREATE TABLE IF NOT EXISTS catalystpay_deliveries (
	delivery_id text PRIMARY KEY,
	event text NOT NULL,
	session_token text,
	claimed_at timestamptz NOT NULL DEFAULT now()
);

-- What "Ship the order" does in the example: one row per shipped order. Deliberately no unique key
-- on delivery_id or session_token here: the gate above is what keeps an order from shipping twice,
-- and counting these rows shows whether it did.
CREATE TABLE IF NOT EXISTS catalystpay_orders (
	id bigserial PRIMARY KEY,
	session_token text NOT NULL,
	order_number text,
	delivery_id text NOT NULL,
	n8n_execution_id text,
	shipped_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS catalystpay_orders_delivery_id ON catalystpay_orders (delivery_id);
