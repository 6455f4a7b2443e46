-- denial.no_approval — 否定决定未经审批
-- metadata (severity, seed clause, parameters): denial.no_approval.toml
SELECT hall_id, window_id, staff_id, register_id AS entity_id,
    CAST(NULL AS TIMESTAMP) AS due_at,
    to_char(decided_at, '%Y-%m') AS month,
    concat(CASE WHEN approval_type IS NULL THEN '无审批方式'
                WHEN approval_type NOT IN ('分管领导', '办公会') THEN concat('审批方式为“', approval_type, '”')
                ELSE concat('审批方式 ', approval_type) END,
           CASE WHEN approver IS NULL THEN '，无审批人' ELSE '' END) AS detail
FROM denial_register
WHERE approval_type IS NULL OR approval_type NOT IN ('分管领导', '办公会') OR approver IS NULL
