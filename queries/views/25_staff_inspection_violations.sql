-- Inspections at T that found a violation by a named staff member, numbered within the staff
-- member's calendar year (1, 2, … by inspected_at, then inspection_id): staff.inspection_repeat
-- and the accountability read the N-th one.
SELECT i.*,
    CAST(date_part('year', i.inspected_at) AS BIGINT) AS year,
    ROW_NUMBER() OVER (PARTITION BY i.staff_id, date_part('year', i.inspected_at) ORDER BY i.inspected_at, i.inspection_id) AS nth,
    COUNT(*) OVER (PARTITION BY i.staff_id, date_part('year', i.inspected_at)) AS in_year
FROM inspections_at i
WHERE i.violation AND i.staff_id IS NOT NULL
