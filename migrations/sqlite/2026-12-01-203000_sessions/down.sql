DROP INDEX login_failures_at;
DROP INDEX login_failures_address_at;
ALTER TABLE login_failures DROP COLUMN address;
DROP TABLE sessions;
