-- rating.feedback_missing — 整改情况未书面反馈
-- metadata (severity, seed clause, parameters): rating.feedback_missing.toml
SELECT hall_id, window_id, staff_id, rating_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(rated_at, '%Y-%m') AS month,
    concat(to_char(rectified_at, '%Y-%m-%d'), ' 已整改，未书面反馈营商局') AS detail
FROM bad_reviews
WHERE confirmed AND rectified_at IS NOT NULL AND feedback_at IS NULL
