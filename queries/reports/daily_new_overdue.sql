-- 预警日报: cases gone overdue since the start of the previous working day.
-- The findings are few and the cases many: the findings are filtered first and the case columns
-- come from cases_at (the deadline is the finding's due_at), so the join builds its hash table on
-- the findings, within a memory limit at any size, never on the deadline view of every case.
WITH f AS (
    SELECT hall_id, window_id, staff_id, entity_id, due_at
    FROM run_findings f
    WHERE f.rule = 'time_limit.overdue_open' AND f.hall_id IN ({{halls}}) AND f.due_at >= {{since}} AND NOT f.excused
)
SELECT f.hall_id, f.window_id, f.staff_id, f.entity_id AS case_id, d.item_name, d.item_code, d.case_type,
    d.accepted_at, f.due_at, d.applicant_name
FROM f
JOIN cases_at d ON d.case_id = f.entity_id
ORDER BY f.due_at, f.hall_id, f.entity_id
