-- 月考核 per staff member and month (supervision.md "Monthly assessment"), as of T: every staff
-- member of the staff table, in each month their hall (the staff table's) is assessed in. As
-- assessment_windows, over the findings that carry the member's staff_id, whichever hall they are
-- of. hall_rank: 1 + the hall's staff with a higher score that month (ties share). The name is
-- the staff table's as this session sees it (masked when the session masks staff names).
WITH points AS ({{assessment_points}}),
members AS (
    SELECT staff_id, MAX(hall_id) AS hall_id, MAX(staff_name) AS staff_name FROM staff GROUP BY staff_id
),
scored AS (
    SELECT m.staff_id, m.hall_id, m.staff_name, a.month, a.month_index, a.ended
    FROM members m
    JOIN assessment_months a ON a.hall_id = m.hall_id
),
added AS (
    SELECT f.staff_id, f.month, SUM(p.points) AS points, COUNT(*) AS findings
    FROM {{assessment_findings}} f
    JOIN points p ON p.rule = f.rule
    WHERE f.staff_id IS NOT NULL AND NOT COALESCE(f.excused, false)
    GROUP BY f.staff_id, f.month
),
s AS (
    SELECT s.staff_id, s.hall_id, s.staff_name, s.month, s.month_index, s.ended,
        CAST({{assessment_base}} AS DOUBLE) AS base,
        COALESCE(a.points, CAST(0 AS DOUBLE)) AS points,
        CAST({{assessment_base}} AS DOUBLE) + COALESCE(a.points, CAST(0 AS DOUBLE)) AS score,
        COALESCE(a.findings, 0) AS findings
    FROM scored s
    LEFT JOIN added a ON a.staff_id = s.staff_id AND a.month = s.month
)
SELECT s.month, s.hall_id, s.staff_id,
    COALESCE(NULLIF(TRIM(h.hall_name), ''), s.hall_id) AS hall_name,
    COALESCE(NULLIF(TRIM(s.staff_name), ''), s.staff_id) AS staff_name,
    s.base, s.points, s.score, {{assessment_grade}} AS grade,
    RANK() OVER (PARTITION BY s.hall_id, s.month ORDER BY s.score DESC) AS hall_rank,
    COUNT(*) OVER (PARTITION BY s.hall_id, s.month) AS hall_staff,
    s.findings, s.month_index, s.ended
FROM s
LEFT JOIN (SELECT hall_id, MAX(hall_name) AS hall_name FROM halls GROUP BY hall_id) h ON h.hall_id = s.hall_id
