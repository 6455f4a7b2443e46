-- Denied cases of the month (decided = completed in the month) that have no register row.
WITH late AS (
    SELECT DISTINCT entity_id FROM run_findings WHERE rule = 'denial.unregistered'
)
SELECT c.case_id, c.hall_id, c.window_id, c.staff_id, c.item_code, c.item_name, c.outcome, c.completed_at, c.applicant_name,
    l.entity_id IS NOT NULL AS past_filing_deadline
FROM cases_at c
LEFT JOIN late l ON l.entity_id = c.case_id
WHERE c.outcome IN ('不予受理', '不予批准') AND c.hall_id IN ({{halls}})
  AND c.completed_at >= {{month_start}} AND c.completed_at < {{month_end}}
  AND NOT EXISTS (SELECT 1 FROM denials_at r WHERE r.case_id = c.case_id)
ORDER BY c.completed_at, c.case_id
