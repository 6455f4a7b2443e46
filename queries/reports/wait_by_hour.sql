-- Waiting time by hour of day (ticket taken) for the month.
SELECT CAST(date_part('hour', issued_at) AS BIGINT) AS hour,
    COUNT(*) AS tickets,
    AVG(CAST(to_unixtime(called_at) - to_unixtime(issued_at) AS DOUBLE)) / 60.0 AS mean_wait_min,
    SUM(CASE WHEN called_at > issued_at + INTERVAL '{{wait_explain_minutes}} minutes' THEN 1 ELSE 0 END) AS long_waits
FROM tickets_at
WHERE hall_id IN ({{halls}}) AND issued_at >= {{month_start}} AND issued_at < {{month_end}}
GROUP BY CAST(date_part('hour', issued_at) AS BIGINT)
ORDER BY hour
