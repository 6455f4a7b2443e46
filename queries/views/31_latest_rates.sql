-- The rates (按时办结率, 提前办结率, denial completeness) of the latest recorded check run.
SELECT r.*
FROM rates r
WHERE r.run_id = (SELECT MAX(run_id) FROM check_runs)
