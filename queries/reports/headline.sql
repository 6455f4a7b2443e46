-- Headline figures of one office's halls for one month (月度监督通报), at the run's as-of instant.
-- Uses this run's rates and findings (run_rates, run_findings; excused findings do not count).
WITH r AS (
    SELECT SUM(cases_accepted) AS cases_accepted, SUM(cases_completed) AS cases_completed,
        SUM(immediate) AS immediate, SUM(early) AS early, SUM(on_time) AS on_time, SUM(overdue) AS overdue,
        SUM(promised_completed) AS promised_completed, SUM(denial_rows) AS denial_rows, SUM(denial_complete) AS denial_complete
    FROM run_rates
    WHERE scope = 'hall' AND hall_id IN ({{halls}}) AND month = '{{month}}'
),
f AS (
    SELECT
        SUM(CASE WHEN rule = 'time_limit.overdue_completed' AND month = '{{month}}' THEN 1 ELSE 0 END) AS overdue_completed,
        SUM(CASE WHEN rule = 'time_limit.overdue_open' THEN 1 ELSE 0 END) AS overdue_open,
        SUM(CASE WHEN rule = 'time_limit.due_soon' THEN 1 ELSE 0 END) AS due_soon,
        SUM(CASE WHEN severity = 'red' AND month = '{{month}}' THEN 1 ELSE 0 END) AS red_findings
    FROM run_findings
    WHERE hall_id IN ({{halls}}) AND NOT excused
),
b AS (
    SELECT COUNT(*) AS bad_reviews,
        SUM(CASE WHEN verified_at IS NOT NULL AND verification_result IS NOT NULL AND verified_at <= verify_due_at THEN 1 ELSE 0 END) AS verified_in_time,
        SUM(CASE WHEN confirmed THEN 1 ELSE 0 END) AS confirmed,
        SUM(CASE WHEN confirmed AND rectified_at IS NOT NULL AND rectified_at <= rectify_due_at THEN 1 ELSE 0 END) AS rectified_in_time
    FROM bad_reviews
    WHERE hall_id IN ({{halls}}) AND rated_at >= {{month_start}} AND rated_at < {{month_end}}
),
w AS (
    SELECT *, CAST(to_unixtime(called_at) - to_unixtime(issued_at) AS DOUBLE) AS wait_s
    FROM tickets_at
    WHERE hall_id IN ({{halls}}) AND issued_at >= {{month_start}} AND issued_at < {{month_end}}
),
q AS (
    SELECT COUNT(*) AS tickets,
        SUM(CASE WHEN status = '已办理' THEN 1 ELSE 0 END) AS served,
        SUM(CASE WHEN status = '过号' THEN 1 ELSE 0 END) AS no_show,
        SUM(CASE WHEN status = '未叫号' THEN 1 ELSE 0 END) AS unserved,
        COUNT(called_at) AS called,
        AVG(wait_s) / 60.0 AS mean_wait_min,
        percentile_cont(wait_s, 0.9) / 60.0 AS p90_wait_min,
        SUM(CASE WHEN wait_s > {{wait_explain_minutes}} * 60 THEN 1 ELSE 0 END) AS long_waits
    FROM w
)
SELECT
    COALESCE(r.cases_accepted, 0) AS cases_accepted,
    COALESCE(r.cases_completed, 0) AS cases_completed,
    CAST(r.immediate + r.early + r.on_time AS DOUBLE) / CAST(NULLIF(r.cases_completed, 0) AS DOUBLE) AS on_time_rate,
    CAST(r.early AS DOUBLE) / CAST(NULLIF(r.promised_completed, 0) AS DOUBLE) AS early_rate,
    COALESCE(f.overdue_completed, 0) AS overdue_completed,
    COALESCE(f.overdue_open, 0) AS overdue_open,
    COALESCE(f.due_soon, 0) AS due_soon,
    COALESCE(f.red_findings, 0) AS red_findings,
    COALESCE(r.denial_rows, 0) AS denials,
    CAST(r.denial_complete AS DOUBLE) / CAST(NULLIF(r.denial_rows, 0) AS DOUBLE) AS denial_completeness,
    b.bad_reviews,
    CAST(b.verified_in_time AS DOUBLE) / CAST(NULLIF(b.bad_reviews, 0) AS DOUBLE) AS verified_in_time_share,
    COALESCE(b.confirmed, 0) AS confirmed_bad_reviews,
    CAST(b.rectified_in_time AS DOUBLE) / CAST(NULLIF(b.confirmed, 0) AS DOUBLE) AS rectified_in_time_share,
    q.tickets, COALESCE(q.served, 0) AS served, COALESCE(q.no_show, 0) AS no_show, COALESCE(q.unserved, 0) AS unserved,
    CAST(q.no_show AS DOUBLE) / CAST(NULLIF(q.called, 0) AS DOUBLE) AS no_show_rate,
    q.mean_wait_min, q.p90_wait_min,
    CAST(q.long_waits AS DOUBLE) / CAST(NULLIF(q.called, 0) AS DOUBLE) AS long_wait_share
FROM r CROSS JOIN f CROSS JOIN b CROSS JOIN q
