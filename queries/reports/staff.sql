-- Staff figures for the month where exports carry staff ids: ratings (by rating month) and cases
-- (accepted in the month; overdue = late completion or open past the deadline at T).
WITH rt AS (
    SELECT hall_id, staff_id,
        COUNT(*) AS ratings,
        SUM(CASE WHEN level IN ('非常满意', '满意') THEN 1 ELSE 0 END) AS satisfied,
        SUM(CASE WHEN level IN ('不满意', '非常不满意') AND NOT COALESCE(verification_result IN ('误评', '恶意差评'), false) THEN 1 ELSE 0 END) AS unsatisfied
    FROM ratings_at
    WHERE staff_id IS NOT NULL AND hall_id IN ({{halls}}) AND rated_at >= {{month_start}} AND rated_at < {{month_end}}
    GROUP BY hall_id, staff_id
),
cs AS (
    SELECT hall_id, staff_id,
        COUNT(*) AS cases_accepted,
        SUM(CASE WHEN completed_at IS NOT NULL THEN 1 ELSE 0 END) AS cases_completed,
        SUM(CASE WHEN is_overdue THEN 1 ELSE 0 END) AS cases_overdue
    FROM case_deadlines
    WHERE staff_id IS NOT NULL AND hall_id IN ({{halls}}) AND accepted_at >= {{month_start}} AND accepted_at < {{month_end}}
    GROUP BY hall_id, staff_id
)
SELECT COALESCE(rt.hall_id, cs.hall_id) AS hall_id, COALESCE(rt.staff_id, cs.staff_id) AS staff_id,
    COALESCE(rt.ratings, 0) AS ratings, COALESCE(rt.satisfied, 0) AS satisfied, COALESCE(rt.unsatisfied, 0) AS unsatisfied,
    COALESCE(cs.cases_accepted, 0) AS cases_accepted, COALESCE(cs.cases_completed, 0) AS cases_completed, COALESCE(cs.cases_overdue, 0) AS cases_overdue
FROM rt FULL OUTER JOIN cs ON rt.hall_id = cs.hall_id AND rt.staff_id = cs.staff_id
ORDER BY hall_id, staff_id
