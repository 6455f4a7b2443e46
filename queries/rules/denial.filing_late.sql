-- denial.filing_late — 否定决定备案逾期
-- metadata (severity, seed clause, parameters): denial.filing_late.toml
SELECT hall_id, window_id, staff_id, register_id AS entity_id,
    filing_due_at AS due_at,
    to_char(filing_due_at, '%Y-%m') AS month,
    CASE WHEN filed_at IS NULL THEN concat('应于 ', to_char(filing_due_at, '%Y-%m-%d'), ' 前报送营商局备案，未报送')
         ELSE concat('应于 ', to_char(filing_due_at, '%Y-%m-%d'), ' 前报送营商局备案，实际 ', to_char(filed_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM denial_register
WHERE (filed_at IS NOT NULL AND filed_at > filing_due_at)
   OR (filed_at IS NULL AND {{as_of}} > filing_due_at)
