DROP TABLE direct_purchases;
DROP TABLE direct_listings;
