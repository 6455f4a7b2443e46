-- Bad reviews (差评) at T with their verification and rectification deadlines.
WITH b AS (
    SELECT r.*,
        r.rated_at + INTERVAL '{{verify_within_hours}} hours' AS verify_due_at,
        r.verification_result = '属实' AS confirmed,
        CAST(CAST(r.verified_at AS DATE) + INTERVAL '{{rectify_within_days}} days' AS TIMESTAMP)
            + INTERVAL '86399 seconds' AS rectify_due_original
    FROM ratings_at r
    WHERE r.is_bad
)
SELECT b.*,
    COALESCE(b.rectify_due_extended IS NOT NULL
        AND b.rectify_extension_reason IS NOT NULL
        AND b.rectify_extension_reported_at IS NOT NULL
        AND b.rectify_extension_reported_at <= b.rectify_due_original, false) AS rectify_extension_valid,
    CASE WHEN b.rectify_due_extended IS NOT NULL
              AND b.rectify_extension_reason IS NOT NULL
              AND b.rectify_extension_reported_at IS NOT NULL
              AND b.rectify_extension_reported_at <= b.rectify_due_original
         THEN CAST(b.rectify_due_extended AS TIMESTAMP) + INTERVAL '86399 seconds'
         ELSE b.rectify_due_original END AS rectify_due_at
FROM b
