ALTER TABLE delivery_lines DROP COLUMN rejected;
ALTER TABLE delivery_lines DROP COLUMN accepted;
