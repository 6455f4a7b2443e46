//! A person's session: the warehouse as one login, shell or page may see it — the tables seen
//! through an office's halls and with personal data masked, put in place before any view is
//! built over them, so the as-of views, the rankings and the findings all inherit the same
//! limits. The raw tables stay unreachable: each name is re-registered as a view over a scan of
//! the provider that has no name of its own. [`open`] builds one; the SQL shell, the Postgres
//! server (and the web pages) all come through it.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::catalog::default_table_source::provider_as_source;
use datafusion::common::Result;
use datafusion::datasource::ViewTable;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, cast, col, lit};
use datafusion::logical_expr::expr_fn::in_subquery;
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::SessionContext;

/// Who is querying: which halls (None = all), which office (for the delivery ledger), and
/// whether personal data is masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub halls: Option<Vec<String>>,
    pub office: Option<String>,
    pub masked: bool,
    /// Staff names masked too (`[privacy] mask_staff` for a masked session).
    pub mask_staff: bool,
}

impl Access {
    /// Everything, unmasked: what the checks and reports work on.
    pub fn full() -> Access {
        Access { halls: None, office: None, masked: false, mask_staff: false }
    }

    pub fn is_full(&self) -> bool {
        self.halls.is_none() && !self.masked && !self.mask_staff
    }
}

/// Tables about the whole warehouse rather than any hall's records, left out of a session
/// limited to some halls (their rows and counts span every office).
pub const WHOLE_WAREHOUSE_TABLES: [&str; 3] = ["quarantine", "ingests", crate::store::schemas::JOB_RUNS];

/// The columns of the reference tables that name staff (masked under `mask_staff`).
const STAFF_NAMES: [&str; 2] = ["staff_name", "leader_name"];

/// Columns of `check_runs` that count over every hall, shown as NULL to a limited session.
const RUN_COUNTS: [&str; 6] = ["findings", "red", "yellow", "info", "new_findings", "resolved_findings"];

/// A session on `snapshot` as of `as_of` with every table and view, seen through `access`: the
/// limits go on the tables before the rules' views are made over them.
pub async fn open(
    snapshot: Option<&crate::store::Snapshot>,
    cal: &crate::calendar::Calendar,
    catalog: &crate::checks::catalog::Catalog,
    profile: &crate::checks::profile::Profile,
    as_of: chrono::NaiveDateTime,
    settings: &crate::engine::EngineSettings,
    access: &Access,
) -> std::result::Result<SessionContext, crate::checks::CheckError> {
    let ctx = crate::engine::base_context(snapshot, cal, settings).await.map_err(crate::checks::CheckError::Engine)?;
    apply(&ctx, access).await.map_err(crate::checks::CheckError::Engine)?;
    crate::checks::register_rule_objects(&ctx, catalog, profile, as_of).await?;
    // A cluster's executors get the plans: the reference tables may be in memory there (empty,
    // never ingested), which a plan cannot carry, so a distributed session keeps the bare views.
    if settings.distributed.is_none() {
        name_views(&ctx).await.map_err(crate::checks::CheckError::Engine)?;
    }
    Ok(ctx)
}

/// The views and tables an analyst reads rows of halls, windows and staff from; each gains
/// `hall_name`, `window_name`, `staff_name` beside its ids, so nobody joins by hand.
pub const NAMED: [&str; 10] =
    ["tickets_at", "cases_at", "ratings_at", "denials_at", "case_deadlines", "denial_register", "bad_reviews", "window_rankings", "latest_findings", "findings"];

/// Re-registers each of [`NAMED`] with the reference tables' names joined on (as this session
/// sees them: limited and masked alike). A name the tables lack or leave blank is the id.
pub async fn name_views(ctx: &SessionContext) -> Result<()> {
    for name in NAMED {
        let Some(provider) = ctx.table_provider(name).await.ok() else { continue };
        let schema = provider.schema();
        let has = |c: &str| schema.field_with_name(c).is_ok();
        let (mut cols, mut joins) = (Vec::new(), Vec::new());
        if has("hall_id") && !has("hall_name") {
            cols.push("COALESCE(NULLIF(TRIM(nh.n_name), ''), v.hall_id) AS hall_name");
            joins.push("LEFT JOIN (SELECT hall_id AS n_hall, MAX(hall_name) AS n_name FROM halls GROUP BY hall_id) nh ON nh.n_hall = v.hall_id");
        }
        if has("hall_id") && has("window_id") && !has("window_name") {
            cols.push("COALESCE(NULLIF(TRIM(nw.n_name), ''), v.window_id) AS window_name");
            joins.push("LEFT JOIN (SELECT hall_id AS n_hall, window_id AS n_window, MAX(window_name) AS n_name FROM windows GROUP BY hall_id, window_id) nw ON nw.n_hall = v.hall_id AND nw.n_window = v.window_id");
        }
        if has("staff_id") && !has("staff_name") {
            cols.push("COALESCE(NULLIF(TRIM(ns.n_name), ''), v.staff_id) AS staff_name");
            joins.push("LEFT JOIN (SELECT staff_id AS n_staff, MAX(staff_name) AS n_name FROM staff GROUP BY staff_id) ns ON ns.n_staff = v.staff_id");
        }
        if cols.is_empty() {
            continue;
        }
        // The scan keeps the provider itself, so the plan outlives the temporary name.
        let tmp = format!("__unnamed_{name}");
        ctx.register_table(tmp.as_str(), provider)?;
        let sql = format!("SELECT v.*, {} FROM {tmp} v {}", cols.join(", "), joins.join(" "));
        let plan = ctx.sql(&sql).await.map(|df| df.into_unoptimized_plan());
        ctx.deregister_table(tmp.as_str())?;
        ctx.deregister_table(name)?;
        ctx.register_table(name, Arc::new(ViewTable::new(plan?, None)))?;
    }
    Ok(())
}

/// Re-registers the warehouse tables of `ctx` as `access` allows.
pub async fn apply(ctx: &SessionContext, access: &Access) -> Result<()> {
    if access.is_full() {
        return Ok(());
    }
    // The staff table as ingested, before any name is re-registered: attendance is seen through it.
    let staff = ctx.table_provider("staff").await.ok();
    let mut names: Vec<String> = crate::contract::Table::ALL.iter().map(|t| t.name().to_string()).collect();
    names.extend(crate::store::schemas::log_tables().into_iter().map(|(n, _)| n.to_string()));
    // The stored findings as they are, before they too are limited: what a response is joined to.
    let findings = ctx.table_provider("findings").await.ok();
    let sources = Sources { staff, findings };
    for name in names {
        let Some(provider) = ctx.table_provider(name.as_str()).await.ok() else { continue };
        ctx.deregister_table(name.as_str())?;
        if access.halls.is_some() && WHOLE_WAREHOUSE_TABLES.contains(&name.as_str()) {
            continue;
        }
        let view = restricted(ctx, &name, provider, &sources, access)?;
        ctx.register_table(name.as_str(), Arc::new(view))?;
    }
    Ok(())
}

/// The ids of the staff members of `halls` (the staff table's `hall_id`), as a one-column plan.
fn staff_of_halls(staff: Arc<dyn TableProvider>, halls: &[Expr]) -> Result<Arc<LogicalPlan>> {
    let plan = LogicalPlanBuilder::scan("staff", provider_as_source(staff), None)?
        .filter(col("hall_id").in_list(halls.to_vec(), false))?
        .project(vec![col("staff_id")])?
        .build()?;
    Ok(Arc::new(plan))
}

/// Tables of responses to findings: seen by a limited session when their finding is of its halls.
const ANSWERS: [&str; 2] = ["responses", crate::store::schemas::RESPONSE_LOG];

/// The tables as ingested that a limited table is seen through: attendance through the staff
/// table's halls, responses through their findings' halls.
struct Sources {
    staff: Option<Arc<dyn TableProvider>>,
    findings: Option<Arc<dyn TableProvider>>,
}

fn restricted(ctx: &SessionContext, name: &str, provider: Arc<dyn TableProvider>, sources: &Sources, access: &Access) -> Result<ViewTable> {
    let schema = provider.schema();
    let mut b = LogicalPlanBuilder::scan(name, provider_as_source(provider), None)?;
    if let Some(halls) = &access.halls {
        let list: Vec<Expr> = halls.iter().map(|h| lit(h.clone())).collect();
        if let (true, Some(findings)) = (ANSWERS.contains(&name), sources.findings.clone()) {
            // A response is of the hall of the finding it answers (any recorded run's).
            let key = ["rule", "entity_id", "month"];
            let of_halls = LogicalPlanBuilder::scan("answered_findings", provider_as_source(findings), None)?
                .filter(col("hall_id").in_list(list, false))?
                .project(key.iter().map(|k| col(*k)))?
                .build()?;
            b = b.join(of_halls, datafusion::logical_expr::JoinType::LeftSemi, (key.to_vec(), key.to_vec()), None)?;
        } else if schema.field_with_name("hall_id").is_ok() {
            b = b.filter(col("hall_id").in_list(list, false))?;
        } else if name == "check_runs" {
            // Every run is seen (latest_findings needs it); its counts over all halls are NULL below.
        } else if schema.field_with_name("office_id").is_ok() {
            // The delivery ledger: this office's own messages.
            b = b.filter(col("office_id").eq(lit(access.office.clone().unwrap_or_default())))?;
        } else if let (true, Some(staff)) = (name == crate::contract::Table::Attendance.name(), sources.staff.clone()) {
            // Attendance has no hall of its own: an office sees the rows of its halls' staff
            // (the staff table's hall_id), and none of a staff member not in the staff table.
            b = b.filter(in_subquery(col("staff_id"), staff_of_halls(staff, &list)?))?;
        } else if crate::contract::Table::parse(name).is_some() {
            // A record table with no hall of its own and no source to see it through: closed to a
            // limited session rather than open to every office.
            b = b.filter(lit(false))?;
        }
    }
    let mut exprs = Vec::new();
    for f in schema.fields() {
        let c = col(f.name().as_str());
        let e = if access.halls.is_some() && name == "check_runs" && RUN_COUNTS.contains(&f.name().as_str()) {
            cast(lit(datafusion::common::ScalarValue::Null), f.data_type().clone())
        } else if access.mask_staff && STAFF_NAMES.contains(&f.name().as_str()) {
            ctx.udf(crate::mask::mask_function(crate::mask::MaskKind::Name))?.call(vec![c])
        } else if let (true, Some(kind)) = (access.masked, crate::mask::column_mask(f.name())) {
            ctx.udf(crate::mask::mask_function(kind))?.call(vec![c])
        } else {
            c
        };
        exprs.push(e.alias(f.name()));
    }
    let plan = b.project(exprs)?.build()?;
    Ok(ViewTable::new(plan, None))
}
