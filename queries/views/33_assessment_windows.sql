-- 月考核 per window and month (supervision.md "Monthly assessment"), as of T: every window of the
-- windows table, in each month its hall is assessed in (assessment_months). It starts at
-- assessment_base and every finding of the month in the latest check run (latest_findings; a report
-- renders this file over its own run's, run_findings) that
-- is not excused and carries its hall and window adds its rule's points (the profile's
-- [assessment.points]); `findings` counts them. hall_rank: 1 + the hall's windows with a higher
-- score that month (ties share). Names beside the ids (the id when the reference table has none).
WITH points AS ({{assessment_points}}),
scored AS (
    SELECT DISTINCT w.hall_id, w.window_id, a.month, a.month_index, a.ended
    FROM windows w
    JOIN assessment_months a ON a.hall_id = w.hall_id
),
added AS (
    SELECT f.hall_id, f.window_id, f.month, SUM(p.points) AS points, COUNT(*) AS findings
    FROM {{assessment_findings}} f
    JOIN points p ON p.rule = f.rule
    WHERE f.window_id IS NOT NULL AND NOT COALESCE(f.excused, false)
    GROUP BY f.hall_id, f.window_id, f.month
),
s AS (
    SELECT s.hall_id, s.window_id, s.month, s.month_index, s.ended,
        CAST({{assessment_base}} AS DOUBLE) AS base,
        COALESCE(a.points, CAST(0 AS DOUBLE)) AS points,
        CAST({{assessment_base}} AS DOUBLE) + COALESCE(a.points, CAST(0 AS DOUBLE)) AS score,
        COALESCE(a.findings, 0) AS findings
    FROM scored s
    LEFT JOIN added a ON a.hall_id = s.hall_id AND a.window_id = s.window_id AND a.month = s.month
)
SELECT s.month, s.hall_id, s.window_id,
    COALESCE(NULLIF(TRIM(h.hall_name), ''), s.hall_id) AS hall_name,
    COALESCE(NULLIF(TRIM(w.window_name), ''), s.window_id) AS window_name,
    s.base, s.points, s.score, {{assessment_grade}} AS grade,
    RANK() OVER (PARTITION BY s.hall_id, s.month ORDER BY s.score DESC) AS hall_rank,
    COUNT(*) OVER (PARTITION BY s.hall_id, s.month) AS hall_windows,
    s.findings, s.month_index, s.ended
FROM s
LEFT JOIN (SELECT hall_id, MAX(hall_name) AS hall_name FROM halls GROUP BY hall_id) h ON h.hall_id = s.hall_id
LEFT JOIN (SELECT hall_id, window_id, MAX(window_name) AS window_name FROM windows GROUP BY hall_id, window_id) w
    ON w.hall_id = s.hall_id AND w.window_id = s.window_id
