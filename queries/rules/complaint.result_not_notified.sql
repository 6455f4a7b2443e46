-- complaint.result_not_notified — 投诉处理结果未告知
-- metadata (severity, seed clause, parameters): complaint.result_not_notified.toml
-- Replied (by T), and the complainant told of the result after the reply deadline, or not told
-- with T past it.
SELECT hall_id, window_id, staff_id, complaint_id AS entity_id,
    reply_due_at AS due_at,
    to_char(reply_due_at, '%Y-%m') AS month,
    CASE WHEN result_notified_at IS NULL THEN concat('应于 ', to_char(reply_due_at, '%Y-%m-%d'), ' 前告知处理结果，未告知')
         ELSE concat('应于 ', to_char(reply_due_at, '%Y-%m-%d'), ' 前告知处理结果，实际 ', to_char(result_notified_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM complaint_deadlines
WHERE replied_at IS NOT NULL
  AND ((result_notified_at IS NOT NULL AND result_notified_at > reply_due_at)
       OR (result_notified_at IS NULL AND {{as_of}} > reply_due_at))
