-- Monthly window rankings for every month that has ended by T (rules.md "Monthly window rankings").
-- A window is ranked in a month when it has at least one rating dated in it (ratings without a
-- window are not ranked). unsatisfied excludes bad reviews verified 误评 or 恶意差评 by T.
-- window_rank is the competition rank (1, 2, 2, 4) on satisfied desc, then unsatisfied asc.
WITH g AS (
    -- Counted per calendar month first; the month's names are made once per group, not per rating.
    SELECT hall_id, window_id, date_trunc('month', rated_at) AS month_start,
        SUM(CASE WHEN level IN ('非常满意', '满意') THEN 1 ELSE 0 END) AS satisfied,
        SUM(CASE WHEN level IN ('不满意', '非常不满意') AND NOT COALESCE(verification_result IN ('误评', '恶意差评'), false) THEN 1 ELSE 0 END) AS unsatisfied,
        COUNT(*) AS total
    FROM ratings_at
    -- Only months that have ended by T: a month has ended when its first day + 1 month <= T,
    -- which is exactly a rating before the first day of T's month (a constant, so one comparison
    -- per rating instead of truncating every rating's time twice).
    WHERE window_id IS NOT NULL AND rated_at < date_trunc('month', {{as_of}})
    GROUP BY hall_id, window_id, date_trunc('month', rated_at)
),
a AS (
    SELECT hall_id, window_id,
        to_char(month_start, '%Y-%m') AS month,
        CAST(date_part('year', month_start) AS BIGINT) * 12 + CAST(date_part('month', month_start) AS BIGINT) AS month_index,
        satisfied, unsatisfied, total
    FROM g
),
ranked AS (
    SELECT a.*,
        CAST(satisfied AS DOUBLE) / CAST(total AS DOUBLE) AS satisfaction_rate,
        RANK() OVER (PARTITION BY hall_id, month ORDER BY satisfied DESC, unsatisfied ASC) AS window_rank,
        COUNT(*) OVER (PARTITION BY hall_id, month) AS ranked_windows,
        MAX(unsatisfied) OVER (PARTITION BY hall_id, month) AS max_unsatisfied
    FROM a
)
SELECT ranked.*,
    MAX(window_rank) OVER (PARTITION BY hall_id, month) AS worst_rank
FROM ranked
