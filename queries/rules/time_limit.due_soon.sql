-- time_limit.due_soon — 临期预警（黄牌）
-- metadata (severity, seed clause, parameters): time_limit.due_soon.toml
-- Open, not yet overdue, and due no later than the first working day after T's date.
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    deadline_at AS due_at,
    to_char(deadline_at, '%Y-%m') AS month,
    concat('期限 ', to_char(deadline_at, '%Y-%m-%d'), '，即将到期') AS detail
FROM case_deadlines
WHERE completed_at IS NULL
  AND {{as_of}} <= deadline_at
  AND deadline_date <= (SELECT MIN(day) FROM calendar_days WHERE is_workday AND day > CAST({{as_of}} AS DATE))
