-- The year's accountability (年度问责, seed 000 第四十一条) in the December and January monthly
-- reports: the staff members of the office's halls to whom a clause applies, with the clauses and
-- the percentage of next year's 精神文明奖 withheld (the accountability view, as of the report's T).
SELECT hall_id, staff_id, employment, inspection_violations, late_early, personal_leave_days, sick_leave_days,
    clauses, withhold_percent, loses_honours
FROM accountability
WHERE year = {{year}} AND hall_id IN ({{halls}}) AND withhold_percent > 0
ORDER BY hall_id, withhold_percent DESC, staff_id
