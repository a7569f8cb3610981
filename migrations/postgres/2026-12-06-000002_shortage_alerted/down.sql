ALTER TABLE shortages DROP COLUMN alerted_suppliers;
ALTER TABLE shortages DROP COLUMN alerted_institutions;
