-- Register rows at T with their notice and filing deadlines (counted from decided_at) and the
-- case they concern (window, staff and outcome at T, when the case is in the cases table).
SELECT
    r.*,
    c.window_id, c.staff_id, c.outcome AS case_outcome, c.case_id IS NOT NULL AS case_found,
    wn.day_end AS notice_due_at,
    wf.day_end AS filing_due_at
FROM denials_at r
JOIN calendar_days d ON d.day = CAST(r.decided_at AS DATE)
JOIN calendar_days wn ON wn.is_workday AND wn.workday_seq = d.workday_seq + {{notice_within_workdays}}
JOIN calendar_days wf ON wf.is_workday AND wf.workday_seq = d.workday_seq + {{filing_within_workdays}}
LEFT JOIN cases_at c ON c.case_id = r.case_id
