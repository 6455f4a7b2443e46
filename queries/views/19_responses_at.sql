-- the halls' answers to findings (回告与申诉) as they stood at T, from the append-only response_log
-- (every version ever ingested or recorded; the `responses` table keeps only the current one):
-- per finding key, the latest response given by T, and the latest decision made by T (a decision
-- without decided_at is none). `excused`: an appeal decided 认可 by T (supervision.md).
WITH r AS (
    SELECT rule, entity_id, month, responded_at, responder, explanation, COALESCE(appeal, false) AS appeal,
        ROW_NUMBER() OVER (PARTITION BY rule, entity_id, month ORDER BY responded_at DESC, _ingest_id DESC, _line DESC) AS n
    FROM response_log
    WHERE responded_at <= {{as_of}}
),
d AS (
    SELECT rule, entity_id, month, decision, decided_by, decided_at,
        ROW_NUMBER() OVER (PARTITION BY rule, entity_id, month ORDER BY decided_at DESC, _ingest_id DESC, _line DESC) AS n
    FROM response_log
    WHERE decision IS NOT NULL AND decided_at <= {{as_of}}
)
SELECT r.rule, r.entity_id, r.month, r.responded_at, r.responder, r.explanation, r.appeal,
    d.decision, d.decided_by, d.decided_at,
    COALESCE(r.appeal AND d.decision = '认可', false) AS excused
FROM r
LEFT JOIN d ON d.rule = r.rule AND d.entity_id = r.entity_id AND d.month = r.month AND d.n = 1
WHERE r.n = 1
