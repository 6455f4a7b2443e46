-- Complaints at T with their reply deadline: complaint_reply_workdays working days after
-- received_at, end of that day (rules.md "Calendar arithmetic": the start day does not count;
-- holidays and 调休 workdays from calendar_days, as in denial_register).
SELECT c.*, w.day_end AS reply_due_at
FROM complaints_at c
JOIN calendar_days d ON d.day = CAST(c.received_at AS DATE)
JOIN calendar_days w ON w.is_workday AND w.workday_seq = d.workday_seq + {{complaint_reply_workdays}}
