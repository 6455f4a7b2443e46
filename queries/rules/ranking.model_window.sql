-- ranking.model_window — 文明窗口
-- metadata (severity, seed clause, parameters): ranking.model_window.toml
SELECT hall_id, window_id, CAST(NULL AS VARCHAR) AS staff_id, concat(hall_id, '/', window_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    month,
    concat('满意 ', CAST(satisfied AS VARCHAR), ' 票，不满意 ', CAST(unsatisfied AS VARCHAR), ' 票，共 ', CAST(total AS VARCHAR), ' 票，排名第 1') AS detail
FROM window_rankings
WHERE window_rank = 1 AND satisfied > 0
