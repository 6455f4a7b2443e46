-- time_limit.overdue_not_notified — 超期未告知
-- metadata (severity, seed clause, parameters): time_limit.overdue_not_notified.toml
-- Overdue (completed late, or open past the deadline) and the applicant was told after the end of
-- the first working day after the deadline date, or not at all with T past it.
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    notify_at AS due_at,
    to_char(notify_at, '%Y-%m') AS month,
    CASE WHEN overdue_notified_at IS NULL THEN concat('应于 ', to_char(notify_at, '%Y-%m-%d'), ' 前告知，未告知')
         ELSE concat('应于 ', to_char(notify_at, '%Y-%m-%d'), ' 前告知，实际 ', to_char(overdue_notified_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM case_deadlines
WHERE is_overdue
  AND ((overdue_notified_at IS NOT NULL AND overdue_notified_at > notify_at)
       OR (overdue_notified_at IS NULL AND {{as_of}} > notify_at))
