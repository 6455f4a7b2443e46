-- Annual accountability (年度问责, seed 000 第四十一条; supervision.md "Annual accountability"): one
-- row per staff member and calendar year with any record at T — violations found by inspection,
-- substantiated complaints by level, summed attendance — the clauses that apply and the
-- percentage of next year's 精神文明奖 withheld (the largest of them; the seed does not add them
-- up). The conditions are those of staff.inspection_repeat, staff.complaint_substantiated and
-- staff.attendance; a finding excused at T (an appeal decided 认可 by T, by its own key rule +
-- entity_id + month) does not count. (一) also removes the year's 评先评优 eligibility.
-- Attendance (二): 在编 50 %, everyone else (非编, or no employment in the staff table) 100 %.
WITH excused AS (
    SELECT DISTINCT rule, entity_id, month
    FROM responses
    WHERE COALESCE(appeal, false) AND decision = '认可' AND decided_at <= {{as_of}}
),
insp AS (
    SELECT staff_id, year, COUNT(*) AS inspection_violations,
        MAX(CASE WHEN nth = {{inspection_repeat_count}} THEN to_char(inspected_at, '%Y-%m') END) AS repeat_month
    FROM staff_inspection_violations
    GROUP BY staff_id, year
),
comp AS (
    SELECT c.staff_id, CAST(date_part('year', c.received_at) AS BIGINT) AS year, c.level
    FROM complaints_at c
    LEFT JOIN excused e ON e.rule = 'staff.complaint_substantiated' AND e.entity_id = c.complaint_id AND e.month = to_char(c.received_at, '%Y-%m')
    WHERE c.substantiated AND c.staff_id IS NOT NULL AND e.rule IS NULL
),
comp_y AS (
    SELECT staff_id, year,
        SUM(CASE WHEN level = '中心' THEN 1 ELSE 0 END) AS complaints_center,
        SUM(CASE WHEN level = '厅效能办' THEN 1 ELSE 0 END) AS complaints_department,
        SUM(CASE WHEN level = '省效能办' THEN 1 ELSE 0 END) AS complaints_province,
        SUM(CASE WHEN level = '媒体曝光' THEN 1 ELSE 0 END) AS complaints_media,
        SUM(CASE WHEN level IS NULL THEN 1 ELSE 0 END) AS complaints_no_level
    FROM comp
    GROUP BY staff_id, year
),
att AS (
    SELECT staff_id, year,
        SUM(late_early) AS late_early, SUM(personal_leave_days) AS personal_leave_days, SUM(sick_leave_days) AS sick_leave_days,
        MIN(CASE WHEN reached THEN month END) AS reached_month
    FROM staff_attendance_years
    GROUP BY staff_id, year
),
-- The conditions reached in a month — (一)'s repeated inspection, (二)'s attendance — each
-- counting unless an appeal excused its finding (rule + staff + month).
reached AS (
    SELECT 'staff.inspection_repeat' AS rule, staff_id, year, repeat_month AS month FROM insp WHERE repeat_month IS NOT NULL
    UNION ALL
    SELECT 'staff.attendance' AS rule, staff_id, year, reached_month AS month FROM att WHERE reached_month IS NOT NULL
),
counted AS (
    SELECT r.staff_id, r.year,
        bool_or(r.rule = 'staff.inspection_repeat') AS inspection_repeat,
        bool_or(r.rule = 'staff.attendance') AS attendance_reached
    FROM reached r
    LEFT JOIN excused e ON e.rule = r.rule AND e.entity_id = r.staff_id AND e.month = r.month
    WHERE e.rule IS NULL
    GROUP BY r.staff_id, r.year
),
k AS (
    SELECT staff_id, year FROM insp
    UNION SELECT staff_id, year FROM comp_y
    UNION SELECT staff_id, year FROM att
),
j AS (
    SELECT k.staff_id, s.staff_name, s.hall_id, s.employment, k.year,
        COALESCE(i.inspection_violations, 0) AS inspection_violations,
        COALESCE(r.inspection_repeat, false) AS inspection_repeat,
        COALESCE(c.complaints_center, 0) AS complaints_center,
        COALESCE(c.complaints_department, 0) AS complaints_department,
        COALESCE(c.complaints_province, 0) AS complaints_province,
        COALESCE(c.complaints_media, 0) AS complaints_media,
        COALESCE(c.complaints_no_level, 0) AS complaints_no_level,
        COALESCE(a.late_early, 0) AS late_early,
        COALESCE(a.personal_leave_days, 0.0) AS personal_leave_days,
        COALESCE(a.sick_leave_days, 0.0) AS sick_leave_days,
        COALESCE(r.attendance_reached, false) AS attendance_reached
    FROM k
    LEFT JOIN staff s ON s.staff_id = k.staff_id
    LEFT JOIN insp i ON i.staff_id = k.staff_id AND i.year = k.year
    LEFT JOIN comp_y c ON c.staff_id = k.staff_id AND c.year = k.year
    LEFT JOIN att a ON a.staff_id = k.staff_id AND a.year = k.year
    LEFT JOIN counted r ON r.staff_id = k.staff_id AND r.year = k.year
),
x AS (
    SELECT j.*,
        (j.inspection_repeat OR j.complaints_center > 0) AS c1_center,
        j.complaints_department > 0 AS c1_department,
        j.complaints_province > 0 AS c1_province,
        j.attendance_reached AS c2,
        j.complaints_media > 0 AS c3,
        CASE WHEN j.employment = '在编' THEN 50 ELSE 100 END AS c2_percent
    FROM j
)
SELECT staff_id, staff_name, hall_id, employment, year,
    inspection_violations, inspection_repeat,
    complaints_center, complaints_department, complaints_province, complaints_media, complaints_no_level,
    late_early, personal_leave_days, sick_leave_days, attendance_reached,
    concat_ws('；',
        CASE WHEN c1_center THEN '(一) 中心查实或巡查5次以上：扣发25%' END,
        CASE WHEN c1_department THEN '(一) 厅效能办查实：扣发50%' END,
        CASE WHEN c1_province THEN '(一) 省效能办查实：扣发75%' END,
        CASE WHEN c2 AND c2_percent = 50 THEN '(二) 考勤（在编）：扣发50%' END,
        CASE WHEN c2 AND c2_percent = 100 THEN '(二) 考勤（非编）：不予发放' END,
        CASE WHEN c3 THEN '(三) 媒体曝光：不予发放' END) AS clauses,
    CAST(greatest(
        CASE WHEN c1_center THEN 25 ELSE 0 END,
        CASE WHEN c1_department THEN 50 ELSE 0 END,
        CASE WHEN c1_province THEN 75 ELSE 0 END,
        CASE WHEN c2 THEN c2_percent ELSE 0 END,
        CASE WHEN c3 THEN 100 ELSE 0 END) AS BIGINT) AS withhold_percent,
    (c1_center OR c1_department OR c1_province) AS loses_honours
FROM x
