-- time_limit.overdue_completed — 超期办结
-- metadata (severity, seed clause, parameters): time_limit.overdue_completed.toml
-- A case completed (at T) after the end of its deadline date.
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    deadline_at AS due_at,
    to_char(deadline_at, '%Y-%m') AS month,
    concat('期限 ', to_char(deadline_at, '%Y-%m-%d'), '，办结 ', to_char(completed_at, '%Y-%m-%d %H:%M:%S'),
           CASE WHEN extension_valid THEN '（含有效延期）' ELSE '' END) AS detail
FROM case_deadlines
WHERE completed_at IS NOT NULL AND completed_at > deadline_at
