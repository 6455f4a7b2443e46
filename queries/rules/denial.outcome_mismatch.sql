-- denial.outcome_mismatch — 备案与办件结果不符
-- metadata (severity, seed clause, parameters): denial.outcome_mismatch.toml
SELECT hall_id, window_id, staff_id, register_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(decided_at, '%Y-%m') AS month,
    concat('登记为', denial_type, '，办件 ', case_id, ' 的结果为', case_outcome) AS detail
FROM denial_register
WHERE case_found AND case_outcome NOT IN ('不予受理', '不予批准')
