-- time_limit.invalid_extension — 延期无效
-- metadata (severity, seed clause, parameters): time_limit.invalid_extension.toml
-- A 承诺件 with extension_days > 0 whose extension lacks a reason, an approver or an approval
-- time, or was approved after the unextended deadline; its deadline ignores the extension.
SELECT hall_id, window_id, staff_id, case_id AS entity_id,
    unextended_at AS due_at,
    to_char(unextended_at, '%Y-%m') AS month,
    concat('延期 ', CAST(extension_days AS VARCHAR), ' 个工作日无效：',
        CASE WHEN extension_reason IS NULL THEN '无延期理由 ' ELSE '' END,
        CASE WHEN extension_approver IS NULL THEN '无审批人 ' ELSE '' END,
        CASE WHEN extension_approved_at IS NULL THEN '无审批时间 '
             WHEN CAST(extension_approved_at AS DATE) > unextended_date THEN concat('审批晚于原期限 ', to_char(unextended_date, '%Y-%m-%d'))
             ELSE '' END) AS detail
FROM case_deadlines
WHERE case_type = '承诺件' AND extension_days > 0 AND NOT extension_valid
