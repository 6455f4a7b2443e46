-- assessment.bottom — 月考核连续排名末位
-- metadata (severity, seed clause, parameters): assessment.bottom.toml
-- A window last in its hall's monthly assessment (its hall_rank the hall's largest, ties included)
-- in month M and in each of the consecutive_months - 1 months right before it, every one of them
-- scored, ended by T, and with at least two scored windows in the hall (supervision.md "Monthly
-- assessment"). The scores are assessment_windows' over this run's findings (`run_findings`: the
-- rule runs after the others and after response.late, `stage = 2` in its metadata), excused ones
-- left out. Month: the last of the run.
WITH points AS ({{assessment_points}}),
scored AS (
    SELECT DISTINCT w.hall_id, w.window_id, a.month, a.month_index
    FROM windows w
    JOIN assessment_months a ON a.hall_id = w.hall_id
    WHERE a.ended
),
added AS (
    SELECT f.hall_id, f.window_id, f.month, SUM(p.points) AS points
    FROM run_findings f
    JOIN points p ON p.rule = f.rule
    WHERE f.window_id IS NOT NULL AND NOT COALESCE(f.excused, false)
    GROUP BY f.hall_id, f.window_id, f.month
),
ranked AS (
    SELECT s.hall_id, s.window_id, s.month, s.month_index,
        CAST({{assessment_base}} AS DOUBLE) + COALESCE(a.points, CAST(0 AS DOUBLE)) AS score,
        RANK() OVER (PARTITION BY s.hall_id, s.month ORDER BY CAST({{assessment_base}} AS DOUBLE) + COALESCE(a.points, CAST(0 AS DOUBLE)) DESC) AS hall_rank,
        COUNT(*) OVER (PARTITION BY s.hall_id, s.month) AS hall_windows
    FROM scored s
    LEFT JOIN added a ON a.hall_id = s.hall_id AND a.window_id = s.window_id AND a.month = s.month
),
bottom AS (
    SELECT hall_id, window_id, month, month_index, score
    FROM (SELECT r.*, MAX(hall_rank) OVER (PARTITION BY hall_id, month) AS last_rank FROM ranked r) x
    WHERE hall_rank = last_rank AND hall_windows >= 2
),
{{> months_in_a_row}}
SELECT hall_id, window_id, CAST(NULL AS VARCHAR) AS staff_id, concat(hall_id, '/', window_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    month,
    concat('连续 ', CAST({{consecutive_months}} AS VARCHAR), ' 个月考核排名本厅末位（本月 ', CAST(score AS VARCHAR), ' 分）') AS detail
FROM counted
WHERE months_in_a_row >= {{consecutive_months}}
