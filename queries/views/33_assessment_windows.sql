-- 月考核 per window and month (supervision.md "Monthly assessment"), as of T: every window of the
-- windows table, in each month its hall is assessed in (assessment_months). It starts at
-- assessment_base and every finding of the month in the latest check run (latest_findings; a report
-- renders this file over its own run's, run_findings) that
-- is not excused and carries its hall and window adds its rule's points (the profile's
-- [assessment.points]); `findings` counts them. hall_rank: 1 + the hall's windows with a higher
-- score that month (ties share). Names beside the ids (the id when the reference table has none).
{{> assessment_scores units="SELECT hall_id, window_id AS unit_id, MAX(window_name) AS unit_name FROM windows GROUP BY hall_id, window_id" unit="window_id" by_hall=true unit_name="window_name" count="hall_windows"}}
