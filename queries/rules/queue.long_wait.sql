-- queue.long_wait — 等候超过30分钟
-- metadata (severity, seed clause, parameters): queue.long_wait.toml
-- called_at - issued_at longer than wait_explain_minutes, in exact seconds (30:00 is not a finding).
SELECT hall_id, window_id, staff_id, concat(hall_id, '/', ticket_id) AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(issued_at, '%Y-%m') AS month,
    concat('取号 ', to_char(issued_at, '%Y-%m-%d %H:%M:%S'), '，叫号 ', to_char(called_at, '%H:%M:%S')) AS detail
FROM tickets_at
WHERE called_at IS NOT NULL AND called_at - issued_at > INTERVAL '{{wait_explain_minutes}} minutes'
