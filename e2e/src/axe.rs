//! Automated accessibility checks with axe-core (the npm package `axe-core`, installed into
//! the workspace's `node_modules` by `npm ci`), run inside the page under test.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use fantoccini::wd::TimeoutConfiguration;
use serde_json::Value;

use crate::browser::Browser;
use crate::served_app::workspace_root;

/// How long one axe run may take; a page full of messages on a busy machine takes seconds.
const AXE_LIMIT: Duration = Duration::from_secs(60);

/// The script timeout every browser starts with (see the capabilities in `browser.rs`).
const USUAL_SCRIPT_LIMIT: Duration = Duration::from_secs(10);

/// One rule the page breaks, with the elements that break it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AxeViolation {
    /// The rule's id, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for, in a sentence.
    pub help: String,
    /// Where the rule is explained.
    pub help_url: String,
    /// Each offending element: its CSS selector, its markup and axe's summary of the fix.
    pub nodes: Vec<String>,
}

impl AxeViolation {
    /// Whether axe rates it `serious` or `critical`.
    pub fn is_serious(&self) -> bool {
        matches!(self.impact.as_str(), "serious" | "critical")
    }

    fn parse(value: &Value) -> Self {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let nodes = value["nodes"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|node| {
                let target = node["target"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .map(|s| s.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_default();
                let summary = text(&node["failureSummary"]).replace('\n', " ");
                format!("{target} {} — {summary}", text(&node["html"]))
            })
            .collect();
        Self {
            id: text(&value["id"]),
            impact: text(&value["impact"]),
            help: text(&value["help"]),
            help_url: text(&value["helpUrl"]),
            nodes,
        }
    }
}

impl fmt::Display for AxeViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "[{}] {}: {} ({} elements; {})",
            self.impact,
            self.id,
            self.help,
            self.nodes.len(),
            self.help_url
        )?;
        for node in &self.nodes {
            writeln!(f, "    {node}")?;
        }
        Ok(())
    }
}

/// Where the axe-core script is: `node_modules/axe-core/axe.min.js` at the workspace root.
pub fn axe_script_path() -> PathBuf {
    workspace_root().join("node_modules/axe-core/axe.min.js")
}

impl Browser {
    /// Runs every axe-core rule on the whole page as it is now and returns what it breaks.
    ///
    /// Injects axe-core first if this page does not have it yet (a navigation or reload
    /// drops it).
    pub async fn axe_violations(&self) -> Vec<AxeViolation> {
        let loaded = self
            .client()
            .execute("return typeof window.axe === 'object';", vec![])
            .await
            .unwrap_or_else(|e| panic!("{}: cannot look for axe: {e}", self.label()));
        if loaded != Value::Bool(true) {
            let path = axe_script_path();
            let source = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "cannot read {} ({e}): run `npm ci` at the workspace root",
                    path.display()
                )
            });
            self.client()
                .execute(&format!("{source}\nreturn typeof window.axe;"), vec![])
                .await
                .unwrap_or_else(|e| panic!("{}: cannot load axe-core: {e}", self.label()));
        }
        self.set_script_limit(AXE_LIMIT).await;
        let result = self
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                   .then((r) => done({ violations: r.violations }))
                   .catch((e) => done({ error: String(e) }));",
                vec![],
            )
            .await;
        self.set_script_limit(USUAL_SCRIPT_LIMIT).await;
        let result = result.unwrap_or_else(|e| panic!("{}: axe did not finish: {e}", self.label()));
        if let Some(error) = result["error"].as_str() {
            panic!("{}: axe failed: {error}", self.label());
        }
        result["violations"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(AxeViolation::parse)
            .collect()
    }

    async fn set_script_limit(&self, limit: Duration) {
        self.client()
            .update_timeouts(TimeoutConfiguration::new(Some(limit), None, None))
            .await
            .unwrap_or_else(|e| panic!("{}: cannot set the script timeout: {e}", self.label()));
    }
}
