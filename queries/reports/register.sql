-- 否定备案登记表: every register row decided in the month, with its completeness and every
-- finding against it (whatever month the finding belongs to).
WITH fl AS (
    SELECT f.entity_id, string_agg(concat(c.title, '（', f.detail, '）'), '；' ORDER BY f.rule) AS problems, COUNT(*) AS n
    FROM run_findings f JOIN rule_catalog c ON c.rule = f.rule
    WHERE f.entity = 'denial' AND NOT f.excused
    GROUP BY f.entity_id
)
SELECT r.register_id, r.case_id, r.hall_id, r.window_id, r.item_code, r.applicant_name, r.denial_type, r.decided_at,
    r.reason, r.legal_basis, r.approval_type, r.approver, r.notice_served_at, r.notice_due_at, r.filed_at, r.filing_due_at,
    r.archived, fl.n IS NULL AS complete, COALESCE(fl.n, 0) AS findings, fl.problems
FROM denial_register r
LEFT JOIN fl ON fl.entity_id = r.register_id
WHERE r.hall_id IN ({{halls}}) AND r.decided_at >= {{month_start}} AND r.decided_at < {{month_end}}
ORDER BY r.decided_at, r.register_id
