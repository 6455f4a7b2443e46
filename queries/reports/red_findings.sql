-- Every red finding of the month in the office's halls, with the rule's title and seed clause;
-- the excused ones (已申诉认可) are marked, and the report lists them apart.
SELECT f.rule, c.title, c.title_en, c.seed, c.seed_text, f.hall_id, f.window_id, f.staff_id, f.entity, f.entity_id, f.due_at, f.month, f.detail, f.excused
FROM run_findings f
JOIN rule_catalog c ON c.rule = f.rule
WHERE f.severity = 'red' AND f.hall_id IN ({{halls}}) AND f.month = '{{month}}'
ORDER BY f.rule, f.hall_id, f.entity_id
