-- 回告单: the red findings of the month in the halls, for the halls to answer (an excused one is
-- answered already). Its key columns are the responses contract's, so the filled form ingests back.
SELECT f.rule, f.entity_id, f.month, c.title, f.hall_id, f.window_id, f.staff_id, f.due_at, f.detail
FROM run_findings f
JOIN rule_catalog c ON c.rule = f.rule
WHERE f.severity = 'red' AND f.hall_id IN ({{halls}}) AND f.month = '{{month}}' AND NOT f.excused
ORDER BY f.hall_id, f.rule, f.entity_id
