-- denial.no_legal_basis — 否定决定无法律政策依据
-- metadata (severity, seed clause, parameters): denial.no_legal_basis.toml
SELECT hall_id, window_id, staff_id, register_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(decided_at, '%Y-%m') AS month,
    '未填写法律政策依据' AS detail
FROM denial_register
WHERE legal_basis IS NULL
