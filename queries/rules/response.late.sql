-- response.late — 回告逾期
-- metadata (severity, seed clause, parameters): response.late.toml
-- A red finding of month M (families time_limit, rongque, notice, denial, rating, queue, ranking,
-- inspection, complaint) with no response given by the end of the response_workdays-th working
-- day after the last day of M: answered late, or not at all with T past that deadline. It reads
-- this run's findings (`run_findings`: the rule runs after the others, reads_findings in its
-- metadata) and every version of the responses given by T (`response_log`: a first answer in time
-- counts even when a later one replaced it). Entity id `<rule>:<entity_id>` of the answered
-- finding, whose month, hall, window and staff it carries; never excused.
WITH red AS (
    SELECT rule, entity_id, month, hall_id, window_id, staff_id,
        add_workdays(CAST(to_date(concat(month, '-01')) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE), {{response_workdays}}) AS due_at
    FROM run_findings
    WHERE severity = 'red' AND entity_id IS NOT NULL AND month IS NOT NULL
      AND split_part(rule, '.', 1) IN ('time_limit', 'rongque', 'notice', 'denial', 'rating', 'queue', 'ranking', 'inspection', 'complaint')
),
answered AS (
    SELECT rule, entity_id, month, MIN(responded_at) AS responded_at
    FROM response_log
    WHERE responded_at <= {{as_of}}
    GROUP BY rule, entity_id, month
)
SELECT f.hall_id, f.window_id, f.staff_id, concat(f.rule, ':', f.entity_id) AS entity_id,
    f.due_at,
    f.month,
    CASE WHEN a.responded_at IS NULL THEN concat('应于 ', to_char(f.due_at, '%Y-%m-%d'), ' 前回告，未回告')
         ELSE concat('应于 ', to_char(f.due_at, '%Y-%m-%d'), ' 前回告，实际 ', to_char(a.responded_at, '%Y-%m-%d %H:%M:%S')) END AS detail
FROM red f
LEFT JOIN answered a ON a.rule = f.rule AND a.entity_id = f.entity_id AND a.month = f.month
WHERE {{as_of}} > f.due_at AND (a.responded_at IS NULL OR a.responded_at > f.due_at)
