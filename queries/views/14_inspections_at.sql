-- inspections (巡查/暗访记录, supervision.md "Supervisors' records") as they stood at T, read like
-- the exports (rules.md "The as-of instant T"): an inspection made after T is left out; a
-- rectification after T has not happened yet.
SELECT
    inspection_id, hall_id, window_id, staff_id, inspected_at, kind, inspector, violation, item,
    description, rectify_by,
    CASE WHEN rectified_at <= {{as_of}} THEN rectified_at END AS rectified_at
FROM inspections
WHERE inspected_at <= {{as_of}}
