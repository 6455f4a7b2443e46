-- 预警日报: bad reviews not yet verified, with the hours left before the 24-hour limit.
SELECT hall_id, window_id, staff_id, rating_id, level, channel, rated_at, verify_due_at, comment,
    CAST(to_unixtime(verify_due_at) - to_unixtime({{as_of}}) AS DOUBLE) / 3600.0 AS hours_left
FROM bad_reviews
WHERE verified_at IS NULL AND hall_id IN ({{halls}}) AND {{as_of}} <= verify_due_at
ORDER BY verify_due_at, hall_id, rating_id
