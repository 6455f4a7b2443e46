-- rating.rectification_late — 差评整改逾期
-- metadata (severity, seed clause, parameters): rating.rectification_late.toml
SELECT hall_id, window_id, staff_id, rating_id AS entity_id,
    rectify_due_at AS due_at,
    to_char(rectify_due_at, '%Y-%m') AS month,
    CASE WHEN rectified_at IS NULL THEN concat('应于 ', to_char(rectify_due_at, '%Y-%m-%d'), ' 前整改，未整改')
         ELSE concat('应于 ', to_char(rectify_due_at, '%Y-%m-%d'), ' 前整改，实际 ', to_char(rectified_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM bad_reviews
WHERE confirmed
  AND ((rectified_at IS NOT NULL AND rectified_at > rectify_due_at)
       OR (rectified_at IS NULL AND {{as_of}} > rectify_due_at))
