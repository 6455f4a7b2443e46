-- 预警日报: cases due within a working day, with what a hall needs to act on them.
SELECT f.hall_id, f.window_id, f.staff_id, f.entity_id AS case_id, d.item_name, d.item_code, d.case_type,
    d.accepted_at, f.due_at, d.applicant_name
FROM run_findings f
JOIN case_deadlines d ON d.case_id = f.entity_id
WHERE f.rule = 'time_limit.due_soon' AND f.hall_id IN ({{halls}})
ORDER BY f.due_at, f.hall_id, f.entity_id
