-- The rates of rules.md per hall and month (scope 'hall') and per hall, window and month (scope
-- 'window'), computed with every check run and stored with it as the `rates` table.
--   按时办结率 on_time_rate = (即办 + 提前 + 按时) / completed      (by month of completion)
--   提前办结率 early_rate   = 提前 / completed 承诺件
--   denial completeness     = register rows no finding concerns / register rows (by month decided)
-- `run_findings` is this run's findings.
WITH flagged AS (
    SELECT DISTINCT entity_id FROM run_findings WHERE entity = 'denial'
),
ev AS (
    SELECT hall_id, window_id, to_char(accepted_at, '%Y-%m') AS month,
        1 AS accepted, 0 AS completed, 0 AS immediate, 0 AS early, 0 AS on_time, 0 AS overdue,
        0 AS promised_completed, 0 AS denial_rows, 0 AS denial_complete
    FROM case_deadlines
    UNION ALL
    SELECT hall_id, window_id, to_char(completed_at, '%Y-%m') AS month,
        0, 1,
        CASE WHEN bucket = '即办' THEN 1 ELSE 0 END,
        CASE WHEN bucket = '提前' THEN 1 ELSE 0 END,
        CASE WHEN bucket = '按时' THEN 1 ELSE 0 END,
        CASE WHEN bucket = '超期' THEN 1 ELSE 0 END,
        CASE WHEN case_type = '承诺件' THEN 1 ELSE 0 END,
        0, 0
    FROM case_deadlines
    WHERE completed_at IS NOT NULL
    UNION ALL
    SELECT r.hall_id, r.window_id, to_char(r.decided_at, '%Y-%m') AS month,
        0, 0, 0, 0, 0, 0, 0,
        1,
        CASE WHEN f.entity_id IS NULL THEN 1 ELSE 0 END
    FROM denial_register r
    LEFT JOIN flagged f ON f.entity_id = r.register_id
),
grouped AS (
    SELECT 'window' AS scope, hall_id, window_id, month,
        SUM(accepted) AS cases_accepted, SUM(completed) AS cases_completed,
        SUM(immediate) AS immediate, SUM(early) AS early, SUM(on_time) AS on_time, SUM(overdue) AS overdue,
        SUM(promised_completed) AS promised_completed,
        SUM(denial_rows) AS denial_rows, SUM(denial_complete) AS denial_complete
    FROM ev
    GROUP BY hall_id, window_id, month
    UNION ALL
    SELECT 'hall' AS scope, hall_id, CAST(NULL AS VARCHAR) AS window_id, month,
        SUM(accepted), SUM(completed), SUM(immediate), SUM(early), SUM(on_time), SUM(overdue),
        SUM(promised_completed), SUM(denial_rows), SUM(denial_complete)
    FROM ev
    GROUP BY hall_id, month
)
SELECT scope, hall_id, window_id, month,
    cases_accepted, cases_completed, immediate, early, on_time, overdue, promised_completed,
    CAST(immediate + early + on_time AS DOUBLE) / CAST(NULLIF(cases_completed, 0) AS DOUBLE) AS on_time_rate,
    CAST(early AS DOUBLE) / CAST(NULLIF(promised_completed, 0) AS DOUBLE) AS early_rate,
    denial_rows, denial_complete,
    CAST(denial_complete AS DOUBLE) / CAST(NULLIF(denial_rows, 0) AS DOUBLE) AS denial_completeness
FROM grouped
