-- Orders, deliveries, receipt confirmation, payables and credit events.
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    urgent BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    acknowledge_by TIMESTAMP NOT NULL,
    deliver_by TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    placed_by TEXT NOT NULL
);
CREATE INDEX orders_institution ON orders(institution_id, submitted_at);
CREATE INDEX orders_supplier ON orders(supplier_id, submitted_at);

CREATE TABLE order_lines (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    product_id BIGINT NOT NULL REFERENCES products(id),
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    declined_reason TEXT,
    declined_note TEXT,
    shipped BIGINT NOT NULL DEFAULT 0,
    confirmed BIGINT NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX order_lines_order ON order_lines(order_id);
CREATE INDEX order_lines_contract ON order_lines(contract_id);

CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders(id),
    shipper_id BIGINT NOT NULL REFERENCES suppliers(id),
    idempotency_key TEXT,
    shipped_at TIMESTAMP NOT NULL,
    UNIQUE (shipper_id, idempotency_key)
);
CREATE INDEX deliveries_order ON deliveries(order_id);

CREATE TABLE delivery_lines (
    id INTEGER PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES deliveries(id),
    order_line_id BIGINT NOT NULL REFERENCES order_lines(id),
    quantity BIGINT NOT NULL,
    batch_no TEXT NOT NULL,
    production_date DATE NOT NULL,
    expiry_date DATE NOT NULL,
    trace_codes TEXT NOT NULL,
    late BOOLEAN NOT NULL,
    receipt TEXT,
    receipt_reason TEXT,
    confirmed_at TIMESTAMP,
    confirmed_by TEXT
);
CREATE INDEX delivery_lines_delivery ON delivery_lines(delivery_id);
CREATE INDEX delivery_lines_order_line ON delivery_lines(order_line_id);

CREATE TABLE payables (
    id INTEGER PRIMARY KEY,
    delivery_line_id BIGINT NOT NULL REFERENCES delivery_lines(id),
    institution_id BIGINT NOT NULL REFERENCES institutions(id),
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    amount BIGINT NOT NULL,
    due_on DATE NOT NULL,
    paid_at TIMESTAMP,
    UNIQUE (delivery_line_id)
);
CREATE INDEX payables_institution ON payables(institution_id, due_on);
CREATE INDEX payables_supplier ON payables(supplier_id, due_on);

CREATE TABLE credit_events (
    id INTEGER PRIMARY KEY,
    supplier_id BIGINT NOT NULL REFERENCES suppliers(id),
    kind TEXT NOT NULL,
    order_line_id BIGINT REFERENCES order_lines(id),
    at TIMESTAMP NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX credit_events_supplier ON credit_events(supplier_id, at);
