-- ranking.consecutive_bottom — 连续排名靠后
-- metadata (severity, seed clause, parameters): ranking.consecutive_bottom.toml
-- Worst rank of its hall in month M and in each of the consecutive_months - 1 months right before
-- it, the hall having at least two ranked windows in each of those months.
WITH bottom AS (
    SELECT hall_id, window_id, month, month_index
    FROM window_rankings
    WHERE window_rank = worst_rank AND ranked_windows >= 2
)
SELECT b.hall_id, b.window_id, CAST(NULL AS VARCHAR) AS staff_id, concat(b.hall_id, '/', b.window_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    b.month,
    concat('连续 ', CAST({{consecutive_months}} AS VARCHAR), ' 个月排名本厅末位') AS detail
FROM bottom b
JOIN bottom p
  ON p.hall_id = b.hall_id AND p.window_id = b.window_id
 AND p.month_index BETWEEN b.month_index - ({{consecutive_months}} - 1) AND b.month_index
GROUP BY b.hall_id, b.window_id, b.month
HAVING COUNT(*) = {{consecutive_months}}
