-- rating.verification_late — 差评未按时核实
-- metadata (severity, seed clause, parameters): rating.verification_late.toml
-- Verified late, verified without a result, or still unverified with T past rated_at + 24 h.
SELECT hall_id, window_id, staff_id, rating_id AS entity_id,
    verify_due_at AS due_at,
    to_char(verify_due_at, '%Y-%m') AS month,
    CASE WHEN verified_at IS NULL THEN concat('应于 ', to_char(verify_due_at, '%Y-%m-%d %H:%M:%S'), ' 前核实，未核实')
         WHEN verified_at > verify_due_at THEN concat('应于 ', to_char(verify_due_at, '%Y-%m-%d %H:%M:%S'), ' 前核实，实际 ', to_char(verified_at, '%Y-%m-%d %H:%M:%S'))
         ELSE '已核实但无核实结果' END AS detail
FROM bad_reviews
WHERE (verified_at IS NOT NULL AND (verified_at > verify_due_at OR verification_result IS NULL))
   OR (verified_at IS NULL AND {{as_of}} > verify_due_at)
