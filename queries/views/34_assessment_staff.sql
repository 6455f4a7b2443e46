-- 月考核 per staff member and month (supervision.md "Monthly assessment"), as of T: every staff
-- member of the staff table, in each month their hall (the staff table's) is assessed in. As
-- assessment_windows, over the findings that carry the member's staff_id, whichever hall they are
-- of. hall_rank: 1 + the hall's staff with a higher score that month (ties share). The name is
-- the staff table's as this session sees it (masked when the session masks staff names).
{{> assessment_scores units="SELECT staff_id AS unit_id, MAX(hall_id) AS hall_id, MAX(staff_name) AS unit_name FROM staff GROUP BY staff_id" unit="staff_id" by_hall=false unit_name="staff_name" count="hall_staff"}}
