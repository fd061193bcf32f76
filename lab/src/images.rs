//! What an `image:` means here: which processes start on the node (from the host's binaries),
//! which directories are private to the node, and which binaries must exist. See docs/lab.md.
//!
//! | image                                         | starts                                        |
//! |-----------------------------------------------|-----------------------------------------------|
//! | `okapi`, `okapi:*`, `*/okapi:*`               | okapi-<table>d per table of /etc/okapi/okapi.toml, and HAProxy when the node binds /etc/haproxy/haproxy.cfg |
//! | `frrouting/frr*`, `quay.io/frrouting/frr*`    | zebra, staticd, daemons=yes, then `vtysh -b`; HAProxy and keepalived when the node binds their configuration |
//! | `*bird*`                                      | bird -f                                       |
//! | `*keepalived*`                                | keepalived -n ... -P                          |
//! | `*gobgp*`                                     | gobgpd                                        |
//! | `haproxy*`                                    | haproxy -W -db                                |
//! | `nginx*`                                      | nginx -g 'daemon off;'                        |
//! | anything else                                 | nothing (a plain Linux host)                  |

use std::path::{Path, PathBuf};

use crate::view::View;

/// Okapi daemons: (table in okapi.toml, binary).
pub const OKAPI_DAEMONS: &[(&str, &str)] = &[
    ("ospf", "okapi-ospfd"),
    ("vrrp", "okapi-vrrpd"),
    ("bgp", "okapi-bgpd"),
    ("testd", "okapi-testd"),
];

/// FRR's daemons in the order its init script starts them (zebra first, staticd always on).
pub const FRR_DAEMONS: &[&str] = &[
    "zebra", "bgpd", "ripd", "ripngd", "ospfd", "ospf6d", "isisd", "babeld", "pimd", "pim6d", "ldpd", "nhrpd",
    "eigrpd", "sharpd", "pbrd", "staticd", "bfdd", "fabricd", "vrrpd", "pathd",
];

/// Where FRR's daemons live in the Debian package.
pub const FRR_LIB_DIR: &str = "/usr/lib/frr";

/// The `vtysh.conf` every FRR node's private /etc/frr starts with.
pub const VTYSH_CONF: &str = "service integrated-vtysh-config\n";

/// What an image is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Okapi,
    Frr,
    Bird,
    Keepalived,
    Gobgp,
    Haproxy,
    Nginx,
    /// No process unless `cmd` is given.
    Plain,
    /// A `kind: bridge` node.
    Bridge,
}

impl Family {
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Okapi => "okapi",
            Family::Frr => "frr",
            Family::Bird => "bird",
            Family::Keepalived => "keepalived",
            Family::Gobgp => "gobgp",
            Family::Haproxy => "haproxy",
            Family::Nginx => "nginx",
            Family::Plain => "plain",
            Family::Bridge => "bridge",
        }
    }
}

/// A file a private directory starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seed {
    pub name: &'static str,
    pub contents: &'static str,
    pub mode: u32,
    /// (user, group) names; root when None or when the user does not exist.
    pub owner: Option<(&'static str, &'static str)>,
}

/// A directory of the node's view backed by an empty directory of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateDir {
    pub path: PathBuf,
    pub mode: u32,
    pub owner: Option<(&'static str, &'static str)>,
    pub seeds: Vec<Seed>,
}

impl PrivateDir {
    pub fn plain(path: &str) -> PrivateDir {
        PrivateDir {
            path: PathBuf::from(path),
            mode: 0o755,
            owner: None,
            seeds: Vec::new(),
        }
    }

    fn owned(path: &str, mode: u32, user: &'static str, group: &'static str) -> PrivateDir {
        PrivateDir {
            path: PathBuf::from(path),
            mode,
            owner: Some((user, group)),
            seeds: Vec::new(),
        }
    }
}

/// One process to start, in the node's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Start {
    /// Process name: its log is `<node dir>/<name>.log`.
    pub name: String,
    pub argv: Vec<String>,
    /// A socket (path in the node's view) whose appearance means the process is ready.
    pub ready: Option<PathBuf>,
}

/// What a node runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub family: Family,
    pub private: Vec<PrivateDir>,
    /// Started stage by stage; a stage starts when every process of the previous one is ready.
    pub stages: Vec<Vec<Start>>,
    /// FRR: apply /etc/frr/frr.conf with `vtysh -b` once the daemons are up.
    pub vtysh_boot: bool,
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn bridge() -> Plan {
        Plan {
            family: Family::Bridge,
            private: Vec::new(),
            stages: Vec::new(),
            vtysh_boot: false,
            warnings: Vec::new(),
        }
    }
}

/// The repository part of an image reference without registry-independent tag or digest:
/// `quay.io/frrouting/frr:8.4.1` -> `quay.io/frrouting/frr`.
fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    }
}

/// Which family an image belongs to.
pub fn classify(image: &str) -> Family {
    let repo = repository(image.trim());
    let last = repo.rsplit('/').next().unwrap_or(repo);
    let unregistered = repo.strip_prefix("docker.io/").unwrap_or(repo);
    if repo == "okapi" || last == "okapi" {
        Family::Okapi
    } else if unregistered.starts_with("frrouting/frr") || repo.starts_with("quay.io/frrouting/frr") {
        Family::Frr
    } else if repo.contains("bird") {
        Family::Bird
    } else if repo.contains("keepalived") {
        Family::Keepalived
    } else if repo.contains("gobgp") {
        Family::Gobgp
    } else if last.starts_with("haproxy") {
        Family::Haproxy
    } else if last.starts_with("nginx") {
        Family::Nginx
    } else {
        Family::Plain
    }
}

/// The private directories of a linux node with this image. Every node has its own /etc/okapi,
/// /run/okapi, /etc/frr and /run/frr; daemon families add what their daemons write.
pub fn private_dirs(image: &str) -> Vec<PrivateDir> {
    let mut etc_frr = PrivateDir::owned("/etc/frr", 0o775, "frr", "frr");
    etc_frr.seeds.push(Seed {
        name: "vtysh.conf",
        contents: VTYSH_CONF,
        mode: 0o640,
        owner: Some(("frr", "frrvty")),
    });
    let mut dirs = vec![
        PrivateDir::plain("/etc/okapi"),
        PrivateDir::plain("/run/okapi"),
        etc_frr,
        PrivateDir::owned("/run/frr", 0o755, "frr", "frr"),
    ];
    match classify(image) {
        Family::Bird => dirs.push(PrivateDir::plain("/run/bird")),
        Family::Keepalived => dirs.push(PrivateDir::plain("/run/keepalived")),
        Family::Gobgp => dirs.push(PrivateDir::plain("/etc/gobgp")),
        Family::Haproxy => dirs.push(PrivateDir::owned("/run/haproxy", 0o2775, "haproxy", "haproxy")),
        Family::Nginx => {
            dirs.push(PrivateDir::plain("/var/lib/nginx"));
            dirs.push(PrivateDir::plain("/var/log/nginx"));
        }
        Family::Okapi | Family::Frr | Family::Plain | Family::Bridge => {}
    }
    dirs
}

/// Finds okapi's binaries: `$OKAPI_BIN_DIR`, else next to the current executable (a test in
/// `target/<profile>/deps/` looks in `target/<profile>/`), else `PATH`.
#[derive(Debug, Clone, Default)]
pub struct BinResolver {
    pub env_dir: Option<PathBuf>,
    pub exe_dir: Option<PathBuf>,
    pub path: Vec<PathBuf>,
}

impl BinResolver {
    pub fn from_env() -> BinResolver {
        let env_dir = std::env::var_os("OKAPI_BIN_DIR")
            .filter(|dir| !dir.is_empty())
            .map(PathBuf::from);
        let exe_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            .map(|dir| {
                if dir.file_name().is_some_and(|name| name == "deps") {
                    dir.parent().map(Path::to_path_buf).unwrap_or(dir)
                } else {
                    dir
                }
            });
        let path = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect())
            .unwrap_or_default();
        BinResolver { env_dir, exe_dir, path }
    }

    /// The okapi binary `name`, or why it was not found.
    pub fn okapi(&self, name: &str) -> Result<PathBuf, String> {
        if let Some(dir) = &self.env_dir {
            let candidate = dir.join(name);
            return if is_executable(&candidate) {
                Ok(candidate)
            } else {
                Err(format!(
                    "{name} is not in $OKAPI_BIN_DIR ({}): build it (cargo build -p {name})",
                    dir.display()
                ))
            };
        }
        if let Some(dir) = &self.exe_dir {
            let candidate = dir.join(name);
            if is_executable(&candidate) {
                return Ok(candidate);
            }
        }
        search_path(&self.path, name).ok_or_else(|| {
            let beside = self
                .exe_dir
                .as_ref()
                .map(|dir| format!(", in {}", dir.display()))
                .unwrap_or_default();
            format!("{name} is not in $OKAPI_BIN_DIR (unset){beside} or in PATH: build it (cargo build -p {name})")
        })
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

fn search_path(path: &[PathBuf], name: &str) -> Option<PathBuf> {
    path.iter()
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

/// A binary from a Debian package: its usual path, else PATH.
fn system_binary(usual: &str, package: &str) -> Result<String, String> {
    if is_executable(Path::new(usual)) {
        return Ok(usual.to_string());
    }
    let name = Path::new(usual)
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    search_path(&path, &name)
        .map(|found| found.to_string_lossy().into_owned())
        .ok_or_else(|| format!("{usual} is missing (apt-get install {package})"))
}

fn strings(argv: &[&str]) -> Vec<String> {
    argv.iter().map(|arg| arg.to_string()).collect()
}

/// What `image` (or `cmd`) starts on a node whose view is `view`. Checks that every binary it
/// needs exists. Errors are the reason, without the node's place.
pub fn plan(image: &str, cmd: Option<&str>, view: &View, node_dir: &Path, bins: &BinResolver) -> Result<Plan, String> {
    let family = classify(image);
    let mut plan = Plan {
        family,
        private: private_dirs(image),
        stages: Vec::new(),
        vtysh_boot: false,
        warnings: Vec::new(),
    };
    if let Some(cmd) = cmd {
        plan.stages.push(vec![Start {
            name: "cmd".to_string(),
            argv: strings(&["/bin/sh", "-c", cmd]),
            ready: None,
        }]);
        return Ok(plan);
    }
    match family {
        Family::Okapi => okapi_plan(&mut plan, image, view, node_dir, bins)?,
        Family::Frr => frr_plan(&mut plan, image, view, node_dir)?,
        Family::Bird => {
            let bird = system_binary("/usr/sbin/bird", "bird2")?;
            plan.stages.push(vec![Start {
                name: "bird".to_string(),
                argv: strings(&[&bird, "-f", "-c", "/etc/bird/bird.conf", "-s", "/run/bird/bird.ctl"]),
                ready: Some(PathBuf::from("/run/bird/bird.ctl")),
            }]);
        }
        Family::Keepalived => plan.stages.push(vec![keepalived_start()?]),
        Family::Gobgp => {
            let gobgpd = system_binary("/usr/bin/gobgpd", "gobgpd")?;
            plan.stages.push(vec![Start {
                name: "gobgpd".to_string(),
                argv: strings(&[
                    &gobgpd,
                    "-f",
                    "/etc/gobgp/gobgpd.conf",
                    "--api-hosts",
                    "127.0.0.1:50051",
                    "--pprof-disable",
                    "-p",
                ]),
                ready: None,
            }]);
        }
        Family::Haproxy => plan.stages.push(vec![haproxy_start()?]),
        Family::Nginx => {
            let nginx = system_binary("/usr/sbin/nginx", "nginx")?;
            plan.stages.push(vec![Start {
                name: "nginx".to_string(),
                argv: strings(&[&nginx, "-g", "daemon off;"]),
                ready: None,
            }]);
        }
        Family::Plain | Family::Bridge => {}
    }
    Ok(plan)
}

fn okapi_plan(plan: &mut Plan, image: &str, view: &View, node_dir: &Path, bins: &BinResolver) -> Result<(), String> {
    let config = Path::new("/etc/okapi/okapi.toml");
    let host = view.host_path(node_dir, config);
    let text = std::fs::read_to_string(&host).map_err(|_| {
        format!(
            "image {image} starts the okapi daemons configured in /etc/okapi/okapi.toml, and the node has none \
             (bind one: `binds: [\"n1/okapi.toml:/etc/okapi/okapi.toml:ro\"]`)"
        )
    })?;
    let table: toml::Table = text
        .parse()
        .map_err(|error: toml::de::Error| format!("{}: not valid TOML: {}", host.display(), error.message()))?;
    let mut stage = Vec::new();
    for (key, binary) in OKAPI_DAEMONS {
        if !table.contains_key(*key) {
            continue;
        }
        let path = bins
            .okapi(binary)
            .map_err(|why| format!("image {image}, table [{key}]: {why}"))?;
        stage.push(Start {
            name: binary.to_string(),
            argv: vec![
                path.to_string_lossy().into_owned(),
                "-f".to_string(),
                config.to_string_lossy().into_owned(),
            ],
            ready: Some(PathBuf::from(format!("/run/okapi/{key}.sock"))),
        });
    }
    // A balancer node (okapi's reason to be): HAProxy next to the daemons, first, so that
    // okapi-vrrpd's health check finds it. Only a configuration the node binds counts, not
    // the host's own.
    if binds(view, node_dir, HAPROXY_CONFIG) {
        plan.stages.push(vec![haproxy_start()?]);
    }
    if stage.is_empty() {
        plan.warnings.push(format!(
            "{} has none of the tables [ospf] [vrrp] [bgp] [testd]: no okapi daemon starts",
            host.display()
        ));
    } else {
        plan.stages.push(stage);
    }
    Ok(())
}

/// HAProxy's configuration; an okapi or FRR node that binds one runs HAProxy too.
const HAPROXY_CONFIG: &str = "/etc/haproxy/haproxy.cfg";

/// keepalived's configuration; an FRR node that binds one runs keepalived too (the classic
/// balancer: HAProxy + keepalived + FRR on one node).
const KEEPALIVED_CONFIG: &str = "/etc/keepalived/keepalived.conf";

/// Whether the node binds `path` (a file of its own, not the host's).
fn binds(view: &View, node_dir: &Path, path: &str) -> bool {
    let path = Path::new(path);
    view.is_mounted(path) && view.host_path(node_dir, path).exists()
}

/// HAProxy in master-worker mode, in the foreground.
fn haproxy_start() -> Result<Start, String> {
    let haproxy = system_binary("/usr/sbin/haproxy", "haproxy")?;
    Ok(Start {
        name: "haproxy".to_string(),
        argv: strings(&[&haproxy, "-W", "-db", "-f", HAPROXY_CONFIG]),
        ready: None,
    })
}

/// keepalived, VRRP only, the parent in the foreground, no respawn, its pid files in the
/// node's private /run/keepalived.
fn keepalived_start() -> Result<Start, String> {
    let keepalived = system_binary("/usr/sbin/keepalived", "keepalived")?;
    Ok(Start {
        name: "keepalived".to_string(),
        argv: strings(&[
            &keepalived,
            "-n",
            "-l",
            "-D",
            "-G",
            "-R",
            "-P",
            "-f",
            KEEPALIVED_CONFIG,
            "-p",
            "/run/keepalived/keepalived.pid",
            "-r",
            "/run/keepalived/vrrp.pid",
        ]),
        ready: None,
    })
}

/// The daemons `daemons` enables (`ospfd=yes`), in FRR's order, zebra and staticd always.
pub fn frr_enabled(daemons: Option<&str>) -> (Vec<&'static str>, Vec<String>) {
    let mut enabled: Vec<&'static str> = vec!["zebra", "staticd"];
    let mut warnings = Vec::new();
    for line in daemons.unwrap_or_default().lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim().trim_matches(|c| c == '"' || c == '\''));
        if let Some(daemon) = FRR_DAEMONS.iter().find(|daemon| **daemon == key) {
            if value == "yes" && !enabled.contains(daemon) {
                enabled.push(daemon);
            }
        } else if key.ends_with("_instances") && !value.is_empty() {
            warnings.push(format!(
                "/etc/frr/daemons: {key} (multi-instance FRR daemons) is not supported, ignored"
            ));
        }
    }
    let ordered = FRR_DAEMONS
        .iter()
        .copied()
        .filter(|daemon| enabled.contains(daemon))
        .collect();
    (ordered, warnings)
}

/// The command line of an FRR daemon: in the foreground, no vty TCP port, its pid file in the
/// node's private /run/frr, logging to stdout (the process's log file).
pub fn frr_argv(daemon: &str) -> Vec<String> {
    let mut argv = vec![
        format!("{FRR_LIB_DIR}/{daemon}"),
        "-P".to_string(),
        "0".to_string(),
        "-i".to_string(),
        format!("/run/frr/{daemon}.pid"),
        "--log".to_string(),
        "stdout".to_string(),
    ];
    if daemon == "zebra" {
        argv.extend(["-s".to_string(), "90000000".to_string()]);
    }
    argv
}

fn frr_plan(plan: &mut Plan, image: &str, view: &View, node_dir: &Path) -> Result<(), String> {
    if nix::unistd::User::from_name("frr").ok().flatten().is_none() {
        return Err(format!(
            "image {image} runs FRR, and user frr does not exist (apt-get install frr)"
        ));
    }
    system_binary("/usr/bin/vtysh", "frr")?;
    let daemons_file = view.host_path(node_dir, Path::new("/etc/frr/daemons"));
    let daemons = std::fs::read_to_string(&daemons_file).ok();
    let (enabled, warnings) = frr_enabled(daemons.as_deref());
    plan.warnings.extend(warnings);
    for daemon in &enabled {
        let binary = format!("{FRR_LIB_DIR}/{daemon}");
        if !is_executable(Path::new(&binary)) {
            return Err(format!(
                "image {image}: {daemon} is enabled and {binary} is missing (apt-get install frr)"
            ));
        }
    }
    let start = |daemon: &str| Start {
        name: daemon.to_string(),
        argv: frr_argv(daemon),
        ready: Some(PathBuf::from(if daemon == "zebra" {
            "/run/frr/zserv.api".to_string()
        } else {
            format!("/run/frr/{daemon}.vty")
        })),
    };
    // A classic balancer: HAProxy first (so that a health check finds it), FRR, then
    // keepalived (its VIP reaches zebra, and ospfd once frr.conf is applied).
    if binds(view, node_dir, HAPROXY_CONFIG) {
        plan.stages.push(vec![haproxy_start()?]);
    }
    plan.stages.push(vec![start("zebra")]);
    // FRR >= 9 has mgmtd, which staticd talks to.
    if is_executable(Path::new(&format!("{FRR_LIB_DIR}/mgmtd"))) {
        plan.stages.push(vec![start("mgmtd")]);
    }
    plan.stages.push(
        enabled
            .iter()
            .filter(|daemon| **daemon != "zebra")
            .map(|daemon| start(daemon))
            .collect(),
    );
    if binds(view, node_dir, KEEPALIVED_CONFIG) {
        // Its pid files must not be the host's (or another node's).
        plan.private.push(PrivateDir::plain("/run/keepalived"));
        plan.stages.push(vec![keepalived_start()?]);
    }
    plan.vtysh_boot = view.host_path(node_dir, Path::new("/etc/frr/frr.conf")).exists();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_to_families() {
        for (image, family) in [
            ("okapi", Family::Okapi),
            ("okapi:latest", Family::Okapi),
            ("ghcr.io/example/okapi:0.1", Family::Okapi),
            ("localhost:5000/okapi", Family::Okapi),
            ("frrouting/frr:v8.4.1", Family::Frr),
            ("docker.io/frrouting/frr:latest", Family::Frr),
            ("quay.io/frrouting/frr:9.1.0", Family::Frr),
            ("frrouting/frr-debian", Family::Frr),
            ("ghcr.io/x/bird:2.0", Family::Bird),
            ("pierky/bird", Family::Bird),
            ("osixia/keepalived:2.0.20", Family::Keepalived),
            ("jauderho/gobgp:latest", Family::Gobgp),
            ("haproxy:2.6", Family::Haproxy),
            ("haproxytech/haproxy-debian", Family::Haproxy),
            ("nginx:stable", Family::Nginx),
            ("debian:12", Family::Plain),
            ("alpine", Family::Plain),
            ("okapi-builder:1", Family::Plain),
        ] {
            assert_eq!(classify(image), family, "{image}");
        }
    }

    #[test]
    fn frr_daemons_file_enables_in_frr_order() {
        let (enabled, warnings) = frr_enabled(Some(
            "vrrpd=yes\n# bgpd=yes\nospfd=yes\nbgpd=no\nisisd=\"yes\"\nvtysh_enable=yes\n",
        ));
        assert_eq!(enabled, vec!["zebra", "ospfd", "isisd", "staticd", "vrrpd"]);
        assert!(warnings.is_empty());
        let (enabled, _) = frr_enabled(None);
        assert_eq!(enabled, vec!["zebra", "staticd"]);
        let (_, warnings) = frr_enabled(Some("ospfd=yes\nospfd_instances=1,2\n"));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn frr_nodes_that_bind_haproxy_and_keepalived_configs_run_them() {
        use crate::topology::Bind;
        let installed = [
            "/usr/lib/frr/zebra",
            "/usr/lib/frr/ospfd",
            "/usr/sbin/haproxy",
            "/usr/sbin/keepalived",
        ]
        .iter()
        .all(|binary| is_executable(Path::new(binary)));
        if !installed || nix::unistd::User::from_name("frr").ok().flatten().is_none() {
            eprintln!("skipped: FRR, HAProxy and keepalived are not all installed");
            return;
        }
        let dir = std::env::temp_dir().join(format!("okapi-lab-unit-classic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        let bind = |name: &str, contents: &str, target: &str| {
            let source = dir.join(name);
            std::fs::write(&source, contents).unwrap_or_else(|error| panic!("{}: {error}", source.display()));
            Bind {
                place: String::new(),
                source,
                target: PathBuf::from(target),
                read_only: true,
                is_dir: false,
            }
        };
        let daemons = bind("daemons", "ospfd=yes\n", "/etc/frr/daemons");
        let haproxy = bind("haproxy.cfg", "global\n", HAPROXY_CONFIG);
        let keepalived = bind("keepalived.conf", "global_defs {\n}\n", KEEPALIVED_CONFIG);
        let image = "frrouting/frr:v8.4.1";
        let node_dir = dir.join("node");
        let names = |plan: &Plan| -> Vec<Vec<String>> {
            plan.stages
                .iter()
                .map(|stage| stage.iter().map(|start| start.name.clone()).collect())
                .filter(|stage: &Vec<String>| stage != &["mgmtd"])
                .collect()
        };
        let view = View::new(&private_dirs(image), &[daemons.clone(), haproxy, keepalived]);
        let classic =
            plan(image, None, &view, &node_dir, &BinResolver::default()).unwrap_or_else(|why| panic!("{why}"));
        assert_eq!(
            names(&classic),
            vec![
                vec!["haproxy"],
                vec!["zebra"],
                vec!["ospfd", "staticd"],
                vec!["keepalived"]
            ]
        );
        let keepalived_argv = &classic
            .stages
            .last()
            .map(|stage| stage[0].argv.clone())
            .unwrap_or_default();
        assert!(keepalived_argv.windows(2).any(|pair| pair == ["-f", KEEPALIVED_CONFIG]));
        assert!(keepalived_argv.iter().any(|arg| arg == "/run/keepalived/vrrp.pid"));
        assert!(
            classic
                .private
                .iter()
                .any(|private| private.path == Path::new("/run/keepalived")),
            "keepalived's pid files are the node's own"
        );
        // Without the binds (the host's own /etc/haproxy and /etc/keepalived do not count),
        // an FRR node runs FRR only.
        let view = View::new(&private_dirs(image), &[daemons]);
        let plain = plan(image, None, &view, &node_dir, &BinResolver::default()).unwrap_or_else(|why| panic!("{why}"));
        assert_eq!(names(&plain), vec![vec!["zebra"], vec!["ospfd", "staticd"]]);
        assert!(
            !plain
                .private
                .iter()
                .any(|private| private.path == Path::new("/run/keepalived"))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn frr_daemons_run_in_the_foreground_without_vty_port() {
        let argv = frr_argv("zebra");
        assert_eq!(argv[0], "/usr/lib/frr/zebra");
        assert!(argv.windows(2).any(|pair| pair == ["-P", "0"]));
        assert!(!argv.iter().any(|arg| arg == "-d"));
        assert!(argv.iter().any(|arg| arg == "/run/frr/zebra.pid"));
    }
}
