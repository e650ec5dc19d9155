-- The tables examples/queue-mode/payment-events.json uses, in your own database (not n8n's).
-- Run once: psql -d <your database> -f examples/queue-mode/catalystpay-tables.sql

-- One row per completed payment whose order was recorded. "Ship the order" inserts the delivery's id
-- here and the order below in one statement (one transaction): a crash at any moment leaves both or
-- neither, and the primary key lets exactly one copy of a delivery through, whichever n8n webhook
-- process or worker it reached, at the same moment, after a crash or after a restart.
CREATE TABLE IF NOT EXISTS catalystpay_deliveries (
	delivery_id text PRIMARY KEY,
	event text NOT NULL,
	session_token text,
	claimed_at timestamptz NOT NULL DEFAULT now()
);
-- One payment, one order, forever: even a delivery of the same payment with other content (a new
-- deliveryId) records nothing a second time.
CREATE UNIQUE INDEX IF NOT EXISTS catalystpay_deliveries_one_completion
	ON catalystpay_deliveries (session_token) WHERE event = 'payment_session.completed';

-- What "Ship the order" records: one row per paid order. Deliberately no unique key on delivery_id or
-- session_token here: the gate above is what keeps an order from being recorded twice, and counting
-- these rows shows whether it did. Ship from here (or from a scheduled workflow that picks up what is
-- not shipped yet), with delivery_id as the idempotency key of your shipping API.
CREATE TABLE IF NOT EXISTS catalystpay_orders (
	id bigserial PRIMARY KEY,
	session_token text NOT NULL,
	order_number text,
	delivery_id text NOT NULL,
	n8n_execution_id text,
	shipped_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS catalystpay_orders_delivery_id ON catalystpay_orders (delivery_id);
