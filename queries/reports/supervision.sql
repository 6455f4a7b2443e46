-- 监督记录 of the month per hall (supervision.md "Supervisors' records", issue: the monthly report
-- gains inspections, complaints and responses): inspections made in the month (violations found)
-- and rectifications due in the month (done by the end of the 整改期限 day, or late); complaints
-- received in the month (replied by the reply deadline, substantiated, result told); and the
-- halls' answers to the month's answerable red findings (answered, appealed, excused on appeal).
-- As of the report's T; the findings are this run's (run_findings).
WITH i AS (
    SELECT hall_id, COUNT(*) AS inspections, SUM(CASE WHEN violation THEN 1 ELSE 0 END) AS violations
    FROM inspections_at
    WHERE hall_id IN ({{halls}}) AND inspected_at >= {{month_start}} AND inspected_at < {{month_end}}
    GROUP BY hall_id
),
rd AS (
    SELECT hall_id, COUNT(*) AS rectify_due,
        SUM(CASE WHEN rectified_at <= CAST(rectify_by AS TIMESTAMP) + INTERVAL '86399 seconds' THEN 1 ELSE 0 END) AS rectified_in_time
    FROM inspections_at
    WHERE violation AND hall_id IN ({{halls}})
      AND CAST(rectify_by AS TIMESTAMP) >= {{month_start}} AND CAST(rectify_by AS TIMESTAMP) < {{month_end}}
    GROUP BY hall_id
),
c AS (
    SELECT hall_id, COUNT(*) AS complaints,
        SUM(CASE WHEN replied_at <= reply_due_at THEN 1 ELSE 0 END) AS replied_in_time,
        SUM(CASE WHEN substantiated THEN 1 ELSE 0 END) AS substantiated,
        SUM(CASE WHEN result_notified_at IS NOT NULL THEN 1 ELSE 0 END) AS notified
    FROM complaint_deadlines
    WHERE hall_id IN ({{halls}}) AND received_at >= {{month_start}} AND received_at < {{month_end}}
    GROUP BY hall_id
),
red AS (
    SELECT rule, entity_id, month, hall_id
    FROM run_findings
    WHERE severity = 'red' AND month = '{{month}}' AND hall_id IN ({{halls}})
      AND split_part(rule, '.', 1) IN ('time_limit', 'rongque', 'notice', 'denial', 'rating', 'queue', 'ranking', 'inspection', 'complaint')
),
a AS (
    SELECT red.hall_id, COUNT(*) AS red_findings, COUNT(r.rule) AS answered,
        SUM(CASE WHEN r.appeal THEN 1 ELSE 0 END) AS appealed,
        SUM(CASE WHEN r.excused THEN 1 ELSE 0 END) AS excused
    FROM red
    LEFT JOIN responses_at r ON r.rule = red.rule AND r.entity_id = red.entity_id AND r.month = red.month
    GROUP BY red.hall_id
),
h AS (
    SELECT hall_id FROM i UNION SELECT hall_id FROM rd UNION SELECT hall_id FROM c UNION SELECT hall_id FROM a
)
SELECT h.hall_id,
    COALESCE(i.inspections, 0) AS inspections, COALESCE(i.violations, 0) AS violations,
    COALESCE(rd.rectify_due, 0) AS rectify_due, COALESCE(rd.rectified_in_time, 0) AS rectified_in_time,
    COALESCE(c.complaints, 0) AS complaints, COALESCE(c.replied_in_time, 0) AS replied_in_time,
    COALESCE(c.substantiated, 0) AS substantiated, COALESCE(c.notified, 0) AS notified,
    COALESCE(a.red_findings, 0) AS red_findings, COALESCE(a.answered, 0) AS answered,
    COALESCE(a.appealed, 0) AS appealed, COALESCE(a.excused, 0) AS excused
FROM h
LEFT JOIN i ON i.hall_id = h.hall_id
LEFT JOIN rd ON rd.hall_id = h.hall_id
LEFT JOIN c ON c.hall_id = h.hall_id
LEFT JOIN a ON a.hall_id = h.hall_id
ORDER BY h.hall_id
