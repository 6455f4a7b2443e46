-- tickets as they stood at the as-of instant T (rules.md "The as-of instant T"):
-- a ticket issued after T is left out; a call or finish after T has not happened yet.
SELECT
    ticket_id, hall_id, window_id, staff_id, item_code, issued_at,
    CASE WHEN called_at <= {{as_of}} THEN called_at END AS called_at,
    CASE WHEN finished_at <= {{as_of}} THEN finished_at END AS finished_at,
    status, is_appointment
FROM tickets
WHERE issued_at <= {{as_of}}
