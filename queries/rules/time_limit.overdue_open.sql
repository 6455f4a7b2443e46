-- time_limit.overdue_open — 超期未办结（红牌）
-- metadata (severity, seed clause, parameters): time_limit.overdue_open.toml
-- A case not completed at T while T is past the end of its deadline date.
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    deadline_at AS due_at,
    to_char(deadline_at, '%Y-%m') AS month,
    concat('期限 ', to_char(deadline_at, '%Y-%m-%d'), '，至检查时点仍未办结') AS detail
FROM case_deadlines
WHERE completed_at IS NULL AND {{as_of}} > deadline_at
