-- 预警日报: cases gone overdue since the start of the previous working day.
SELECT f.hall_id, f.window_id, f.staff_id, f.entity_id AS case_id, d.item_name, d.item_code, d.case_type,
    d.accepted_at, f.due_at, d.applicant_name
FROM run_findings f
JOIN case_deadlines d ON d.case_id = f.entity_id
WHERE f.rule = 'time_limit.overdue_open' AND f.hall_id IN ({{halls}}) AND f.due_at >= {{since}}
ORDER BY f.due_at, f.hall_id, f.entity_id
