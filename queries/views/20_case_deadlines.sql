-- Every case the time limits apply to (outcome at T not 不予受理), with its deadlines and bucket.
-- Working days are counted with calendar_days.workday_seq: the N-th working day strictly after
-- day d is the working day whose seq is seq(d) + N (rules.md "Calendar arithmetic").
WITH c AS (
    SELECT c.*, CAST(c.accepted_at AS DATE) AS accepted_date
    FROM cases_at c
    -- outcome <> '不予受理', written on the exported outcome: a case not completed at T is 办理中
    -- (cases_at), so it stays; the test then compares a column instead of building each case's
    -- outcome at T first.
    WHERE c.completed_at IS NULL OR c.outcome_exported <> '不予受理'
),
s AS (
    SELECT c.*, d.workday_seq AS accepted_seq, d.day_end AS accepted_end
    FROM c JOIN calendar_days d ON d.day = c.accepted_date
),
u AS (
    -- The unextended deadline of a 承诺件: promised_days working days after acceptance.
    SELECT s.*, w.day AS unextended_date, w.day_end AS unextended_at
    FROM s LEFT JOIN calendar_days w
      ON w.is_workday AND s.case_type = '承诺件' AND w.workday_seq = s.accepted_seq + s.promised_days
),
v AS (
    -- Valid extension: days > 0, reason, approver and approval time, approved by the unextended deadline.
    SELECT u.*,
        COALESCE(u.case_type = '承诺件'
            AND u.extension_days > 0
            AND u.extension_reason IS NOT NULL
            AND u.extension_approver IS NOT NULL
            AND u.extension_approved_at IS NOT NULL
            AND CAST(u.extension_approved_at AS DATE) <= u.unextended_date, false) AS extension_valid
    FROM u
),
e AS (
    SELECT v.*, w.day AS extended_date, w.day_end AS extended_at
    FROM v LEFT JOIN calendar_days w
      ON w.is_workday AND v.extension_valid AND w.workday_seq = v.accepted_seq + v.promised_days + v.extension_days
),
dl AS (
    SELECT e.*,
        CASE WHEN e.case_type = '即办件' THEN e.accepted_date
             WHEN e.extension_valid THEN e.extended_date
             ELSE e.unextended_date END AS deadline_date,
        CASE WHEN e.case_type = '即办件' THEN e.accepted_end
             WHEN e.extension_valid THEN e.extended_at
             ELSE e.unextended_at END AS deadline_at
    FROM e
),
t AS (
    -- The notification deadline: the first working day after the deadline date. Every day's end
    -- (23:59:59) comes from calendar_days.day_end, not from arithmetic on each row.
    SELECT dl.*, w.day AS notify_date, w.day_end AS notify_at
    FROM dl
    JOIN calendar_days d2 ON d2.day = dl.deadline_date
    JOIN calendar_days w ON w.is_workday AND w.workday_seq = d2.workday_seq + 1
)
SELECT t.*,
    CASE WHEN t.completed_at IS NULL THEN NULL
         WHEN t.completed_at > t.deadline_at THEN '超期'
         WHEN t.case_type = '即办件' THEN '即办'
         WHEN CAST(t.completed_at AS DATE) < t.deadline_date THEN '提前'
         ELSE '按时' END AS bucket,
    (t.completed_at IS NOT NULL AND t.completed_at > t.deadline_at)
        OR (t.completed_at IS NULL AND {{as_of}} > t.deadline_at) AS is_overdue
FROM t
