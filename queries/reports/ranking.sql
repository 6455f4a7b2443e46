-- The window ranking of each hall for the month, with the ranking findings marked.
WITH marks AS (
    SELECT entity_id,
        MAX(CASE WHEN rule = 'ranking.model_window' THEN 1 ELSE 0 END) = 1 AS model_window,
        MAX(CASE WHEN rule = 'ranking.most_unsatisfied' THEN 1 ELSE 0 END) = 1 AS most_unsatisfied,
        MAX(CASE WHEN rule = 'ranking.consecutive_bottom' THEN 1 ELSE 0 END) = 1 AS consecutive_bottom
    FROM run_findings
    WHERE entity = 'window' AND month = '{{month}}'
    GROUP BY entity_id
)
SELECT k.hall_id, k.window_id, k.window_rank, k.satisfied, k.unsatisfied, k.total, k.satisfaction_rate, k.ranked_windows,
    COALESCE(m.model_window, false) AS model_window,
    COALESCE(m.most_unsatisfied, false) AS most_unsatisfied,
    COALESCE(m.consecutive_bottom, false) AS consecutive_bottom
FROM window_rankings k
LEFT JOIN marks m ON m.entity_id = concat(k.hall_id, '/', k.window_id)
WHERE k.hall_id IN ({{halls}}) AND k.month = '{{month}}'
ORDER BY k.hall_id, k.window_rank, k.window_id
