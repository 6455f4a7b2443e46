-- staff.attendance — 考勤累计超限
-- metadata (severity, seed clause, parameters): staff.attendance.toml
-- In a calendar year, summed late_early ≥ late_early_per_year, or personal leave ≥
-- personal_leave_per_year days, or sick leave ≥ sick_leave_per_year days: one finding per staff
-- member and year, in the month the first threshold is reached; the hall is the staff table's.
WITH r AS (
    SELECT a.*, ROW_NUMBER() OVER (PARTITION BY a.staff_id, a.year ORDER BY a.month) AS k
    FROM staff_attendance_years a
    WHERE a.reached
)
SELECT s.hall_id,
    CAST(NULL AS VARCHAR) AS window_id,
    r.staff_id, r.staff_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    r.month,
    concat(CAST(r.year AS VARCHAR), ' 年截至 ', r.month, '：迟到早退 ', CAST(r.late_early_sum AS VARCHAR), ' 次，事假 ', CAST(r.personal_leave_sum AS VARCHAR), ' 天，病假 ', CAST(r.sick_leave_sum AS VARCHAR), ' 天') AS detail
FROM r
LEFT JOIN staff s ON s.staff_id = r.staff_id
WHERE r.k = 1
