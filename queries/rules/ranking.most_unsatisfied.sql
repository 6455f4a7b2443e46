-- ranking.most_unsatisfied — 不满意票数最多
-- metadata (severity, seed clause, parameters): ranking.most_unsatisfied.toml
SELECT hall_id, window_id, CAST(NULL AS VARCHAR) AS staff_id, concat(hall_id, '/', window_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    month,
    concat('不满意 ', CAST(unsatisfied AS VARCHAR), ' 票，为本厅最多') AS detail
FROM window_rankings
WHERE unsatisfied = max_unsatisfied AND unsatisfied > 0
