DROP INDEX products_national_agent;
ALTER TABLE products DROP COLUMN national_agent_id;
