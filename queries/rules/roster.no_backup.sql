-- roster.no_backup — 窗口未设B岗
-- metadata (severity, seed clause, parameters): roster.no_backup.toml
-- The windows table is reference data, facts "as now" (supervision.md): no as-of reading; the
-- finding's month is T's. A window with no B岗, or whose B岗 is its own A岗, has no one to stand in.
SELECT hall_id, window_id, a_staff_id AS staff_id, concat(hall_id, '/', window_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    -- T's month from the calendar (a to_char over the literal itself could not be mirrored in DuckDB).
    (SELECT to_char(day, '%Y-%m') FROM calendar_days WHERE day = CAST({{as_of}} AS DATE)) AS month,
    CASE WHEN b_staff_id IS NULL THEN '未设B岗' ELSE concat('B岗与A岗同为 ', b_staff_id, '，无人顶岗') END AS detail
FROM windows
WHERE b_staff_id IS NULL OR b_staff_id = a_staff_id
