-- The months each hall is assessed in (月考核, supervision.md "Monthly assessment"): a month in which
-- the hall has at least one ticket, case or rating as of T. `ended`: the month has ended by T.
-- month_index (year * 12 + month) tells consecutive months apart.
WITH m AS (
    SELECT hall_id, date_trunc('month', issued_at) AS month_start FROM tickets_at GROUP BY hall_id, date_trunc('month', issued_at)
    UNION
    SELECT hall_id, date_trunc('month', accepted_at) AS month_start FROM cases_at GROUP BY hall_id, date_trunc('month', accepted_at)
    UNION
    SELECT hall_id, date_trunc('month', rated_at) AS month_start FROM ratings_at GROUP BY hall_id, date_trunc('month', rated_at)
)
SELECT hall_id,
    to_char(month_start, '%Y-%m') AS month,
    CAST(date_part('year', month_start) AS BIGINT) * 12 + CAST(date_part('month', month_start) AS BIGINT) AS month_index,
    month_start + INTERVAL '1 month' <= {{as_of}} AS ended
FROM m
WHERE hall_id IS NOT NULL AND month_start IS NOT NULL
