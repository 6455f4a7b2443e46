-- The findings of the latest recorded check run (all runs: the findings table).
SELECT f.*
FROM findings f
WHERE f.run_id = (SELECT MAX(run_id) FROM check_runs)
