-- 预警日报: the supervisors' records due within a working day (supervision.md): complaints not
-- yet replied whose reply deadline falls by the end of the next working day, and inspection
-- violations not yet rectified whose 整改期限 does. `what`: complaint or rectification.
SELECT 'complaint' AS what, hall_id, window_id, staff_id, complaint_id AS record_id, channel AS detail, reply_due_at AS due_at
FROM complaint_deadlines
WHERE replied_at IS NULL AND hall_id IN ({{halls}}) AND reply_due_at >= {{as_of}} AND reply_due_at <= {{next_workday_end}}
UNION ALL
SELECT 'rectification' AS what, hall_id, window_id, staff_id, inspection_id AS record_id, COALESCE(item, description) AS detail,
    CAST(rectify_by AS TIMESTAMP) + INTERVAL '86399 seconds' AS due_at
FROM inspections_at
WHERE violation AND rectified_at IS NULL AND hall_id IN ({{halls}})
  AND CAST(rectify_by AS TIMESTAMP) + INTERVAL '86399 seconds' >= {{as_of}}
  AND CAST(rectify_by AS TIMESTAMP) + INTERVAL '86399 seconds' <= {{next_workday_end}}
ORDER BY due_at, hall_id, record_id
