-- ratings as they stood at T. A verification after T is no verification, and a result counts only
-- with its verification time (README, "Readings": R2).
SELECT
    rating_id, case_id, ticket_id, hall_id, window_id, staff_id, channel, rated_at, level, comment,
    CASE WHEN verified_at <= {{as_of}} THEN verified_at END AS verified_at,
    CASE WHEN verified_at <= {{as_of}} THEN verification_result END AS verification_result,
    rectify_due_extended, rectify_extension_reason,
    CASE WHEN rectify_extension_reported_at <= {{as_of}} THEN rectify_extension_reported_at END AS rectify_extension_reported_at,
    CASE WHEN rectified_at <= {{as_of}} THEN rectified_at END AS rectified_at,
    CASE WHEN feedback_at <= {{as_of}} THEN feedback_at END AS feedback_at,
    level IN ('不满意', '非常不满意') AS is_bad
FROM ratings
WHERE rated_at <= {{as_of}}
