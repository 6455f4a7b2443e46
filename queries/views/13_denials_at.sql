-- the denial-filing register as it stood at T.
SELECT
    register_id, case_id, hall_id, item_code, applicant_name, denial_type, decided_at, reason,
    legal_basis, approval_type, approver,
    CASE WHEN notice_served_at <= {{as_of}} THEN notice_served_at END AS notice_served_at,
    CASE WHEN filed_at <= {{as_of}} THEN filed_at END AS filed_at,
    archived
FROM denials
WHERE decided_at <= {{as_of}}
