//! okapi-lab: the command line (see man/okapi-lab.1).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use okapi_lab::{Lab, LabError, Topology, is_root};

#[derive(Debug, Parser)]
#[command(
    name = "okapi-lab",
    version,
    about = "Runs containerlab topology files on a plain Linux host with network namespaces",
    after_help = "Needs root for everything but `check` and `status`. See okapi-lab(1) and docs/lab.md."
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Validate a topology file and bring its lab up.
    Up {
        /// The topology file (containerlab's *.clab.yml).
        file: PathBuf,
    },
    /// Bring a lab down: stop its processes, delete its namespaces, remove its state.
    Down {
        /// The topology file or the lab's name.
        target: String,
    },
    /// Run a command on a node, in its namespace and filesystem view; exits with its status.
    Exec {
        /// The lab (needed when several labs that are up have this node).
        #[arg(long)]
        lab: Option<String>,
        /// The node.
        node: String,
        /// The command and its arguments (after `--`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        command: Vec<String>,
    },
    /// Show labs, their nodes, namespaces and processes.
    Status {
        /// Only this lab.
        name: Option<String>,
    },
    /// Capture packets on a node's interface into a pcap file (tshark).
    Capture {
        /// The lab (needed when several labs that are up have this node).
        #[arg(long)]
        lab: Option<String>,
        /// NODE:INTERFACE, e.g. r1:eth1.
        target: String,
        /// The pcap file to write.
        file: PathBuf,
        /// Stop after this many seconds (default: until SIGINT or SIGTERM).
        #[arg(long)]
        duration: Option<f64>,
        /// Leave tshark running and return; `down` stops it.
        #[arg(long, conflicts_with = "duration")]
        background: bool,
    },
    /// Validate a topology file and show what `up` would create (no root needed).
    Check {
        /// The topology file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    // Like other command-line tools: `okapi-lab status | head` ends quietly.
    // SAFETY: restoring a default signal disposition before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("okapi-lab: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Cmd) -> Result<ExitCode, LabError> {
    match command {
        Cmd::Up { file } => up(&file),
        Cmd::Down { target } => {
            require_root()?;
            let name = okapi_lab::lab_name(&target)?;
            let was_up = okapi_lab::state::lab_dir(&name).exists();
            okapi_lab::down(&target)?;
            if was_up {
                println!("lab {name} is down");
            } else {
                eprintln!("okapi-lab: lab {name} is not up: nothing to do");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Exec { lab, node, command } => {
            require_root()?;
            let lab = pick_lab(lab.as_deref(), &node)?;
            let argv: Vec<&str> = command.iter().map(String::as_str).collect();
            let status = lab.command(&node, &argv)?.status().map_err(|error| LabError::Command {
                what: format!("running {}", command.join(" ")),
                detail: error.to_string(),
            })?;
            Ok(exit_code(status))
        }
        Cmd::Status { name } => status(name.as_deref()),
        Cmd::Capture {
            lab,
            target,
            file,
            duration,
            background,
        } => capture(lab.as_deref(), &target, &file, duration, background),
        Cmd::Check { file } => check(&file),
    }
}

fn require_root() -> Result<(), LabError> {
    if is_root() { Ok(()) } else { Err(LabError::NotRoot) }
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt as _;
    let code = status
        .code()
        .or_else(|| status.signal().map(|signal| 128 + signal))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn up(file: &std::path::Path) -> Result<ExitCode, LabError> {
    let started = Instant::now();
    let lab = Lab::up(file)?;
    let state = lab.state();
    println!(
        "lab {} is up in {:.2}s: {} nodes, {} links, {} processes (okapi-lab status {}; okapi-lab down {})",
        lab.name(),
        started.elapsed().as_secs_f64(),
        state.nodes.len(),
        state.links.len(),
        state.processes.len(),
        lab.name(),
        lab.name()
    );
    Ok(ExitCode::SUCCESS)
}

fn check(file: &std::path::Path) -> Result<ExitCode, LabError> {
    let topology = Topology::load(file)?;
    for warning in topology.warnings() {
        eprintln!("okapi-lab: warning: {warning}");
    }
    println!("{}: lab {} is valid", file.display(), topology.name());
    for node in topology.node_names() {
        println!("  {node}: namespace {}", topology.netns(&node));
    }
    Ok(ExitCode::SUCCESS)
}

/// The lab to use for `exec`/`capture` on `node`.
fn pick_lab(name: Option<&str>, node: &str) -> Result<Lab, LabError> {
    if let Some(name) = name {
        return Lab::open(name);
    }
    let labs = okapi_lab::state::labs();
    let with_node: Vec<Lab> = labs
        .iter()
        .filter_map(|name| Lab::open(name).ok())
        .filter(|lab| lab.nodes().iter().any(|n| n == node))
        .collect();
    match with_node.len() {
        1 => with_node
            .into_iter()
            .next()
            .ok_or_else(|| LabError::WhichLab("no lab".to_string())),
        0 if labs.is_empty() => Err(LabError::WhichLab("no lab is up (okapi-lab up FILE)".to_string())),
        0 => Err(LabError::WhichLab(format!(
            "no lab that is up has a node {node} (labs up: {})",
            labs.join(", ")
        ))),
        _ => Err(LabError::WhichLab(format!(
            "several labs have a node {node} ({}): say which with --lab NAME",
            with_node
                .iter()
                .map(|lab| lab.name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn status(name: Option<&str>) -> Result<ExitCode, LabError> {
    let labs = match name {
        Some(name) => vec![name.to_string()],
        None => okapi_lab::state::labs(),
    };
    if labs.is_empty() {
        println!("no lab is up");
        return Ok(ExitCode::SUCCESS);
    }
    for name in labs {
        let lab = Lab::open(&name)?;
        let state = lab.state();
        println!(
            "lab {} ({:?}) from {}",
            state.name,
            state.phase,
            state.topology.display()
        );
        for node in &state.nodes {
            let present = okapi_lab::namespace_exists(&node.netns);
            let links: Vec<String> = if present {
                okapi_lab::namespace_links(&node.netns)
                    .into_iter()
                    .filter(|link| link != "lo")
                    .collect()
            } else {
                Vec::new()
            };
            let image = node.image.as_deref().unwrap_or("-");
            println!(
                "  {:<10} {:<6} {:<28} netns {} ({}) links: {}",
                node.name,
                node.kind,
                format!("{image} ({})", node.family),
                node.netns,
                if present { "present" } else { "MISSING" },
                if links.is_empty() {
                    "-".to_string()
                } else {
                    links.join(" ")
                }
            );
            for process in state.processes.iter().filter(|process| process.node == node.name) {
                let alive = okapi_lab::process_alive(process.pid, process.start_time);
                println!(
                    "      {:<14} pid {:<8} {}  log {}",
                    process.name,
                    process.pid,
                    if alive { "alive" } else { "DEAD " },
                    process.log.display()
                );
            }
            for capture in state.captures.iter().filter(|capture| capture.node == node.name) {
                let alive = okapi_lab::process_alive(capture.pid, capture.start_time);
                println!(
                    "      capture {}   pid {:<8} {}  -> {}",
                    capture.iface,
                    capture.pid,
                    if alive { "alive" } else { "DEAD " },
                    capture.file.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn capture(
    lab: Option<&str>,
    target: &str,
    file: &std::path::Path,
    duration: Option<f64>,
    background: bool,
) -> Result<ExitCode, LabError> {
    require_root()?;
    let Some((node, iface)) = target.split_once(':') else {
        return Err(LabError::Command {
            what: format!("capture {target}"),
            detail: "expected NODE:INTERFACE".to_string(),
        });
    };
    let lab = pick_lab(lab, node)?;
    // Catch SIGINT/SIGTERM before tshark starts, so that a Ctrl-C stops the capture cleanly.
    if !background {
        use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
        let action = SigAction::new(SigHandler::Handler(on_stop_signal), SaFlags::empty(), SigSet::empty());
        for signal in [Signal::SIGINT, Signal::SIGTERM] {
            // SAFETY: the handler only stores to an atomic.
            let _ = unsafe { sigaction(signal, &action) };
        }
    }
    let capture = lab.capture(node, iface, file)?;
    if background {
        let path = capture.file().display().to_string();
        let pid = capture.detach();
        println!(
            "capturing on {node}:{iface} into {path} (tshark pid {pid}); `okapi-lab down {}` stops it",
            lab.name()
        );
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "capturing on {node}:{iface} into {} (Ctrl-C to stop)",
        capture.file().display()
    );
    let deadline = duration.map(|secs| Instant::now() + Duration::from_secs_f64(secs.max(0.0)));
    while !STOP.load(Ordering::SeqCst)
        && capture.is_running()
        && deadline.is_none_or(|deadline| Instant::now() < deadline)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let path = capture.file().to_path_buf();
    capture.stop()?;
    let size = std::fs::metadata(&path).map(|meta| meta.len()).unwrap_or(0);
    eprintln!("{}: {size} bytes", path.display());
    Ok(ExitCode::SUCCESS)
}
