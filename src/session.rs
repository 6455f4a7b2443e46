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
use datafusion::logical_expr::{Expr, LogicalPlanBuilder, cast, col, lit};
use datafusion::execution::FunctionRegistry;
use datafusion::prelude::SessionContext;

/// Who is querying: which halls (None = all), which office (for the delivery ledger), and
/// whether personal data is masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub halls: Option<Vec<String>>,
    pub office: Option<String>,
    pub masked: bool,
}

impl Access {
    /// Everything, unmasked: what the checks and reports work on.
    pub fn full() -> Access {
        Access { halls: None, office: None, masked: false }
    }

    pub fn is_full(&self) -> bool {
        self.halls.is_none() && !self.masked
    }
}

/// Tables about the whole warehouse rather than any hall's records, left out of a session
/// limited to some halls (their rows and counts span every office).
pub const WHOLE_WAREHOUSE_TABLES: [&str; 3] = ["quarantine", "ingests", crate::store::schemas::JOB_RUNS];

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
    Ok(ctx)
}

/// Re-registers the warehouse tables of `ctx` as `access` allows.
pub async fn apply(ctx: &SessionContext, access: &Access) -> Result<()> {
    if access.is_full() {
        return Ok(());
    }
    let mut names: Vec<String> = crate::contract::Table::ALL.iter().map(|t| t.name().to_string()).collect();
    names.extend(crate::store::schemas::log_tables().into_iter().map(|(n, _)| n.to_string()));
    // The stored findings as they are, before they too are limited: what a response is joined to.
    let findings = ctx.table_provider("findings").await.ok();
    for name in names {
        let Some(provider) = ctx.table_provider(name.as_str()).await.ok() else { continue };
        ctx.deregister_table(name.as_str())?;
        if access.halls.is_some() && WHOLE_WAREHOUSE_TABLES.contains(&name.as_str()) {
            continue;
        }
        let view = restricted(ctx, &name, provider, findings.clone(), access)?;
        ctx.register_table(name.as_str(), Arc::new(view))?;
    }
    Ok(())
}

/// Tables of responses to findings: seen by a limited session when their finding is of its halls.
const ANSWERS: [&str; 2] = ["responses", crate::store::schemas::RESPONSE_LOG];

fn restricted(ctx: &SessionContext, name: &str, provider: Arc<dyn TableProvider>, findings: Option<Arc<dyn TableProvider>>, access: &Access) -> Result<ViewTable> {
    let schema = provider.schema();
    let mut b = LogicalPlanBuilder::scan(name, provider_as_source(provider), None)?;
    if let Some(halls) = &access.halls {
        let list: Vec<Expr> = halls.iter().map(|h| lit(h.clone())).collect();
        if let (true, Some(findings)) = (ANSWERS.contains(&name), findings) {
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
        } else {
            // A table with no hall of its own (attendance, responses): closed to a limited
            // session rather than open to every office.
            b = b.filter(lit(false))?;
        }
    }
    let mut exprs = Vec::new();
    for f in schema.fields() {
        let c = col(f.name().as_str());
        let e = if access.halls.is_some() && name == "check_runs" && RUN_COUNTS.contains(&f.name().as_str()) {
            cast(lit(datafusion::common::ScalarValue::Null), f.data_type().clone())
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
