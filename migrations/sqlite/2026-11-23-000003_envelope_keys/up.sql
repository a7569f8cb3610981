-- The public half of each tender's envelope key (X25519): bids are sealed to it, and only
-- the commercial opening derives the secret half from the master secret.
ALTER TABLE tenders ADD COLUMN envelope_key TEXT NOT NULL DEFAULT '';
