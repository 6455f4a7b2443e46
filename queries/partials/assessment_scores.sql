-- The 月考核 scores (supervision.md "Monthly assessment") of the units `units` selects — unit_id,
-- hall_id, unit_name: windows or staff members — in each month their hall is assessed in
-- (assessment_months), as of T. A unit starts at assessment_base, and every finding of the month in
-- {{assessment_findings}} that is not excused and carries the unit's id in column `unit` (and its
-- hall, `by_hall`) adds its rule's points (the profile's [assessment.points]); `findings` counts
-- them. hall_rank: 1 + the hall's units with a higher score that month (ties share); the hall's
-- units are counted in column `count`, the name shown in `unit_name` (the id when there is none).
WITH points AS ({{assessment_points}}),
units AS ({{units}}),
scored AS (
    SELECT u.unit_id, u.hall_id, u.unit_name, a.month, a.month_index, a.ended
    FROM units u
    JOIN assessment_months a ON a.hall_id = u.hall_id
),
added AS (
    SELECT {{#if by_hall}}f.hall_id, {{/if}}f.{{unit}} AS unit_id, f.month, SUM(p.points) AS points, COUNT(*) AS findings
    FROM {{assessment_findings}} f
    JOIN points p ON p.rule = f.rule
    WHERE f.{{unit}} IS NOT NULL AND NOT COALESCE(f.excused, false)
    GROUP BY {{#if by_hall}}f.hall_id, {{/if}}f.{{unit}}, f.month
),
s AS (
    SELECT s.unit_id, s.hall_id, s.unit_name, s.month, s.month_index, s.ended,
        CAST({{assessment_base}} AS DOUBLE) AS base,
        COALESCE(a.points, CAST(0 AS DOUBLE)) AS points,
        CAST({{assessment_base}} AS DOUBLE) + COALESCE(a.points, CAST(0 AS DOUBLE)) AS score,
        COALESCE(a.findings, 0) AS findings
    FROM scored s
    LEFT JOIN added a ON {{#if by_hall}}a.hall_id = s.hall_id AND {{/if}}a.unit_id = s.unit_id AND a.month = s.month
)
SELECT s.month, s.hall_id, s.unit_id AS {{unit}},
    COALESCE(NULLIF(TRIM(h.hall_name), ''), s.hall_id) AS hall_name,
    COALESCE(NULLIF(TRIM(s.unit_name), ''), s.unit_id) AS {{unit_name}},
    s.base, s.points, s.score, {{assessment_grade}} AS grade,
    RANK() OVER (PARTITION BY s.hall_id, s.month ORDER BY s.score DESC) AS hall_rank,
    COUNT(*) OVER (PARTITION BY s.hall_id, s.month) AS {{count}},
    s.findings, s.month_index, s.ended
FROM s
LEFT JOIN (SELECT hall_id, MAX(hall_name) AS hall_name FROM halls GROUP BY hall_id) h ON h.hall_id = s.hall_id
