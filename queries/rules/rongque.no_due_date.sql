-- rongque.no_due_date — 容缺受理未约定补正期限
-- metadata (severity, seed clause, parameters): rongque.no_due_date.toml
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(accepted_at, '%Y-%m') AS month,
    '容缺受理但未约定补正期限' AS detail
FROM cases_at
-- The cheap, selective tests first: the engine tests the outcome at T only on the cases left.
WHERE rongque AND supplement_due IS NULL AND outcome <> '不予受理'
