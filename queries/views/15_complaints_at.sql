-- complaints (投诉登记) as they stood at T: a complaint received after T is left out; a reply or
-- a notification of the result after T has not happened yet.
SELECT
    complaint_id, hall_id, window_id, staff_id, received_at, channel, level, substantiated,
    CASE WHEN replied_at <= {{as_of}} THEN replied_at END AS replied_at,
    CASE WHEN result_notified_at <= {{as_of}} THEN result_notified_at END AS result_notified_at
FROM complaints
WHERE received_at <= {{as_of}}
