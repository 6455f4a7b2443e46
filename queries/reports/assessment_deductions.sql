-- 月考核 section of the monthly report: per window of the office's halls, the findings of the month
-- in this run that counted (not excused), per rule, with the points they added together.
WITH points AS ({{assessment_points}})
SELECT f.hall_id, f.window_id, f.rule, c.title, c.title_en, COUNT(*) AS findings, SUM(p.points) AS points
FROM run_findings f
JOIN points p ON p.rule = f.rule
LEFT JOIN rule_catalog c ON c.rule = f.rule
WHERE f.month = '{{month}}' AND f.hall_id IN ({{halls}}) AND f.window_id IS NOT NULL AND NOT COALESCE(f.excused, false)
GROUP BY f.hall_id, f.window_id, f.rule, c.title, c.title_en
ORDER BY f.hall_id, f.window_id, SUM(p.points), f.rule
