-- 按时办结率 for the twelve months up to the report's month (months with completed cases).
SELECT month, SUM(cases_completed) AS cases_completed,
    CAST(SUM(immediate) + SUM(early) + SUM(on_time) AS DOUBLE) / CAST(NULLIF(SUM(cases_completed), 0) AS DOUBLE) AS on_time_rate
FROM run_rates
WHERE scope = 'hall' AND hall_id IN ({{halls}}) AND month <= '{{month}}' AND month > '{{month_minus_12}}' AND cases_completed > 0
GROUP BY month
ORDER BY month
