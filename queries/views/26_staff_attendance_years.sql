-- Attendance at T summed month by month within each staff member's calendar year, with the
-- thresholds of 第四十一条(二) (late_early_per_year, personal_leave_per_year, sick_leave_per_year)
-- and whether the running sums have reached any of them by that month.
WITH s AS (
    SELECT a.*,
        SUM(late_early) OVER (PARTITION BY staff_id, year ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS late_early_sum,
        SUM(personal_leave_days) OVER (PARTITION BY staff_id, year ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS personal_leave_sum,
        SUM(sick_leave_days) OVER (PARTITION BY staff_id, year ORDER BY month ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sick_leave_sum
    FROM attendance_at a
)
SELECT s.*,
    (late_early_sum >= {{late_early_per_year}}
        OR personal_leave_sum >= {{personal_leave_per_year}}
        OR sick_leave_sum >= {{sick_leave_per_year}}) AS reached
FROM s
