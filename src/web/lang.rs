//! English pages for an office whose language is English (`language = "en"`, as its reports
//! are): the pages are written in Chinese, and a page of such a login has every text node that is
//! exactly one of the workspace's fixed words (a heading, a column, a button, a severity, an
//! answer's status) replaced by its English, after escaping. Sentences with figures in them are
//! written in English where they are made; the rest (the deadline's arithmetic, error messages)
//! stays Chinese.

/// (Chinese, English) of the fixed words.
const WORDS: &[(&str, &str)] = &[
    ("概览", "Overview"),
    ("发现", "Findings"),
    ("登记表", "Register"),
    ("运行状态", "Status"),
    ("退出", "Sign out"),
    ("发现详情", "Finding"),
    ("没有这条发现", "No such finding"),
    ("红牌", "Red"),
    ("黄牌", "Yellow"),
    ("提示", "Info"),
    ("等级", "Severity"),
    ("规则", "Rule"),
    ("大厅", "Hall"),
    ("窗口", "Window"),
    ("工号", "Staff"),
    ("对象", "Entity"),
    ("对象编号", "Entity id"),
    ("期限", "Due"),
    ("月份", "Month"),
    ("说明", "Detail"),
    ("回告状态", "Answer"),
    ("未回告", "not answered"),
    ("已回告", "answered"),
    ("申诉待审核", "appeal pending"),
    ("申诉不认可", "appeal rejected"),
    ("已申诉认可", "excused on appeal"),
    ("项目", "Item"),
    ("内容", "Value"),
    ("环比", "Change"),
    ("本批次全部", "Whole run"),
    ("红黄牌（申诉认可的不计）", "Red and yellow cards (excused ones not counted)"),
    ("各大厅排名", "Halls ranked"),
    ("回告与申诉", "Answers and appeals"),
    ("期限计算", "The deadline worked out"),
    ("回告时间", "Answered at"),
    ("回告人", "Answered by"),
    ("情况说明", "Explanation"),
    ("是否申诉", "Appeal"),
    ("审核结果", "Decision"),
    ("审核人", "Decided by"),
    ("审核时间", "Decided at"),
    ("是", "yes"),
    ("否", "no"),
    ("字段", "Field"),
    ("值", "Value"),
    ("参数", "Parameters"),
    ("依据条款", "Clause"),
    ("条款原文", "Clause text"),
    ("记录（导出原样，数据截至时点）", "The record (as exported, as of the data's instant)"),
    ("否定备案登记表", "Denial register"),
    ("未登记的否定决定", "Denials without a register row"),
    ("尚无回告。", "No answer yet."),
    ("尚无检查结果。", "No check results yet."),
    ("筛选", "Filter"),
    ("全部", "All"),
    ("查看", "Show"),
    ("提交回告", "Submit the answer"),
    ("认可", "Accept"),
    ("不认可", "Reject"),
    ("导出 XLSX", "Export XLSX"),
    ("下载 XLSX", "Download XLSX"),
    ("下载 CSV", "Download CSV"),
    ("未登记 CSV", "Unregistered CSV"),
    ("上一页", "Previous"),
    ("下一页", "Next"),
    ("定时任务", "Jobs"),
    ("报告存档", "Reports"),
    ("文件", "File"),
    ("大小", "Size"),
    ("生成时间（UTC）", "Written (UTC)"),
    ("最近的检查批次", "Recent check runs"),
    ("监督员", "supervisor"),
    ("医保局", "bureau"),
    ("管理员", "admin"),
    ("医保窗口服务监督", "Service-hall supervision"),
    ("大厅名称", "Hall name"),
    ("窗口名称", "Window name"),
    ("人员姓名", "Staff name"),
    ("下次运行", "Next run"),
    ("任务", "Job"),
    ("类型", "Kind"),
];

/// The English of a fixed word, or None.
pub fn english(zh: &str) -> Option<&'static str> {
    WORDS.iter().find(|(z, _)| *z == zh).map(|(_, e)| *e)
}

/// The page with every text node that is exactly a fixed word (surrounding spaces aside) in
/// English. Markup and every other text pass through unchanged.
pub fn translate(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&word(&rest[..open]));
        let Some(close) = rest[open..].find('>') else {
            out.push_str(&rest[open..]);
            return out;
        };
        out.push_str(&rest[open..open + close + 1]);
        rest = &rest[open + close + 1..];
    }
    out.push_str(&word(rest));
    out
}

fn word(text: &str) -> String {
    let t = text.trim();
    match english(t) {
        Some(e) if !t.is_empty() => text.replacen(t, e, 1),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_text_nodes_of_fixed_words_are_translated() {
        let page = "<h2>回告与申诉</h2><td class=\"red\">红牌</td><td>红牌 in a sentence</td><th>审核人</th><p title=\"发现\">&lt;b&gt;发现</p>";
        assert_eq!(translate(page), "<h2>Answers and appeals</h2><td class=\"red\">Red</td><td>红牌 in a sentence</td><th>Decided by</th><p title=\"发现\">&lt;b&gt;发现</p>");
    }
}
