-- denial.unregistered — 否定决定未备案
-- metadata (severity, seed clause, parameters): denial.unregistered.toml
-- A case denied at T (不予受理 or 不予批准) with no register row, T past the filing deadline
-- counted from its completed_at.
WITH denied AS (
    SELECT c.*, w.day_end AS filing_due_at
    FROM cases_at c
    JOIN calendar_days d ON d.day = CAST(c.completed_at AS DATE)
    JOIN calendar_days w ON w.is_workday AND w.workday_seq = d.workday_seq + {{filing_within_workdays}}
    -- outcome at T IN (…), written on the exported outcome: a case not completed at T is 办理中
    -- (cases_at), so only a completed one can be denied; a column compared instead of each case's
    -- outcome at T built first.
    WHERE c.completed_at IS NOT NULL AND c.outcome_exported IN ('不予受理', '不予批准')
)
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    filing_due_at AS due_at,
    to_char(filing_due_at, '%Y-%m') AS month,
    concat(outcome, '，', to_char(completed_at, '%Y-%m-%d'), ' 决定，无否定备案登记') AS detail
FROM denied
WHERE {{as_of}} > filing_due_at
  AND NOT EXISTS (SELECT 1 FROM denials_at r WHERE r.case_id = denied.case_id)
