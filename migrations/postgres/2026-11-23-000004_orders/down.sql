DROP TABLE credit_events;
DROP TABLE payables;
DROP TABLE delivery_lines;
DROP TABLE deliveries;
DROP TABLE order_lines;
DROP TABLE orders;
