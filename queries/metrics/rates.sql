-- The rates of rules.md per hall and month (scope 'hall') and per hall, window and month (scope
-- 'window'), computed with every check run and stored with it as the `rates` table.
--   按时办结率 on_time_rate = (即办 + 提前 + 按时) / completed      (by month of completion)
--   提前办结率 early_rate   = 提前 / completed 承诺件
--   denial completeness     = register rows no finding concerns / register rows (by month decided)
-- `run_findings` is this run's findings (the excused ones count nowhere).
-- One pass over the cases: they are counted by acceptance month, completion month and bucket,
-- and each group then counts once in the month it was accepted and, when completed, once in the
-- month it was completed (the cross join with two rows); both scopes come from one GROUPING SETS.
WITH flagged AS (
    SELECT DISTINCT entity_id FROM run_findings WHERE entity = 'denial' AND NOT excused
),
c AS (
    SELECT hall_id, window_id,
        date_trunc('month', accepted_at) AS accepted_month,
        date_trunc('month', completed_at) AS completed_month,
        bucket, case_type = '承诺件' AS promised, COUNT(*) AS n
    FROM case_deadlines
    GROUP BY hall_id, window_id, date_trunc('month', accepted_at), date_trunc('month', completed_at), bucket, case_type = '承诺件'
),
ev AS (
    SELECT hall_id, window_id,
        CASE WHEN k.side = 'accepted' THEN accepted_month ELSE completed_month END AS month_start,
        CASE WHEN k.side = 'accepted' THEN n ELSE 0 END AS accepted,
        CASE WHEN k.side = 'completed' THEN n ELSE 0 END AS completed,
        CASE WHEN k.side = 'completed' AND bucket = '即办' THEN n ELSE 0 END AS immediate,
        CASE WHEN k.side = 'completed' AND bucket = '提前' THEN n ELSE 0 END AS early,
        CASE WHEN k.side = 'completed' AND bucket = '按时' THEN n ELSE 0 END AS on_time,
        CASE WHEN k.side = 'completed' AND bucket = '超期' THEN n ELSE 0 END AS overdue,
        CASE WHEN k.side = 'completed' AND promised THEN n ELSE 0 END AS promised_completed,
        CAST(0 AS BIGINT) AS denial_rows, CAST(0 AS BIGINT) AS denial_complete
    FROM c CROSS JOIN (VALUES ('accepted'), ('completed')) AS k(side)
    WHERE k.side = 'accepted' OR c.completed_month IS NOT NULL
    UNION ALL
    SELECT r.hall_id, r.window_id, date_trunc('month', r.decided_at) AS month_start,
        0, 0, 0, 0, 0, 0, 0,
        CAST(1 AS BIGINT),
        CAST(CASE WHEN f.entity_id IS NULL THEN 1 ELSE 0 END AS BIGINT)
    FROM denial_register r
    LEFT JOIN flagged f ON f.entity_id = r.register_id
),
grouped AS (
    SELECT CASE WHEN grouping(window_id) = 1 THEN 'hall' ELSE 'window' END AS scope,
        hall_id, window_id, month_start,
        SUM(accepted) AS cases_accepted, SUM(completed) AS cases_completed,
        SUM(immediate) AS immediate, SUM(early) AS early, SUM(on_time) AS on_time, SUM(overdue) AS overdue,
        SUM(promised_completed) AS promised_completed,
        SUM(denial_rows) AS denial_rows, SUM(denial_complete) AS denial_complete
    FROM ev
    GROUP BY GROUPING SETS ((hall_id, window_id, month_start), (hall_id, month_start))
)
SELECT scope, hall_id, window_id, to_char(month_start, '%Y-%m') AS month,
    cases_accepted, cases_completed, immediate, early, on_time, overdue, promised_completed,
    CAST(immediate + early + on_time AS DOUBLE) / CAST(NULLIF(cases_completed, 0) AS DOUBLE) AS on_time_rate,
    CAST(early AS DOUBLE) / CAST(NULLIF(promised_completed, 0) AS DOUBLE) AS early_rate,
    denial_rows, denial_complete,
    CAST(denial_complete AS DOUBLE) / CAST(NULLIF(denial_rows, 0) AS DOUBLE) AS denial_completeness
FROM grouped
