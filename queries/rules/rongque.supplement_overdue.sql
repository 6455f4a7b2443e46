-- rongque.supplement_overdue — 容缺补正逾期未退办
-- metadata (severity, seed clause, parameters): rongque.supplement_overdue.toml
-- The promised material did not arrive by the end of supplement_due, T is past that, and the case
-- was not returned (退办).
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    CAST(supplement_due AS TIMESTAMP) + INTERVAL '86399 seconds' AS due_at,
    to_char(supplement_due, '%Y-%m') AS month,
    concat('补正期限 ', to_char(supplement_due, '%Y-%m-%d'),
        CASE WHEN supplement_received_at IS NULL THEN '，材料未补齐'
             ELSE concat('，材料 ', to_char(supplement_received_at, '%Y-%m-%d'), ' 才补齐') END, '，未作退办') AS detail
FROM cases_at
-- The cheap, selective tests first: the engine tests the outcome at T only on the cases left.
WHERE rongque
  AND supplement_due IS NOT NULL
  AND {{as_of}} > CAST(supplement_due AS TIMESTAMP) + INTERVAL '86399 seconds'
  AND NOT COALESCE(CAST(supplement_received_at AS DATE) <= supplement_due, false)
  AND outcome NOT IN ('不予受理', '退办')
