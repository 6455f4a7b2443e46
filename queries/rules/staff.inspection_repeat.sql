-- staff.inspection_repeat — 一年内巡查违规5次(含)以上
-- metadata (severity, seed clause, parameters): staff.inspection_repeat.toml
-- The inspection_repeat_count-th violation of a staff member in a calendar year: one finding per
-- staff member and year, in the month of that inspection. The hall is the staff table's (the
-- inspection's when the staff member is not in it).
SELECT COALESCE(s.hall_id, v.hall_id) AS hall_id,
    CAST(NULL AS VARCHAR) AS window_id,
    v.staff_id, v.staff_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(v.inspected_at, '%Y-%m') AS month,
    concat(CAST(v.year AS VARCHAR), ' 年第 ', CAST(v.nth AS VARCHAR), ' 次巡查违规（', v.inspection_id, '，', to_char(v.inspected_at, '%Y-%m-%d'), '），全年 ', CAST(v.in_year AS VARCHAR), ' 次') AS detail
FROM staff_inspection_violations v
LEFT JOIN staff s ON s.staff_id = v.staff_id
WHERE v.nth = {{inspection_repeat_count}}
