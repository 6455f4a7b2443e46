-- Shared by the rules that find a window at its hall's bottom several months in a row
-- (ranking.consecutive_bottom, assessment.bottom): over a CTE `bottom` (hall_id, window_id,
-- month_index, …: one row per window and month it was last), `counted` adds months_in_a_row,
-- how many months in a row up to this one the window has been at the bottom.
streaks AS (
    -- Gaps and islands: months in a row at the bottom share month_index - their row number.
    SELECT b.*, month_index - ROW_NUMBER() OVER (PARTITION BY hall_id, window_id ORDER BY month_index) AS streak
    FROM bottom b
),
counted AS (
    SELECT s.*, ROW_NUMBER() OVER (PARTITION BY hall_id, window_id, streak ORDER BY month_index) AS months_in_a_row
    FROM streaks s
)
