//! okapi-testd: the smallest daemon on the okapi runtime. It runs no protocol; it exists so
//! the runtime (config, control API, signals, netlink) and the `okapi` shell can be tested
//! end to end, in the lab, before any protocol daemon exists.

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use okapi_runtime::daemon::{self, Context, DaemonSpec, Lifecycle};
use serde::{Deserialize, Serialize};

const SPEC: DaemonSpec = DaemonSpec {
    name: "okapi-testd",
    table: "testd",
};

/// The `[testd]` table of okapi.toml.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TestdConfig {
    /// Free text, shown by `GET /testd/config`; lets tests see which file is in force.
    #[serde(default)]
    description: String,
    /// A number, so tests can exercise type errors.
    #[serde(default)]
    level: u32,
}

fn main() -> ExitCode {
    daemon::main(SPEC, run)
}

async fn run(mut context: Context<TestdConfig>) -> Result<(), String> {
    let config = Arc::new(Mutex::new(context.config.clone()));
    let shown = config.clone();
    context.router.get("/testd/config", move |_| {
        let current = shown.lock().map(|config| config.clone()).unwrap_or_default();
        async move { serde_json::to_value(current).map_err(|e| okapi_runtime::control::ApiError::internal(e.to_string())) }
    });
    while let Some(event) = context.lifecycle.recv().await {
        match event {
            Lifecycle::Reload(new) => {
                tracing::info!(description = %new.description, "configuration applied");
                if let Ok(mut current) = config.lock() {
                    *current = new;
                }
            }
            Lifecycle::Stop => break,
        }
    }
    Ok(())
}
