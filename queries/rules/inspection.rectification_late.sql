-- inspection.rectification_late — 检查发现问题整改逾期
-- metadata (severity, seed clause, parameters): inspection.rectification_late.toml
-- A violation with a rectification deadline, rectified after the end of that day, or not
-- rectified with T past it.
WITH i AS (
    SELECT i.*, CAST(i.rectify_by AS TIMESTAMP) + INTERVAL '86399 seconds' AS rectify_due_at
    FROM inspections_at i
    WHERE i.violation AND i.rectify_by IS NOT NULL
)
SELECT hall_id, window_id, staff_id, inspection_id AS entity_id,
    rectify_due_at AS due_at,
    to_char(rectify_due_at, '%Y-%m') AS month,
    CASE WHEN rectified_at IS NULL THEN concat('应于 ', to_char(rectify_due_at, '%Y-%m-%d'), ' 前整改，未整改')
         ELSE concat('应于 ', to_char(rectify_due_at, '%Y-%m-%d'), ' 前整改，实际 ', to_char(rectified_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM i
WHERE (rectified_at IS NOT NULL AND rectified_at > rectify_due_at)
   OR (rectified_at IS NULL AND {{as_of}} > rectify_due_at)
