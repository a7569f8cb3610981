DROP TABLE bad_faith;
