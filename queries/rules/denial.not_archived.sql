-- denial.not_archived — 否定备案资料未归档
-- metadata (severity, seed clause, parameters): denial.not_archived.toml
SELECT hall_id, window_id, staff_id, register_id AS entity_id,
    filing_due_at AS due_at,
    to_char(filing_due_at, '%Y-%m') AS month,
    '资料未装订归档' AS detail
FROM denial_register
WHERE NOT COALESCE(archived, false) AND {{as_of}} > filing_due_at
