-- queue.unserved — 取号未叫号
-- metadata (severity, seed clause, parameters): queue.unserved.toml
SELECT hall_id, window_id, staff_id, concat(hall_id, '/', ticket_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(issued_at, '%Y-%m') AS month,
    concat('取号 ', to_char(issued_at, '%Y-%m-%d %H:%M:%S'), '，未叫号') AS detail
FROM tickets_at
WHERE status = '未叫号'
