DROP TABLE bad_faith_warnings;
