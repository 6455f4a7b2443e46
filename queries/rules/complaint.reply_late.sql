-- complaint.reply_late — 投诉答复逾期
-- metadata (severity, seed clause, parameters): complaint.reply_late.toml
-- replied_at later than complaint_reply_workdays working days after received_at (end of that
-- day), or no reply with T past it.
SELECT hall_id, window_id, staff_id, complaint_id AS entity_id,
    reply_due_at AS due_at,
    to_char(reply_due_at, '%Y-%m') AS month,
    CASE WHEN replied_at IS NULL THEN concat('应于 ', to_char(reply_due_at, '%Y-%m-%d'), ' 前答复，未答复')
         ELSE concat('应于 ', to_char(reply_due_at, '%Y-%m-%d'), ' 前答复，实际 ', to_char(replied_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM complaint_deadlines
WHERE (replied_at IS NOT NULL AND replied_at > reply_due_at)
   OR (replied_at IS NULL AND {{as_of}} > reply_due_at)
