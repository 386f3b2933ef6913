DROP TABLE listing_daily_stats;
