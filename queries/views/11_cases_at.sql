-- cases as they stood at T: accepted after T is left out; every later timestamp reads as missing;
-- a case not completed at T is 办理中 whatever its outcome column says.
SELECT
    case_id, hall_id, window_id, staff_id, item_code, item_name, case_type, promised_days,
    applicant_name, applicant_id_no, applicant_phone, accepted_at,
    CASE WHEN completed_at <= {{as_of}} THEN completed_at END AS completed_at,
    CASE WHEN completed_at <= {{as_of}} THEN outcome ELSE '办理中' END AS outcome,
    outcome AS outcome_exported,
    supplement_requests, rongque, supplement_due,
    CASE WHEN supplement_received_at <= {{as_of}} THEN supplement_received_at END AS supplement_received_at,
    extension_days, extension_reason, extension_approver,
    CASE WHEN extension_approved_at <= {{as_of}} THEN extension_approved_at END AS extension_approved_at,
    CASE WHEN overdue_notified_at <= {{as_of}} THEN overdue_notified_at END AS overdue_notified_at,
    ticket_id
FROM cases
WHERE accepted_at <= {{as_of}}
