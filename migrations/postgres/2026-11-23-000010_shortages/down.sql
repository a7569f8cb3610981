DROP TABLE alert_optouts;
DROP TABLE shortage_responses;
DROP TABLE supply_interruptions;
DROP TABLE shortage_reports;
DROP TABLE shortage_events;
DROP TABLE shortages;
DROP TABLE job_firings;
