-- staff.complaint_substantiated — 投诉查实
-- metadata (severity, seed clause, parameters): staff.complaint_substantiated.toml
-- A complaint substantiated against a named staff member; one finding per complaint, in the
-- month it was received.
SELECT hall_id, window_id, staff_id, complaint_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(received_at, '%Y-%m') AS month,
    concat('投诉查实', CASE WHEN level IS NULL THEN '' ELSE concat('（', level, '）') END, '，', to_char(received_at, '%Y-%m-%d')) AS detail
FROM complaints_at
WHERE substantiated AND staff_id IS NOT NULL
