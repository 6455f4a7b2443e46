//! The data contract (`shared/spec/data-contract.md`) written down once, as data.
//!
//! Ingest reads headers and values through it, the warehouse derives its Parquet schemas from it,
//! the generator writes its exports with its headers, and the SQL shell describes tables from it.
//! Nothing else in the crate spells a column name, a Chinese header or an enum value of an export.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Every table the warehouse holds from files: the four exports of the halls' systems
/// (data-contract.md), the reference tables and the supervisors' own records (supervision.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Table {
    Tickets,
    Cases,
    Ratings,
    Denials,
    Halls,
    Windows,
    Staff,
    Inspections,
    Complaints,
    Attendance,
    Responses,
}

/// What a table is, which decides how it is read (supervision.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// An export of a hall's systems (data-contract.md): read as of T.
    Export,
    /// Reference data (主数据): facts "as now", no as-of reading.
    Reference,
    /// A record the supervisors write themselves: read as of T.
    Record,
}

impl Table {
    pub const ALL: [Table; 11] = [
        Table::Tickets,
        Table::Cases,
        Table::Ratings,
        Table::Denials,
        Table::Halls,
        Table::Windows,
        Table::Staff,
        Table::Inspections,
        Table::Complaints,
        Table::Attendance,
        Table::Responses,
    ];

    /// The four exports of the halls' systems.
    pub const EXPORTS: [Table; 4] = [Table::Tickets, Table::Cases, Table::Ratings, Table::Denials];

    /// The reference tables (halls, windows, staff).
    pub const REFERENCE: [Table; 3] = [Table::Halls, Table::Windows, Table::Staff];

    /// The supervisors' records.
    pub const RECORDS: [Table; 4] = [Table::Inspections, Table::Complaints, Table::Attendance, Table::Responses];

    pub fn kind(self) -> TableKind {
        if Table::REFERENCE.contains(&self) {
            TableKind::Reference
        } else if Table::RECORDS.contains(&self) {
            TableKind::Record
        } else {
            TableKind::Export
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Table::Tickets => "tickets",
            Table::Cases => "cases",
            Table::Ratings => "ratings",
            Table::Denials => "denials",
            Table::Halls => "halls",
            Table::Windows => "windows",
            Table::Staff => "staff",
            Table::Inspections => "inspections",
            Table::Complaints => "complaints",
            Table::Attendance => "attendance",
            Table::Responses => "responses",
        }
    }

    pub fn zh_name(self) -> &'static str {
        match self {
            Table::Tickets => "排队叫号记录",
            Table::Cases => "办件记录",
            Table::Ratings => "好差评",
            Table::Denials => "否定备案登记",
            Table::Halls => "服务大厅",
            Table::Windows => "窗口与AB岗",
            Table::Staff => "工作人员",
            Table::Inspections => "巡查暗访记录",
            Table::Complaints => "投诉登记",
            Table::Attendance => "考勤汇总",
            Table::Responses => "回告与申诉",
        }
    }

    pub fn parse(s: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == s.trim().to_ascii_lowercase())
    }

    pub fn spec(self) -> &'static TableSpec {
        match self {
            Table::Tickets => &TICKETS,
            Table::Cases => &CASES,
            Table::Ratings => &RATINGS,
            Table::Denials => &DENIALS,
            Table::Halls => &HALLS,
            Table::Windows => &WINDOWS,
            Table::Staff => &STAFF,
            Table::Inspections => &INSPECTIONS,
            Table::Complaints => &COMPLAINTS,
            Table::Attendance => &ATTENDANCE,
            Table::Responses => &RESPONSES,
        }
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Enumerations of the contract; values are stored as their canonical Chinese label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnumKind {
    TicketStatus,
    CaseType,
    Outcome,
    VerificationResult,
    DenialType,
    /// staff.employment: 在编 / 非编 (合同制, 劳务派遣, 编外 are 非编).
    Employment,
    /// inspections.kind.
    InspectionKind,
    /// complaints.level: who substantiated it (Fujian 第四十一条).
    ComplaintLevel,
    /// responses.decision: the supervisor's decision on an appeal.
    Decision,
}

impl EnumKind {
    /// The canonical labels, as stored in the warehouse.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            EnumKind::TicketStatus => &["已办理", "过号", "弃号", "未叫号"],
            EnumKind::CaseType => &["即办件", "承诺件"],
            EnumKind::Outcome => &["办理中", "办结", "不予受理", "不予批准", "退办"],
            EnumKind::VerificationResult => &["属实", "误评", "恶意差评"],
            EnumKind::DenialType => &["不予受理", "不予批准"],
            EnumKind::Employment => &["在编", "非编"],
            EnumKind::InspectionKind => &["巡查", "暗访", "抽查", "值班巡查"],
            EnumKind::ComplaintLevel => &["中心", "厅效能办", "省效能办", "媒体曝光"],
            EnumKind::Decision => &["认可", "不认可"],
        }
    }

    /// Reads one (already trimmed, non-missing) value: a canonical label or an accepted code.
    pub fn parse(self, s: &str) -> Option<&'static str> {
        if let Some(l) = self.labels().iter().find(|l| **l == s) {
            return Some(l);
        }
        match (self, s) {
            // GB/T 39046-2020 A.6: 1 = 即办件, 2 = 承诺件.
            (EnumKind::CaseType, "1") => Some("即办件"),
            (EnumKind::CaseType, "2") => Some("承诺件"),
            // supervision.md: 在编 = 正式在编; 非编 includes 合同制, 劳务派遣, 编外.
            (EnumKind::Employment, "正式在编") => Some("在编"),
            (EnumKind::Employment, "合同制" | "劳务派遣" | "编外") => Some("非编"),
            _ => None,
        }
    }
}

/// The five satisfaction levels, best first, with their score (5 = 非常满意).
pub const LEVELS: [(&str, i32); 5] = [("非常满意", 5), ("满意", 4), ("基本满意", 3), ("不满意", 2), ("非常不满意", 1)];

/// A bad review (差评).
pub const BAD_LEVELS: [&str; 2] = ["不满意", "非常不满意"];

/// Reads a text level label or one of its synonyms.
pub fn parse_level_label(s: &str) -> Option<&'static str> {
    match s {
        "很满意" => Some("非常满意"),
        "一般" => Some("基本满意"),
        _ => LEVELS.iter().map(|(l, _)| *l).find(|l| *l == s),
    }
}

/// How a source codes numeric levels; numeric levels are read only when this is configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum NumericLevels {
    /// GB/T 39046: 1 = 非常满意 … 5 = 非常不满意.
    #[serde(rename = "1=非常满意")]
    OneIsBest,
    /// Many evaluation interfaces: 1 = 非常不满意 … 5 = 非常满意.
    #[serde(rename = "1=非常不满意")]
    OneIsWorst,
}

impl NumericLevels {
    pub const ACCEPTED: &'static str = "1=非常满意 (GB/T 39046) or 1=非常不满意";

    pub fn parse(s: &str) -> Option<NumericLevels> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        match compact.as_str() {
            "1=非常满意" | "gbt39046" | "1=best" => Some(NumericLevels::OneIsBest),
            "1=非常不满意" | "1=worst" => Some(NumericLevels::OneIsWorst),
            _ => None,
        }
    }

    pub fn label(self, n: i64) -> Option<&'static str> {
        if !(1..=5).contains(&n) {
            return None;
        }
        let idx = match self {
            NumericLevels::OneIsBest => n - 1,
            NumericLevels::OneIsWorst => 5 - n,
        };
        Some(LEVELS[idx as usize].0)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NumericLevels::OneIsBest => "1=非常满意",
            NumericLevels::OneIsWorst => "1=非常不满意",
        }
    }
}

/// What kind of personal data a column holds (masked in every output unless allowed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    Name,
    IdNumber,
    Phone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    /// Local China time, no zone; stored as microseconds.
    Timestamp,
    Date,
    Bool,
    Int,
    Enum(EnumKind),
    /// The five-level satisfaction scale.
    Level,
    /// A boolean that also reads 有/无 (inspections.violation: 发现问题 有/无).
    Found,
    /// A whole number ≥ 0 (a count).
    Count,
    /// A number ≥ 0, fractions allowed (days of leave).
    Number,
    /// A calendar month, stored as `YYYY-MM` (2026-10, 2026/10, 2026年10月, 202610).
    Month,
}

impl ColType {
    pub fn arrow(self) -> DataType {
        match self {
            ColType::Text | ColType::Enum(_) | ColType::Level | ColType::Month => DataType::Utf8,
            ColType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            ColType::Date => DataType::Date32,
            ColType::Bool | ColType::Found => DataType::Boolean,
            ColType::Int | ColType::Count => DataType::Int64,
            ColType::Number => DataType::Float64,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            ColType::Text => "text",
            ColType::Timestamp => "timestamp (2026-10-08 09:15:00, 2026/10/8 9:15, 2026-10-08T09:15:00 or an Excel date cell)",
            ColType::Date => "date (2026-10-08 or 2026/10/8)",
            ColType::Bool => "boolean (是/否, true/false, 1/0, Y/N)",
            ColType::Int => "integer",
            ColType::Enum(_) => "one of the listed values",
            ColType::Level => "satisfaction level",
            ColType::Found => "boolean (是/否, 有/无, true/false, 1/0, Y/N)",
            ColType::Count => "whole number ≥ 0",
            ColType::Number => "number ≥ 0",
            ColType::Month => "month (2026-10, 2026/10 or 2026年10月)",
        }
    }
}

#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    /// Chinese headers real systems print; the canonical name is always accepted too.
    pub headers: &'static [&'static str],
    pub ty: ColType,
    /// A file without this column is an error; a row without a value is rejected.
    pub required: bool,
    pub personal: Option<Personal>,
    pub zh: &'static str,
}

impl Column {
    /// Every header accepted for this column, canonical name first.
    pub fn accepted_headers(&self) -> Vec<&'static str> {
        std::iter::once(self.name).chain(self.headers.iter().copied()).collect()
    }
}

#[derive(Debug)]
pub struct TableSpec {
    pub table: Table,
    /// Natural key columns.
    pub key: &'static [&'static str],
    pub columns: &'static [Column],
}

/// Lineage columns the warehouse adds to every table.
pub const LINEAGE: [&str; 3] = ["_ingest_id", "_source", "_line"];

impl TableSpec {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn key_indices(&self) -> Vec<usize> {
        self.key.iter().map(|k| self.index_of(k).expect("key column in contract")).collect()
    }

    /// The table's data columns only, as stored.
    pub fn data_fields(&self) -> Vec<Field> {
        self.columns.iter().map(|c| Field::new(c.name, c.ty.arrow(), !(c.required))).collect()
    }

    /// The warehouse schema: data columns then lineage.
    pub fn schema(&self) -> SchemaRef {
        let mut fields = self.data_fields();
        fields.push(Field::new("_ingest_id", DataType::Int64, false));
        fields.push(Field::new("_source", DataType::Utf8, false));
        fields.push(Field::new("_line", DataType::Int64, false));
        Arc::new(Schema::new(fields))
    }

    /// Finds the column a header names (canonical name in any case, or an accepted header).
    pub fn resolve_header(&self, header: &str) -> Option<usize> {
        let h = header.trim().trim_start_matches('\u{feff}').trim();
        self.columns
            .iter()
            .position(|c| c.name.eq_ignore_ascii_case(h) || c.headers.contains(&h))
    }
}

macro_rules! col {
    ($name:literal, $zh:literal, [$($h:literal),*], $ty:expr, $req:literal) => {
        Column { name: $name, zh: $zh, headers: &[$($h),*], ty: $ty, required: $req, personal: None }
    };
    ($name:literal, $zh:literal, [$($h:literal),*], $ty:expr, $req:literal, $p:expr) => {
        Column { name: $name, zh: $zh, headers: &[$($h),*], ty: $ty, required: $req, personal: Some($p) }
    };
}

use ColType::*;

pub static TICKETS: TableSpec = TableSpec {
    table: Table::Tickets,
    key: &["hall_id", "ticket_id"],
    columns: &[
        col!("ticket_id", "票号", ["票号", "排队号", "流水号"], Text, true),
        col!("hall_id", "大厅编码", ["大厅编码", "服务大厅编码", "区域编码"], Text, true),
        col!("window_id", "窗口编号", ["窗口编号", "窗口号", "窗口名称"], Text, false),
        col!("staff_id", "工号", ["工号", "操作人员", "经办人"], Text, false),
        col!("item_code", "事项编码", ["事项编码", "业务编码"], Text, false),
        col!("issued_at", "取号时间", ["取号时间"], Timestamp, true),
        col!("called_at", "叫号时间", ["叫号时间"], Timestamp, false),
        col!("finished_at", "完成时间", ["完成时间", "结束时间"], Timestamp, false),
        col!("status", "状态", ["状态", "排队状态"], Enum(EnumKind::TicketStatus), true),
        col!("is_appointment", "是否预约", ["是否预约"], Bool, false),
    ],
};

pub static CASES: TableSpec = TableSpec {
    table: Table::Cases,
    key: &["case_id"],
    columns: &[
        col!("case_id", "办件编号", ["办件编号"], Text, true),
        col!("hall_id", "大厅编码", ["大厅编码", "受理单位编码"], Text, true),
        col!("window_id", "窗口编号", ["窗口编号", "窗口号"], Text, false),
        col!("staff_id", "受理人员", ["受理人员", "受理人工号"], Text, false),
        col!("item_code", "事项编码", ["事项编码", "实施编码"], Text, true),
        col!("item_name", "事项名称", ["事项名称"], Text, false),
        col!("case_type", "办件类型", ["办件类型"], Enum(EnumKind::CaseType), true),
        col!("promised_days", "承诺时限", ["承诺时限", "承诺办结时限"], Int, false),
        col!("applicant_name", "申请人", ["申请人", "申请人姓名"], Text, false, Personal::Name),
        col!("applicant_id_no", "证件号码", ["证件号码", "申请人证件号码"], Text, false, Personal::IdNumber),
        col!("applicant_phone", "联系电话", ["联系电话", "申请人电话"], Text, false, Personal::Phone),
        col!("accepted_at", "受理时间", ["受理时间"], Timestamp, true),
        col!("completed_at", "办结时间", ["办结时间"], Timestamp, false),
        col!("outcome", "办理结果", ["办理结果", "办件状态"], Enum(EnumKind::Outcome), true),
        col!("supplement_requests", "补正次数", ["补正次数"], Int, false),
        col!("rongque", "容缺受理", ["容缺受理", "是否容缺"], Bool, false),
        col!("supplement_due", "容缺补正期限", ["容缺补正期限", "补正期限"], Date, false),
        col!("supplement_received_at", "补正时间", ["补正时间", "材料补齐时间"], Timestamp, false),
        col!("extension_days", "延期天数", ["延期天数", "延长时限"], Int, false),
        col!("extension_reason", "延期理由", ["延期理由"], Text, false),
        col!("extension_approver", "延期审批人", ["延期审批人"], Text, false),
        col!("extension_approved_at", "延期审批时间", ["延期审批时间"], Timestamp, false),
        col!("overdue_notified_at", "超期告知时间", ["超期告知时间"], Timestamp, false),
        col!("ticket_id", "票号", ["票号", "排队号"], Text, false),
    ],
};

pub static RATINGS: TableSpec = TableSpec {
    table: Table::Ratings,
    key: &["rating_id"],
    columns: &[
        col!("rating_id", "评价编号", ["评价编号"], Text, true),
        col!("case_id", "办件编号", ["办件编号"], Text, false),
        col!("ticket_id", "票号", ["票号"], Text, false),
        col!("hall_id", "大厅编码", ["大厅编码"], Text, true),
        col!("window_id", "窗口编号", ["窗口编号", "窗口号"], Text, false),
        col!("staff_id", "工号", ["工号", "被评价人"], Text, false),
        col!("channel", "评价渠道", ["评价渠道"], Text, false),
        col!("rated_at", "评价时间", ["评价时间"], Timestamp, true),
        col!("level", "评价等级", ["评价等级", "满意度"], Level, true),
        col!("comment", "评价内容", ["评价内容", "文字评价"], Text, false),
        col!("verified_at", "核实时间", ["核实时间", "回访时间"], Timestamp, false),
        col!("verification_result", "核实结果", ["核实结果"], Enum(EnumKind::VerificationResult), false),
        col!("rectify_due_extended", "延期整改期限", ["延期整改期限"], Date, false),
        col!("rectify_extension_reason", "延期整改理由", ["延期整改理由"], Text, false),
        col!("rectify_extension_reported_at", "延期整改报告时间", ["延期整改报告时间"], Timestamp, false),
        col!("rectified_at", "整改完成时间", ["整改完成时间"], Timestamp, false),
        col!("feedback_at", "整改反馈时间", ["整改反馈时间", "反馈营商局时间"], Timestamp, false),
    ],
};

pub static DENIALS: TableSpec = TableSpec {
    table: Table::Denials,
    key: &["register_id"],
    columns: &[
        col!("register_id", "备案编号", ["备案编号", "登记编号", "序号"], Text, true),
        col!("case_id", "办件编号", ["办件编号"], Text, true),
        col!("hall_id", "大厅编码", ["大厅编码"], Text, true),
        col!("item_code", "事项编码", ["事项编码"], Text, false),
        col!("applicant_name", "申请人", ["申请人"], Text, false, Personal::Name),
        col!("denial_type", "否定类型", ["否定类型"], Enum(EnumKind::DenialType), true),
        col!("decided_at", "决定时间", ["决定时间", "否定时间"], Timestamp, true),
        col!("reason", "否定理由", ["否定理由", "理由"], Text, false),
        col!("legal_basis", "法律政策依据", ["法律政策依据", "依据"], Text, false),
        col!("approval_type", "审批方式", ["审批方式"], Text, false),
        col!("approver", "审批人", ["审批人", "审批领导"], Text, false),
        col!("notice_served_at", "书面告知时间", ["书面告知时间", "送达时间"], Timestamp, false),
        col!("filed_at", "备案时间", ["备案时间", "报送营商局时间"], Timestamp, false),
        col!("archived", "是否归档", ["是否归档"], Bool, false),
    ],
};

pub static HALLS: TableSpec = TableSpec {
    table: Table::Halls,
    key: &["hall_id"],
    columns: &[
        col!("hall_id", "大厅编号", ["大厅编号", "服务大厅编码", "大厅编码"], Text, true),
        col!("hall_name", "大厅名称", ["大厅名称", "服务大厅名称"], Text, true),
        col!("district", "所属区县", ["所属区县", "行政区划"], Text, false),
        col!("leader_name", "负责人", ["负责人"], Text, false),
        col!("leader_email", "负责人邮箱", ["负责人邮箱"], Text, false),
    ],
};

pub static WINDOWS: TableSpec = TableSpec {
    table: Table::Windows,
    key: &["hall_id", "window_id"],
    columns: &[
        col!("hall_id", "大厅编号", ["大厅编号", "大厅编码"], Text, true),
        col!("window_id", "窗口号", ["窗口号", "窗口编号"], Text, true),
        col!("window_name", "窗口名称", ["窗口名称"], Text, false),
        col!("a_staff_id", "A岗", ["A岗", "A岗工号", "主办人员"], Text, false),
        col!("b_staff_id", "B岗", ["B岗", "B岗工号", "替岗人员"], Text, false),
    ],
};

pub static STAFF: TableSpec = TableSpec {
    table: Table::Staff,
    key: &["staff_id"],
    columns: &[
        col!("staff_id", "工号", ["工号", "人员编号"], Text, true),
        col!("staff_name", "姓名", ["姓名", "工作人员姓名"], Text, true),
        col!("hall_id", "大厅编号", ["大厅编号", "大厅编码"], Text, true),
        col!("employment", "人员类别", ["人员类别", "编制类别"], Enum(EnumKind::Employment), false),
    ],
};

pub static INSPECTIONS: TableSpec = TableSpec {
    table: Table::Inspections,
    key: &["inspection_id"],
    columns: &[
        col!("inspection_id", "记录编号", ["记录编号", "检查编号"], Text, true),
        col!("hall_id", "大厅编号", ["大厅编号", "大厅编码"], Text, true),
        col!("window_id", "窗口号", ["窗口号", "窗口编号"], Text, false),
        col!("staff_id", "被检查人工号", ["工号", "被检查人工号"], Text, false),
        col!("inspected_at", "检查时间", ["检查时间", "巡查时间"], Timestamp, true),
        col!("kind", "检查方式", ["检查方式"], Enum(EnumKind::InspectionKind), true),
        col!("inspector", "检查人", ["检查人", "带班负责人"], Text, false),
        col!("violation", "是否违规", ["是否违规", "发现问题"], Found, true),
        col!("item", "问题类别", ["问题类别"], Text, false),
        col!("description", "问题描述", ["问题描述"], Text, false),
        col!("rectify_by", "整改期限", ["整改期限"], Date, false),
        col!("rectified_at", "整改完成时间", ["整改完成时间"], Timestamp, false),
    ],
};

pub static COMPLAINTS: TableSpec = TableSpec {
    table: Table::Complaints,
    key: &["complaint_id"],
    columns: &[
        col!("complaint_id", "投诉编号", ["投诉编号"], Text, true),
        col!("hall_id", "大厅编号", ["大厅编号", "大厅编码"], Text, true),
        col!("window_id", "窗口号", ["窗口号", "窗口编号"], Text, false),
        col!("staff_id", "被投诉人工号", ["被投诉人工号"], Text, false),
        col!("received_at", "投诉时间", ["投诉时间", "受理时间"], Timestamp, true),
        col!("channel", "投诉渠道", ["投诉渠道"], Text, false),
        col!("level", "查处级别", ["查处级别"], Enum(EnumKind::ComplaintLevel), false),
        col!("substantiated", "是否属实", ["是否属实", "查实"], Bool, false),
        col!("replied_at", "答复时间", ["答复时间", "办结时间"], Timestamp, false),
        col!("result_notified_at", "结果告知时间", ["结果告知时间", "反馈时间"], Timestamp, false),
    ],
};

pub static ATTENDANCE: TableSpec = TableSpec {
    table: Table::Attendance,
    key: &["staff_id", "month"],
    columns: &[
        col!("staff_id", "工号", ["工号"], Text, true),
        col!("month", "月份", ["月份", "考勤月份"], Month, true),
        col!("late_early", "迟到早退次数", ["迟到早退次数"], Count, true),
        col!("personal_leave_days", "事假天数", ["事假天数"], Number, false),
        col!("sick_leave_days", "病假天数", ["病假天数"], Number, false),
    ],
};

pub static RESPONSES: TableSpec = TableSpec {
    table: Table::Responses,
    key: &["rule", "entity_id", "month"],
    columns: &[
        col!("rule", "规则", ["规则"], Text, true),
        col!("entity_id", "对象编号", ["对象编号"], Text, true),
        col!("month", "月份", ["月份"], Month, true),
        col!("responded_at", "回告时间", ["回告时间"], Timestamp, true),
        col!("responder", "回告人", ["回告人"], Text, false),
        col!("explanation", "情况说明", ["情况说明"], Text, true),
        col!("appeal", "是否申诉", ["是否申诉"], Bool, false),
        col!("decision", "审核结果", ["审核结果"], Enum(EnumKind::Decision), false),
        col!("decided_by", "审核人", ["审核人"], Text, false),
        col!("decided_at", "审核时间", ["审核时间"], Timestamp, false),
    ],
};

/// The recognised approval types of a denial (anything else is a finding, not a rejection).
pub const APPROVAL_TYPES: [&str; 2] = ["分管领导", "办公会"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_resolve_and_are_unambiguous_within_a_table() {
        for t in Table::ALL {
            let spec = t.spec();
            for (i, c) in spec.columns.iter().enumerate() {
                for h in c.accepted_headers() {
                    assert_eq!(spec.resolve_header(h), Some(i), "{t}: header {h}");
                }
            }
            for k in spec.key {
                assert!(spec.column(k).unwrap().required, "{t}: key {k} must be required");
            }
        }
        assert_eq!(CASES.resolve_header(" 受理时间 "), Some(CASES.index_of("accepted_at").unwrap()));
        assert_eq!(CASES.resolve_header("\u{feff}办件编号"), Some(0));
        assert_eq!(CASES.resolve_header("CASE_ID"), Some(0));
        assert_eq!(CASES.resolve_header("unknown"), None);
    }

    #[test]
    fn numeric_levels_follow_the_configured_direction() {
        assert_eq!(NumericLevels::OneIsBest.label(1), Some("非常满意"));
        assert_eq!(NumericLevels::OneIsBest.label(5), Some("非常不满意"));
        assert_eq!(NumericLevels::OneIsWorst.label(1), Some("非常不满意"));
        assert_eq!(NumericLevels::OneIsWorst.label(4), Some("满意"));
        assert_eq!(NumericLevels::OneIsWorst.label(6), None);
        assert_eq!(NumericLevels::parse("1 = 非常不满意"), Some(NumericLevels::OneIsWorst));
        assert_eq!(parse_level_label("很满意"), Some("非常满意"));
        assert_eq!(parse_level_label("一般"), Some("基本满意"));
        assert_eq!(parse_level_label("不满意"), Some("不满意"));
        assert_eq!(parse_level_label("差"), None);
    }

    #[test]
    fn case_type_codes() {
        assert_eq!(EnumKind::CaseType.parse("1"), Some("即办件"));
        assert_eq!(EnumKind::CaseType.parse("承诺件"), Some("承诺件"));
        assert_eq!(EnumKind::Outcome.parse("办结"), Some("办结"));
        assert_eq!(EnumKind::Outcome.parse("完成"), None);
    }
}
