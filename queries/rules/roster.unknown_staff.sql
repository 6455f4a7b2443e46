-- roster.unknown_staff — 工号不在人员名册
-- metadata (severity, seed clause, parameters): roster.unknown_staff.toml
-- A staff id in a ticket, case or rating of the month (as of T) that the staff table (reference
-- data, "as now") does not hold: one finding per staff id and month, in the first hall (by id)
-- whose records name it that month.
-- The month is formatted once per (staff id, month) found, not once per record read.
WITH used AS (
    SELECT hall_id, staff_id, issued_at AS at FROM tickets_at WHERE staff_id IS NOT NULL
    UNION ALL
    SELECT hall_id, staff_id, accepted_at AS at FROM cases_at WHERE staff_id IS NOT NULL
    UNION ALL
    SELECT hall_id, staff_id, rated_at AS at FROM ratings_at WHERE staff_id IS NOT NULL
)
SELECT MIN(u.hall_id) AS hall_id, CAST(NULL AS VARCHAR) AS window_id, u.staff_id, u.staff_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(date_trunc('month', u.at), '%Y-%m') AS month,
    concat('工号 ', u.staff_id, ' 不在人员名册（本月 ', CAST(COUNT(*) AS VARCHAR), ' 条记录）') AS detail
FROM used u
-- NOT EXISTS, not LEFT JOIN … IS NULL: DataFusion plans this as an anti join (a hash probe per
-- record against the roster) instead of joining every record and filtering the joined rows.
WHERE NOT EXISTS (SELECT 1 FROM staff s WHERE s.staff_id = u.staff_id)
GROUP BY u.staff_id, date_trunc('month', u.at)
