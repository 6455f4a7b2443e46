-- denial.no_reason — 否定决定无理由
-- metadata (severity, seed clause, parameters): denial.no_reason.toml
SELECT hall_id, window_id, staff_id, register_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(decided_at, '%Y-%m') AS month,
    '未填写否定理由' AS detail
FROM denial_register
WHERE reason IS NULL
