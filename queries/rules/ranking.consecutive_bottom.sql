-- ranking.consecutive_bottom — 连续排名靠后
-- metadata (severity, seed clause, parameters): ranking.consecutive_bottom.toml
-- Worst rank of its hall in month M and in each of the consecutive_months - 1 months right before
-- it, the hall having at least two ranked windows in each of those months.
WITH bottom AS (
    SELECT hall_id, window_id, month, month_index
    FROM window_rankings
    WHERE window_rank = worst_rank AND ranked_windows >= 2
),
{{> months_in_a_row}}
SELECT hall_id, window_id, CAST(NULL AS VARCHAR) AS staff_id, concat(hall_id, '/', window_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    month,
    concat('连续 ', CAST({{consecutive_months}} AS VARCHAR), ' 个月排名本厅末位') AS detail
FROM counted
WHERE months_in_a_row >= {{consecutive_months}}
