-- Whom a shortage record alerted, at any change: the institutions and suppliers (comma-separated
-- ids), so that its resolution reaches every one of them even when they no longer ordered the
-- drug in the window or the contracts they held have ended.
ALTER TABLE shortages ADD COLUMN alerted_institutions TEXT NOT NULL DEFAULT '';
ALTER TABLE shortages ADD COLUMN alerted_suppliers TEXT NOT NULL DEFAULT '';
