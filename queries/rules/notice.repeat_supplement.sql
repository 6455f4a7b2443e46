-- notice.repeat_supplement — 多次补正（未一次性告知）
-- metadata (severity, seed clause, parameters): notice.repeat_supplement.toml
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(accepted_at, '%Y-%m') AS month,
    concat('补正 ', CAST(supplement_requests AS VARCHAR), ' 次') AS detail
FROM cases_at
WHERE supplement_requests >= 2
