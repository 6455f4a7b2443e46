-- attendance summaries (考勤汇总) as they stood at T. A month's summary is made when the month is
-- over: it is read once the month has ended by T (rules.md: T ≥ the first instant of the next
-- month, i.e. the month sorts before T's own 'YYYY-MM'). Missing leave days read as 0.
SELECT
    staff_id, month, CAST(substr(month, 1, 4) AS BIGINT) AS year, late_early,
    COALESCE(personal_leave_days, 0.0) AS personal_leave_days,
    COALESCE(sick_leave_days, 0.0) AS sick_leave_days
FROM attendance
-- T's month from the calendar (a to_char over the literal itself could not be mirrored in DuckDB).
WHERE month < (SELECT to_char(day, '%Y-%m') FROM calendar_days WHERE day = CAST({{as_of}} AS DATE))
