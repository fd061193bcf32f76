//! Running the `nft` command of the nftables package, bounded in time: the daemon's nftables
//! tables (non-accept mode, handover forwarding) are changed from inside the main loop, so a
//! hung `nft` must not stop the adverts for long.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

/// The longest an `nft` run may take before it is killed.
pub const NFT_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs `nft -f -` with `script` on its standard input; its standard output, or the first
/// line of what it said on failure.
pub async fn run(script: &str) -> Result<String, String> {
    run_with(&["-f", "-"], script).await
}

/// Runs `nft ARGS...` (no input); its standard output.
pub async fn query(args: &[&str]) -> Result<String, String> {
    run_with(args, "").await
}

async fn run_with(args: &[&str], script: &str) -> Result<String, String> {
    let work = async {
        let mut child = tokio::process::Command::new("nft")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|error| format!("cannot run nft: {error}"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(script.as_bytes())
                .await
                .map_err(|error| format!("writing to nft: {error}"))?;
        }
        let output = child
            .wait_with_output()
            .await
            .map_err(|error| format!("nft: {error}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "nft: {}",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .next()
                    .unwrap_or("failed")
            ))
        }
    };
    tokio::time::timeout(NFT_TIMEOUT, work)
        .await
        .unwrap_or_else(|_| Err(format!("nft: no exit within {} s (killed)", NFT_TIMEOUT.as_secs())))
}
