-- denial.notice_late — 否定决定书面告知逾期
-- metadata (severity, seed clause, parameters): denial.notice_late.toml
-- notice_served_at later than notice_within_workdays working days after decided_at, or missing
-- with T past that.
SELECT hall_id, window_id, staff_id, register_id AS entity_id,
    notice_due_at AS due_at,
    to_char(notice_due_at, '%Y-%m') AS month,
    CASE WHEN notice_served_at IS NULL THEN concat('应于 ', to_char(notice_due_at, '%Y-%m-%d'), ' 前书面送达，未送达')
         ELSE concat('应于 ', to_char(notice_due_at, '%Y-%m-%d'), ' 前书面送达，实际 ', to_char(notice_served_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM denial_register
WHERE (notice_served_at IS NOT NULL AND notice_served_at > notice_due_at)
   OR (notice_served_at IS NULL AND {{as_of}} > notice_due_at)
