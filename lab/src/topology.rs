//! Topology files: parsing the containerlab subset, merging defaults and kinds into nodes, and
//! validating everything before a lab creates anything.
//!
//! Keys are in three classes: the ones okapi-lab implements, the containerlab keys it does not
//! need (accepted with a warning, see [`known_keys`]), and the containerlab
//! keys whose meaning it cannot honour (`entrypoint`, `network-mode`, `env-files`, `user`: an
//! error). Anything else is an error naming the key and where it is.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use crate::error::LabError;
use crate::images::{self, BinResolver, Plan};
use crate::view::View;

/// Linux caps interface names at 15 bytes (IFNAMSIZ - 1).
pub const MAX_IFNAME: usize = 15;

/// Default MTU of a link: containerlab's default, so that a topology behaves the same under both.
pub const DEFAULT_MTU: u32 = 9500;

/// Bind options that Docker understands and that mean nothing without Docker (ignored, warned).
const IGNORED_BIND_OPTIONS: &[&str] = &[
    "z",
    "Z",
    "shared",
    "slave",
    "private",
    "rshared",
    "rslave",
    "rprivate",
    "nocopy",
    "consistent",
    "cached",
    "delegated",
];

// ---------------------------------------------------------------------------------------------
// Raw file (serde)
// ---------------------------------------------------------------------------------------------

/// A YAML scalar used as a string (env values, sysctl values may be numbers or booleans).
#[derive(Debug, Clone)]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Scalar, D::Error> {
        match serde_yaml::Value::deserialize(deserializer)? {
            serde_yaml::Value::String(text) => Ok(Scalar(text)),
            serde_yaml::Value::Number(number) => Ok(Scalar(number.to_string())),
            serde_yaml::Value::Bool(flag) => Ok(Scalar(flag.to_string())),
            serde_yaml::Value::Null => Ok(Scalar(String::new())),
            _ => Err(de::Error::custom("expected a string, a number or a boolean")),
        }
    }
}

/// A mapping that keeps the file's order and refuses duplicate keys.
#[derive(Debug)]
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Ordered<T>, D::Error> {
        struct OrderedVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Ordered<T>, E> {
                Ok(Ordered(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered<T>, A::Error> {
                let mut entries: Vec<(String, T)> = Vec::new();
                while let Some(key) = map.next_key::<Scalar>()? {
                    if entries.iter().any(|(existing, _)| *existing == key.0) {
                        return Err(de::Error::custom(format!("duplicate key `{}`", key.0)));
                    }
                    let value = map.next_value::<T>()?;
                    entries.push((key.0, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_any(OrderedVisitor(std::marker::PhantomData))
    }
}

/// Declares a raw struct with its implemented keys, the ignored containerlab keys and the
/// unsupported ones, plus helpers telling which of the latter two are present.
macro_rules! raw_struct {
    (
        $name:ident {
            $( $field:ident : $ty:ty = $key:literal, )*
        }
        ignored { $( $ifield:ident = $ikey:literal, )* }
        unsupported { $( $ufield:ident = $ukey:literal, )* }
    ) => {
        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct $name {
            $( #[serde(rename = $key, default)] $field: $ty, )*
            $( #[serde(rename = $ikey, default)] #[allow(dead_code)] $ifield: Option<serde_yaml::Value>, )*
            $( #[serde(rename = $ukey, default)] #[allow(dead_code)] $ufield: Option<serde_yaml::Value>, )*
        }
        impl $name {
            #[allow(dead_code)]
            const SUPPORTED: &'static [&'static str] = &[$($key),*];
            #[allow(dead_code)]
            const IGNORED: &'static [&'static str] = &[$($ikey),*];
            #[allow(dead_code)]
            const UNSUPPORTED: &'static [&'static str] = &[$($ukey),*];
            #[allow(dead_code)]
            fn ignored_present(&self) -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut present = Vec::new();
                $( if self.$ifield.is_some() { present.push($ikey); } )*
                present
            }
            #[allow(dead_code)]
            fn unsupported_present(&self) -> Vec<&'static str> {
                #[allow(unused_mut)]
                let mut present = Vec::new();
                $( if self.$ufield.is_some() { present.push($ukey); } )*
                present
            }
        }
    };
}

raw_struct! {
    RawFile {
        name: Option<String> = "name",
        topology: Option<RawTopology> = "topology",
    }
    ignored { prefix = "prefix", mgmt = "mgmt", settings = "settings", }
    unsupported {}
}

raw_struct! {
    RawTopology {
        kinds: Ordered<Option<RawNode>> = "kinds",
        defaults: Option<RawNode> = "defaults",
        nodes: Ordered<Option<RawNode>> = "nodes",
        links: Vec<RawLink> = "links",
    }
    ignored { groups = "groups", }
    unsupported {}
}

raw_struct! {
    RawLink {
        endpoints: Vec<String> = "endpoints",
        mtu: Option<u32> = "mtu",
    }
    ignored { labels = "labels", vars = "vars", }
    unsupported { link_type = "type", }
}

raw_struct! {
    RawNode {
        kind: Option<String> = "kind",
        image: Option<String> = "image",
        binds: Vec<String> = "binds",
        exec: Vec<String> = "exec",
        env: Ordered<Scalar> = "env",
        cmd: Option<String> = "cmd",
        sysctls: Ordered<Scalar> = "sysctls",
    }
    ignored {
        mgmt_ipv4 = "mgmt-ipv4",
        mgmt_ipv6 = "mgmt-ipv6",
        labels = "labels",
        group = "group",
        node_type = "type",
        position = "position",
        license = "license",
        startup_config = "startup-config",
        startup_delay = "startup-delay",
        enforce_startup_config = "enforce-startup-config",
        suppress_startup_config = "suppress-startup-config",
        auto_remove = "auto-remove",
        ports = "ports",
        publish = "publish",
        dns = "dns",
        image_pull_policy = "image-pull-policy",
        restart_policy = "restart-policy",
        memory = "memory",
        cpu = "cpu",
        cpu_set = "cpu-set",
        shm_size = "shm-size",
        runtime = "runtime",
        wait_for = "wait-for",
        stages = "stages",
        certificate = "certificate",
        healthcheck = "healthcheck",
        aliases = "aliases",
        cap_add = "cap-add",
        devices = "devices",
        config = "config",
        components = "components",
        extras = "extras",
    }
    unsupported {
        entrypoint = "entrypoint",
        network_mode = "network-mode",
        env_files = "env-files",
        user = "user",
    }
}

// ---------------------------------------------------------------------------------------------
// Validated topology
// ---------------------------------------------------------------------------------------------

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NodeKind {
    Linux,
    Bridge,
}

impl NodeKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NodeKind::Linux => "linux",
            NodeKind::Bridge => "bridge",
        }
    }
}

/// A bind `src:dst[:ro]` with its source made absolute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bind {
    /// Where it was written (`topology.nodes.r1.binds[0]`), for messages.
    pub place: String,
    pub source: PathBuf,
    pub target: PathBuf,
    pub read_only: bool,
    pub is_dir: bool,
}

/// A node after merging defaults and its kind into it.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub name: String,
    pub kind: NodeKind,
    pub image: Option<String>,
    pub binds: Vec<Bind>,
    pub exec: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub sysctls: BTreeMap<String, String>,
    /// What starts on the node and which directories are private to it (linux nodes).
    pub plan: Plan,
}

/// One side of a link.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Endpoint {
    pub node: String,
    pub iface: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}:{}", self.node, self.iface)
    }
}

/// A veth link.
#[derive(Debug, Clone)]
pub(crate) struct Link {
    pub a: Endpoint,
    pub b: Endpoint,
    pub mtu: u32,
}

/// A validated topology: everything okapi-lab needs to realize it, checked before anything is
/// created (keys, nodes, links, interfaces, binds, images and the binaries they start).
#[derive(Debug, Clone)]
pub struct Topology {
    pub(crate) file: PathBuf,
    pub(crate) name: String,
    pub(crate) nodes: Vec<Node>,
    pub(crate) links: Vec<Link>,
    pub(crate) warnings: Vec<String>,
}

impl Topology {
    /// Reads, merges and validates a topology file. Binaries of `okapi` images are looked up in
    /// `$OKAPI_BIN_DIR`, next to the current executable, then in `PATH`.
    pub fn load(path: &Path) -> Result<Topology, LabError> {
        Topology::load_with(path, &BinResolver::from_env())
    }

    pub(crate) fn load_with(path: &Path, bins: &BinResolver) -> Result<Topology, LabError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| LabError::topology(path, format!("cannot read the topology file: {error}")))?;
        let absolute = std::path::absolute(path).map_err(|error| LabError::topology(path, error.to_string()))?;
        let dir = absolute
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/"));
        Topology::parse(&text, path, &dir, bins)
    }

    /// Parses `text` as if read from `file`; relative bind sources are resolved against `dir`.
    pub(crate) fn parse(text: &str, file: &Path, dir: &Path, bins: &BinResolver) -> Result<Topology, LabError> {
        let raw: RawFile = serde_yaml::from_str(text).map_err(|error| {
            let message = yaml_error(&error);
            match error.location() {
                Some(at) => LabError::topology(&file_at(file, at.line(), at.column()), message),
                None => LabError::topology(file, message),
            }
        })?;
        Builder {
            file,
            dir,
            warnings: Vec::new(),
        }
        .build(raw, bins)
    }

    /// The lab's name (`name:`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The topology file as given.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Node names in file order.
    pub fn node_names(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node.name.clone()).collect()
    }

    /// Warnings about ignored keys and options, each one line naming the file and the place.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The namespace of `node`: containerlab's container name, `clab-<lab>-<node>`.
    pub fn netns(&self, node: &str) -> String {
        netns_name(&self.name, node)
    }

    pub(crate) fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.name == name)
    }
}

/// The keys of one place of a topology file (docs/lab.md lists the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownKeys {
    pub place: &'static str,
    /// Keys okapi-lab implements.
    pub implemented: &'static [&'static str],
    /// Containerlab keys accepted with a warning.
    pub ignored: &'static [&'static str],
    /// Containerlab keys refused as unsupported.
    pub unsupported: &'static [&'static str],
}

/// The keys of the subset, by place.
pub fn known_keys() -> Vec<KnownKeys> {
    let keys = |place, implemented, ignored, unsupported| KnownKeys {
        place,
        implemented,
        ignored,
        unsupported,
    };
    vec![
        keys("top level", RawFile::SUPPORTED, RawFile::IGNORED, RawFile::UNSUPPORTED),
        keys(
            "topology",
            RawTopology::SUPPORTED,
            RawTopology::IGNORED,
            RawTopology::UNSUPPORTED,
        ),
        keys(
            "nodes, kinds, defaults",
            RawNode::SUPPORTED,
            RawNode::IGNORED,
            RawNode::UNSUPPORTED,
        ),
        keys("links", RawLink::SUPPORTED, RawLink::IGNORED, RawLink::UNSUPPORTED),
    ]
}

/// `clab-<lab>-<node>`.
pub fn netns_name(lab: &str, node: &str) -> String {
    format!("clab-{lab}-{node}")
}

/// `file:line:col`, the way compilers and okapi.toml errors name a place.
fn file_at(file: &Path, line: usize, column: usize) -> PathBuf {
    PathBuf::from(format!("{}:{line}:{column}", file.display()))
}

/// Turns a serde_yaml error into `path: message` (the location goes with the file name), with
/// unknown keys explained.
fn yaml_error(error: &serde_yaml::Error) -> String {
    let mut message = error.to_string();
    if let Some(location) = error.location() {
        let suffix = format!(" at line {} column {}", location.line(), location.column());
        if let Some(stripped) = message.strip_suffix(&suffix) {
            message = stripped.to_string();
        }
    }
    // "topology.nodes.b: unknown field `colour`, expected one of ..." -> name the supported keys.
    if let Some(start) = message.find("unknown field `") {
        let (place, rest) = message.split_at(start);
        let rest = &rest["unknown field `".len()..];
        if let Some(end) = rest.find('`') {
            let key = &rest[..end];
            let place = place.trim_end_matches(": ");
            let supported = supported_keys_at(place);
            let at = if place.is_empty() {
                "top level".to_string()
            } else {
                place.to_string()
            };
            return format!(
                "{at}: unknown key `{key}` (okapi-lab reads {supported}; other containerlab keys are \
                 listed in docs/lab.md)"
            );
        }
    }
    message
}

/// The keys okapi-lab implements at a serde_yaml path.
fn supported_keys_at(place: &str) -> String {
    let keys: &[&str] = if place.is_empty() || place == "." {
        RawFile::SUPPORTED
    } else if place == "topology" {
        RawTopology::SUPPORTED
    } else if place.starts_with("topology.links") {
        RawLink::SUPPORTED
    } else {
        RawNode::SUPPORTED
    };
    keys.join(", ")
}

struct Builder<'a> {
    file: &'a Path,
    dir: &'a Path,
    warnings: Vec<String>,
}

impl Builder<'_> {
    fn error(&self, message: impl AsRef<str>) -> LabError {
        LabError::topology(self.file, message)
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(format!("{}: {message}", self.file.display()));
    }

    fn warn_ignored(&mut self, place: &str, keys: &[&str]) {
        for key in keys {
            let at = if place.is_empty() {
                String::new()
            } else {
                format!("{place}: ")
            };
            self.warn(format!("{at}key `{key}` is ignored (okapi-lab does not need it)"));
        }
    }

    fn refuse_unsupported(&self, place: &str, keys: &[&str]) -> Result<(), LabError> {
        match keys.first() {
            Some(key) => Err(self.error(format!(
                "{place}: key `{key}` is a containerlab key that okapi-lab does not support (see docs/lab.md)"
            ))),
            None => Ok(()),
        }
    }

    fn check_raw_node(&mut self, place: &str, raw: &RawNode) -> Result<(), LabError> {
        self.refuse_unsupported(place, &raw.unsupported_present())?;
        self.warn_ignored(place, &raw.ignored_present());
        Ok(())
    }

    fn build(mut self, raw: RawFile, bins: &BinResolver) -> Result<Topology, LabError> {
        self.warn_ignored("", &raw.ignored_present());
        let name = raw
            .name
            .clone()
            .ok_or_else(|| self.error("no `name:` (the lab's name)"))?;
        check_name(&name).map_err(|why| self.error(format!("name \"{name}\" {why}")))?;
        let topology = raw.topology.ok_or_else(|| self.error("no `topology:` section"))?;
        self.warn_ignored("topology", &topology.ignored_present());

        let empty = RawNode::default();
        let defaults = topology.defaults.as_ref().unwrap_or(&empty);
        self.check_raw_node("topology.defaults", defaults)?;
        for (kind, raw_kind) in &topology.kinds.0 {
            if let Some(raw_kind) = raw_kind {
                self.check_raw_node(&format!("topology.kinds.{kind}"), raw_kind)?;
            }
        }
        if topology.nodes.0.is_empty() {
            return Err(self.error("topology.nodes: no node"));
        }

        let mut nodes = Vec::new();
        for (node_name, raw_node) in &topology.nodes.0 {
            let place = format!("topology.nodes.{node_name}");
            check_name(node_name).map_err(|why| self.error(format!("{place}: node name \"{node_name}\" {why}")))?;
            let raw_node = raw_node.as_ref().unwrap_or(&empty);
            self.check_raw_node(&place, raw_node)?;
            nodes.push(self.merge_node(&name, node_name, raw_node, defaults, &topology.kinds, bins)?);
        }

        let links = self.links(&topology.links, &nodes)?;
        Ok(Topology {
            file: self.file.to_path_buf(),
            name,
            nodes,
            links,
            warnings: self.warnings,
        })
    }

    fn merge_node(
        &mut self,
        lab: &str,
        name: &str,
        node: &RawNode,
        defaults: &RawNode,
        kinds: &Ordered<Option<RawNode>>,
        bins: &BinResolver,
    ) -> Result<Node, LabError> {
        let place = format!("topology.nodes.{name}");
        let kind_name = node.kind.clone().or_else(|| defaults.kind.clone()).ok_or_else(|| {
            self.error(format!(
                "{place}: no kind (set `kind: linux` or `kind: bridge`, or topology.defaults.kind)"
            ))
        })?;
        let kind = match kind_name.as_str() {
            "linux" => NodeKind::Linux,
            "bridge" => NodeKind::Bridge,
            other => {
                return Err(self.error(format!(
                    "{place}: kind \"{other}\" is not supported (okapi-lab runs kind linux and kind bridge)"
                )));
            }
        };
        let empty = RawNode::default();
        let kind_def = kinds
            .0
            .iter()
            .find(|(k, _)| *k == kind_name)
            .and_then(|(_, def)| def.as_ref())
            .unwrap_or(&empty);
        let kind_place = format!("topology.kinds.{kind_name}");

        if kind == NodeKind::Bridge {
            let set: Vec<&str> = [
                ("image", node.image.is_some()),
                ("binds", !node.binds.is_empty()),
                ("exec", !node.exec.is_empty()),
                ("env", !node.env.0.is_empty()),
                ("cmd", node.cmd.is_some()),
                ("sysctls", !node.sysctls.0.is_empty()),
            ]
            .into_iter()
            .filter(|(_, present)| *present)
            .map(|(key, _)| key)
            .collect();
            for key in set {
                self.warn(format!("{place}: key `{key}` is ignored on a kind bridge node"));
            }
            return Ok(Node {
                name: name.to_string(),
                kind,
                image: None,
                binds: Vec::new(),
                exec: Vec::new(),
                env: BTreeMap::new(),
                sysctls: BTreeMap::new(),
                plan: Plan::bridge(),
            });
        }

        let image = node
            .image
            .clone()
            .or_else(|| kind_def.image.clone())
            .or_else(|| defaults.image.clone());
        let image = image.filter(|image| !image.trim().is_empty()).ok_or_else(|| {
            self.error(format!(
                "{place}: no image (set it on the node, in {kind_place} or in topology.defaults)"
            ))
        })?;
        let cmd = node
            .cmd
            .clone()
            .or_else(|| kind_def.cmd.clone())
            .or_else(|| defaults.cmd.clone());

        // binds: node, then kind, then defaults; a target already bound by a more specific level wins.
        let mut binds: Vec<Bind> = Vec::new();
        for (level, raw) in [
            (place.as_str(), node),
            (kind_place.as_str(), kind_def),
            ("topology.defaults", defaults),
        ] {
            for (index, spec) in raw.binds.iter().enumerate() {
                let bind = self.bind(&format!("{level}.binds[{index}]"), spec)?;
                if !binds.iter().any(|existing| existing.target == bind.target) {
                    binds.push(bind);
                }
            }
        }
        // exec: defaults, then kind, then node (containerlab appends them).
        let exec: Vec<String> = defaults
            .exec
            .iter()
            .chain(kind_def.exec.iter())
            .chain(node.exec.iter())
            .cloned()
            .collect();
        for (index, line) in exec.iter().enumerate() {
            if line.trim().is_empty() {
                return Err(self.error(format!("{place}: exec[{index}] is empty")));
            }
        }
        // env and sysctls: node over kind over defaults.
        let mut env = BTreeMap::new();
        let mut sysctls = BTreeMap::new();
        for raw in [defaults, kind_def, node] {
            for (key, value) in &raw.env.0 {
                env.insert(key.clone(), value.0.clone());
            }
            for (key, value) in &raw.sysctls.0 {
                sysctls.insert(key.clone(), value.0.clone());
            }
        }
        for key in env.keys() {
            if key.is_empty() || key.contains('=') || key.contains('\0') {
                return Err(self.error(format!("{place}: env key \"{key}\" is not a variable name")));
            }
        }
        for key in sysctls.keys() {
            if key.is_empty() || key.contains("..") || key.starts_with('/') || key.contains(' ') {
                return Err(self.error(format!("{place}: sysctl \"{key}\" is not a sysctl name")));
            }
        }

        let view = View::new(&images::private_dirs(&image), &binds);
        let node_dir = crate::state::node_dir(lab, name);
        let plan = images::plan(&image, cmd.as_deref(), &view, &node_dir, bins)
            .map_err(|why| self.error(format!("{place}: {why}")))?;
        for warning in &plan.warnings {
            self.warn(format!("{place}: {warning}"));
        }
        Ok(Node {
            name: name.to_string(),
            kind,
            image: Some(image),
            binds,
            exec,
            env,
            sysctls,
            plan,
        })
    }

    fn bind(&mut self, place: &str, spec: &str) -> Result<Bind, LabError> {
        let parts: Vec<&str> = spec.split(':').collect();
        let (source, target, options) = match parts.as_slice() {
            [source, target] => (*source, *target, ""),
            [source, target, options] => (*source, *target, *options),
            _ => {
                return Err(self.error(format!("{place}: bind \"{spec}\" is not \"source:target[:ro]\"")));
            }
        };
        if source.is_empty() || target.is_empty() {
            return Err(self.error(format!("{place}: bind \"{spec}\" is not \"source:target[:ro]\"")));
        }
        let mut read_only = false;
        for option in options.split(',').filter(|option| !option.is_empty()) {
            match option {
                "ro" => read_only = true,
                "rw" => read_only = false,
                ignored if IGNORED_BIND_OPTIONS.contains(&ignored) => {
                    self.warn(format!(
                        "{place}: bind option `{ignored}` is ignored (it only means something to Docker)"
                    ));
                }
                other => {
                    return Err(self.error(format!("{place}: bind \"{spec}\": unknown option `{other}` (ro or rw)")));
                }
            }
        }
        let target_path = PathBuf::from(target);
        if !target_path.is_absolute() {
            return Err(self.error(format!("{place}: bind target \"{target}\" is not an absolute path")));
        }
        let target_path = normalize(&target_path);
        if target_path == Path::new("/") {
            return Err(self.error(format!("{place}: bind target \"/\" would hide the whole filesystem")));
        }
        let source_path = if let Some(rest) = source.strip_prefix("~/") {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(rest)
        } else {
            self.dir.join(source)
        };
        let source_path = normalize(&source_path);
        let metadata = std::fs::metadata(&source_path).map_err(|error| {
            let why = if error.kind() == std::io::ErrorKind::NotFound {
                "does not exist".to_string()
            } else {
                format!("cannot be read: {error}")
            };
            self.error(format!(
                "{place}: bind source {} ({source}) {why}",
                source_path.display()
            ))
        })?;
        Ok(Bind {
            place: place.to_string(),
            source: source_path,
            target: target_path,
            read_only,
            is_dir: metadata.is_dir(),
        })
    }

    fn links(&self, raw_links: &[RawLink], nodes: &[Node]) -> Result<Vec<Link>, LabError> {
        let mut used: HashMap<Endpoint, usize> = HashMap::new();
        let mut links = Vec::new();
        for (index, raw) in raw_links.iter().enumerate() {
            let place = format!("topology.links[{index}]");
            self.refuse_unsupported(&place, &raw.unsupported_present())?;
            if raw.endpoints.len() != 2 {
                return Err(self.error(format!(
                    "{place}: a link has exactly two endpoints, this one has {}",
                    raw.endpoints.len()
                )));
            }
            let mut ends = Vec::new();
            for text in &raw.endpoints {
                let endpoint = self.endpoint(&place, text, nodes)?;
                if let Some(first) = used.get(&endpoint) {
                    return Err(self.error(format!(
                        "{place}: endpoint \"{endpoint}\" is already used by topology.links[{first}] (an interface \
                         can be in one link only)"
                    )));
                }
                used.insert(endpoint.clone(), index);
                ends.push(endpoint);
            }
            let mtu = raw.mtu.unwrap_or(DEFAULT_MTU);
            if !(68..=65535).contains(&mtu) {
                return Err(self.error(format!("{place}: mtu {mtu} is out of range (68..65535)")));
            }
            let (Some(b), Some(a)) = (ends.pop(), ends.pop()) else {
                return Err(self.error(format!("{place}: a link has exactly two endpoints")));
            };
            links.push(Link { a, b, mtu });
        }
        Ok(links)
    }

    fn endpoint(&self, place: &str, text: &str, nodes: &[Node]) -> Result<Endpoint, LabError> {
        let bad = || self.error(format!("{place}: endpoint \"{text}\" is not \"node:interface\""));
        let (node, iface) = text.split_once(':').ok_or_else(bad)?;
        if node.is_empty() || iface.is_empty() || iface.contains(':') {
            return Err(bad());
        }
        if !nodes.iter().any(|known| known.name == node) {
            let special = match node {
                "host" | "mgmt-net" | "macvlan" | "ovs-bridge" | "bridge" => {
                    " (containerlab's special endpoints are not supported: they would touch the host namespace)"
                }
                _ => "",
            };
            return Err(self.error(format!(
                "{place}: endpoint \"{text}\" names node {node}, which is not in topology.nodes{special}"
            )));
        }
        check_ifname(iface).map_err(|why| self.error(format!("{place}: endpoint \"{text}\": interface name {why}")))?;
        Ok(Endpoint {
            node: node.to_string(),
            iface: iface.to_string(),
        })
    }
}

/// Lab and node names become namespace and directory names: `[A-Za-z0-9][A-Za-z0-9_.-]*`.
fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("is empty".to_string()),
        Some(first) if !first.is_ascii_alphanumeric() => {
            return Err("must start with a letter or a digit".to_string());
        }
        Some(_) => {}
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!("contains {bad:?} (allowed: letters, digits, _ . -)"));
    }
    if name.len() > 64 {
        return Err("is longer than 64 characters".to_string());
    }
    Ok(())
}

/// Linux interface names: 1..=15 bytes, no '/', ':', whitespace; not ".", "..", "lo".
pub(crate) fn check_ifname(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("is empty".to_string());
    }
    if name.len() > MAX_IFNAME {
        return Err(format!(
            "\"{name}\" is longer than {MAX_IFNAME} characters (the Linux limit)"
        ));
    }
    if name == "." || name == ".." {
        return Err(format!("\"{name}\" is not allowed"));
    }
    if name == "lo" {
        return Err("\"lo\" is the loopback, which every namespace already has".to_string());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| *c == '/' || *c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(format!("\"{name}\" contains {bad:?}"));
    }
    Ok(())
}

/// Removes `.` and `..` components lexically.
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory for bind sources and fake binaries, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!("okapi-lab-unit-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
            Scratch(dir)
        }

        fn file(&self, relative: &str, contents: &str) -> PathBuf {
            let path = self.0.join(relative);
            if let Some(parent) = path.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            std::fs::write(&path, contents).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            path
        }

        fn executable(&self, relative: &str) -> PathBuf {
            use std::os::unix::fs::PermissionsExt as _;
            let path = self.file(relative, "#!/bin/sh\n");
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
            path
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn no_bins() -> BinResolver {
        BinResolver {
            env_dir: Some(PathBuf::from("/nonexistent-okapi-bin")),
            exe_dir: None,
            path: Vec::new(),
        }
    }

    fn parse_in(dir: &Path, yaml: &str, bins: &BinResolver) -> Result<Topology, String> {
        Topology::parse(yaml, Path::new("t.clab.yml"), dir, bins).map_err(|error| error.to_string())
    }

    fn parse(yaml: &str) -> Result<Topology, String> {
        parse_in(Path::new("/nonexistent-topology-dir"), yaml, &no_bins())
    }

    fn error_of(yaml: &str) -> String {
        match parse(yaml) {
            Ok(topology) => panic!("accepted: {topology:?}"),
            Err(error) => {
                assert_eq!(error.lines().count(), 1, "one line: {error}");
                error
            }
        }
    }

    const TWO: &str = "name: t\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12}\n    b: {kind: linux, image: debian:12}\n";

    #[test]
    fn a_valid_topology_has_nodes_links_and_namespaces() {
        let topology = parse(&format!("{TWO}  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n"))
            .unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(topology.name(), "t");
        assert_eq!(topology.node_names(), vec!["a", "b"]);
        assert_eq!(topology.netns("a"), "clab-t-a");
        assert_eq!(topology.links.len(), 1);
        assert_eq!(topology.links[0].a.to_string(), "a:eth1");
        assert_eq!(topology.links[0].mtu, DEFAULT_MTU);
        assert!(topology.warnings().is_empty(), "{:?}", topology.warnings());
    }

    #[test]
    fn unknown_key_names_key_place_and_line() {
        let error = error_of(
            "name: t\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12}\n    b: {kind: linux, image: debian:12, colour: red}\n",
        );
        assert!(error.starts_with("t.clab.yml:5:"), "{error}");
        assert!(error.contains("topology.nodes.b: unknown key `colour`"), "{error}");
        assert!(
            error.contains("kind, image, binds"),
            "names the supported keys: {error}"
        );
        let error = error_of("name: t\ncolor: x\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12}\n");
        assert!(error.contains("top level: unknown key `color`"), "{error}");
        let error = error_of(&format!(
            "{TWO}  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n      speed: 10\n"
        ));
        assert!(
            error.contains("topology.links[0]: unknown key `speed`") && error.contains("endpoints, mtu"),
            "{error}"
        );
        let error = error_of("name: t\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12}\n  groups2: {}\n");
        assert!(error.contains("topology: unknown key `groups2`"), "{error}");
    }

    #[test]
    fn unsupported_containerlab_keys_are_errors() {
        let error = error_of("name: t\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12, entrypoint: /x}\n");
        assert!(
            error.contains("topology.nodes.a: key `entrypoint`") && error.contains("does not support"),
            "{error}"
        );
        let error = error_of(
            "name: t\ntopology:\n  defaults: {network-mode: host}\n  nodes:\n    a: {kind: linux, image: debian:12}\n",
        );
        assert!(error.contains("topology.defaults: key `network-mode`"), "{error}");
    }

    #[test]
    fn ignored_keys_warn_with_their_place() {
        let topology = parse(
            "name: t\nprefix: \"\"\nmgmt: {network: lab}\ntopology:\n  defaults: {labels: {x: y}}\n  kinds:\n    linux: {startup-delay: 3}\n  nodes:\n    a: {kind: linux, image: debian:12, mgmt-ipv4: 172.20.0.2, group: spines}\n    b: {kind: linux, image: debian:12}\n  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n      labels: {x: y}\n",
        )
        .unwrap_or_else(|error| panic!("{error}"));
        let warnings = topology.warnings().join("\n");
        for expected in [
            "t.clab.yml: key `prefix` is ignored",
            "t.clab.yml: key `mgmt` is ignored",
            "topology.defaults: key `labels` is ignored",
            "topology.kinds.linux: key `startup-delay` is ignored",
            "topology.nodes.a: key `mgmt-ipv4` is ignored",
            "topology.nodes.a: key `group` is ignored",
        ] {
            assert!(warnings.contains(expected), "{expected:?} in {warnings}");
        }
        assert_eq!(topology.warnings().len(), 6, "{warnings}");
    }

    #[test]
    fn link_to_a_missing_node_is_named() {
        let error = error_of(&format!(
            "{TWO}  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n    - endpoints: [\"a:eth2\", \"r3:eth1\"]\n"
        ));
        assert_eq!(
            error,
            "t.clab.yml: topology.links[1]: endpoint \"r3:eth1\" names node r3, which is not in topology.nodes"
        );
        let error = error_of(&format!(
            "{TWO}  links:\n    - endpoints: [\"a:eth1\", \"host:veth1\"]\n"
        ));
        assert!(error.contains("special endpoints are not supported"), "{error}");
    }

    #[test]
    fn duplicate_interface_is_refused() {
        let error = error_of(&format!(
            "{TWO}  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n    - endpoints: [\"b:eth2\", \"a:eth1\"]\n"
        ));
        assert!(
            error.contains("topology.links[1]: endpoint \"a:eth1\" is already used by topology.links[0]"),
            "{error}"
        );
        let error = error_of(&format!("{TWO}  links:\n    - endpoints: [\"a:eth1\", \"a:eth1\"]\n"));
        assert!(
            error.contains("\"a:eth1\" is already used by topology.links[0]"),
            "{error}"
        );
        // A node may be linked to itself on two different interfaces.
        assert!(parse(&format!("{TWO}  links:\n    - endpoints: [\"a:eth1\", \"a:eth2\"]\n")).is_ok());
    }

    #[test]
    fn bad_endpoint_syntax_is_refused() {
        for endpoint in ["aeth1", "a:", ":eth1", "a:eth1:x"] {
            let error = error_of(&format!(
                "{TWO}  links:\n    - endpoints: [\"{endpoint}\", \"b:eth1\"]\n"
            ));
            assert!(
                error.contains(&format!("endpoint \"{endpoint}\" is not \"node:interface\"")),
                "{error}"
            );
        }
        let error = error_of(&format!(
            "{TWO}  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\", \"b:eth2\"]\n"
        ));
        assert!(error.contains("exactly two endpoints, this one has 3"), "{error}");
    }

    #[test]
    fn interface_names_follow_linux_rules() {
        let error = error_of(&format!(
            "{TWO}  links:\n    - endpoints: [\"a:eth1\", \"b:averyverylongname1\"]\n"
        ));
        assert!(
            error.contains("\"averyverylongname1\" is longer than 15 characters"),
            "{error}"
        );
        assert!(
            parse(&format!(
                "{TWO}  links:\n    - endpoints: [\"a:eth1\", \"b:exactly15chars\"]\n"
            ))
            .is_ok()
        );
        let error = error_of(&format!("{TWO}  links:\n    - endpoints: [\"a:lo\", \"b:eth1\"]\n"));
        assert!(error.contains("loopback"), "{error}");
        let error = error_of(&format!("{TWO}  links:\n    - endpoints: [\"a:e/1\", \"b:eth1\"]\n"));
        assert!(error.contains("contains '/'"), "{error}");
    }

    #[test]
    fn unknown_kind_and_missing_image_are_refused() {
        let error = error_of("name: t\ntopology:\n  nodes:\n    a: {kind: nokia_srlinux, image: x}\n");
        assert!(
            error.contains("topology.nodes.a: kind \"nokia_srlinux\" is not supported"),
            "{error}"
        );
        let error = error_of("name: t\ntopology:\n  nodes:\n    a: {image: debian:12}\n");
        assert!(error.contains("topology.nodes.a: no kind"), "{error}");
        let error = error_of("name: t\ntopology:\n  nodes:\n    a: {kind: linux}\n");
        assert!(error.contains("topology.nodes.a: no image"), "{error}");
    }

    #[test]
    fn names_and_sections_are_checked() {
        assert!(error_of("topology:\n  nodes:\n    a: {kind: linux, image: x}\n").contains("no `name:`"));
        assert!(error_of("name: t\n").contains("no `topology:`"));
        assert!(error_of("name: t\ntopology: {}\n").contains("topology.nodes: no node"));
        assert!(error_of("name: a/b\ntopology:\n  nodes:\n    a: {kind: linux, image: x}\n").contains("contains '/'"));
        assert!(
            error_of("name: t\ntopology:\n  nodes:\n    -a: {kind: linux, image: x}\n").contains("must start with")
        );
        let error =
            error_of("name: t\ntopology:\n  nodes:\n    a: {kind: linux, image: x}\n    a: {kind: linux, image: x}\n");
        assert!(error.contains("duplicate key `a`"), "{error}");
    }

    #[test]
    fn bind_sources_must_exist_and_targets_be_absolute() {
        let scratch = Scratch::new("binds");
        scratch.file("n1/present.conf", "x");
        let node = |bind: &str| {
            format!(
                "name: t\ntopology:\n  nodes:\n    n1:\n      kind: linux\n      image: debian:12\n      binds: [\"{bind}\"]\n"
            )
        };
        let error = parse_in(&scratch.0, &node("n1/missing.conf:/etc/x.conf"), &no_bins())
            .err()
            .unwrap_or_default();
        assert!(
            error.contains("topology.nodes.n1.binds[0]: bind source") && error.contains("does not exist"),
            "{error}"
        );
        let error = parse_in(&scratch.0, &node("n1/present.conf:etc/x.conf"), &no_bins())
            .err()
            .unwrap_or_default();
        assert!(error.contains("is not an absolute path"), "{error}");
        let error = parse_in(&scratch.0, &node("n1/present.conf:/etc/x.conf:rx"), &no_bins())
            .err()
            .unwrap_or_default();
        assert!(error.contains("unknown option `rx`"), "{error}");
        let error = parse_in(&scratch.0, &node("n1/present.conf"), &no_bins())
            .err()
            .unwrap_or_default();
        assert!(error.contains("is not \"source:target[:ro]\""), "{error}");
        let topology = parse_in(&scratch.0, &node("n1/present.conf:/etc/x.conf:ro,Z"), &no_bins())
            .unwrap_or_else(|error| panic!("{error}"));
        let bind = &topology.nodes[0].binds[0];
        assert_eq!(bind.source, scratch.0.join("n1/present.conf"));
        assert_eq!(bind.target, PathBuf::from("/etc/x.conf"));
        assert!(bind.read_only && !bind.is_dir);
        assert!(
            topology.warnings()[0].contains("bind option `Z` is ignored"),
            "{:?}",
            topology.warnings()
        );
    }

    #[test]
    fn defaults_and_kinds_merge_into_nodes_like_containerlab() {
        let scratch = Scratch::new("merge");
        scratch.file("d.conf", "defaults");
        scratch.file("k.conf", "kind");
        scratch.file("n.conf", "node");
        let yaml = "name: t
topology:
  defaults:
    kind: linux
    image: debian:12
    env: {LEVEL: defaults, FROM_DEFAULTS: 1}
    exec: [\"echo defaults\"]
    binds: [\"d.conf:/etc/a.conf\", \"d.conf:/etc/d.conf\"]
    sysctls: {net.ipv4.ip_forward: 1}
  kinds:
    linux:
      image: alpine:3
      env: {LEVEL: kind, FROM_KIND: yes}
      exec: [\"echo kind\"]
      binds: [\"k.conf:/etc/a.conf\", \"k.conf:/etc/k.conf\"]
      cmd: sleep 100
  nodes:
    n1:
      env: {LEVEL: node}
      exec: [\"echo node\"]
      binds: [\"n.conf:/etc/a.conf:ro\"]
      sysctls: {net.ipv4.ip_forward: 0, net.ipv6.conf.all.disable_ipv6: 1}
    n2:
      image: debian:12
      cmd: sleep 1
    lan:
      kind: bridge
";
        let topology = parse_in(&scratch.0, yaml, &no_bins()).unwrap_or_else(|error| panic!("{error}"));
        let n1 = topology.node("n1").unwrap_or_else(|| panic!("n1"));
        assert_eq!(n1.kind, NodeKind::Linux, "kind from defaults");
        assert_eq!(n1.image.as_deref(), Some("alpine:3"), "kind's image over the defaults'");
        assert_eq!(n1.env.get("LEVEL").map(String::as_str), Some("node"));
        assert_eq!(n1.env.get("FROM_DEFAULTS").map(String::as_str), Some("1"));
        assert_eq!(
            n1.env.get("FROM_KIND").map(String::as_str),
            Some("yes"),
            "YAML 1.2: yes is a string"
        );
        assert_eq!(
            n1.exec,
            vec!["echo defaults", "echo kind", "echo node"],
            "exec lines append"
        );
        let binds: Vec<(String, bool)> = n1
            .binds
            .iter()
            .map(|bind| {
                (
                    format!("{}:{}", bind.source.display(), bind.target.display()),
                    bind.read_only,
                )
            })
            .collect();
        let at = |name: &str| scratch.0.join(name).display().to_string();
        assert_eq!(
            binds,
            vec![
                (format!("{}:/etc/a.conf", at("n.conf")), true),
                (format!("{}:/etc/k.conf", at("k.conf")), false),
                (format!("{}:/etc/d.conf", at("d.conf")), false),
            ],
            "the most specific bind of a target wins"
        );
        assert_eq!(n1.sysctls.get("net.ipv4.ip_forward").map(String::as_str), Some("0"));
        assert_eq!(n1.sysctls.len(), 2);
        assert_eq!(
            n1.plan.stages[0][0].argv,
            vec!["/bin/sh", "-c", "sleep 100"],
            "cmd from the kind"
        );
        let n2 = topology.node("n2").unwrap_or_else(|| panic!("n2"));
        assert_eq!(n2.image.as_deref(), Some("debian:12"));
        assert_eq!(n2.plan.stages[0][0].argv[2], "sleep 1");
        let lan = topology.node("lan").unwrap_or_else(|| panic!("lan"));
        assert_eq!(lan.kind, NodeKind::Bridge);
        assert!(
            lan.binds.is_empty() && lan.exec.is_empty(),
            "a bridge takes nothing from the defaults"
        );
    }

    #[test]
    fn okapi_images_need_their_config_and_binaries() {
        let scratch = Scratch::new("okapi");
        scratch.file("n1/okapi.toml", "[testd]\ndescription = \"x\"\n[ospf]\n");
        let yaml = "name: t\ntopology:\n  nodes:\n    n1:\n      kind: linux\n      image: okapi:latest\n      binds: [\"n1/okapi.toml:/etc/okapi/okapi.toml:ro\"]\n";
        let error = parse_in(&scratch.0, yaml, &no_bins()).err().unwrap_or_default();
        assert!(
            error.contains("topology.nodes.n1: image okapi:latest, table [ospf]: okapi-ospfd is not in $OKAPI_BIN_DIR"),
            "{error}"
        );

        let bin = Scratch::new("okapi-bin");
        let ospfd = bin.executable("okapi-ospfd");
        let testd = bin.executable("okapi-testd");
        let bins = BinResolver {
            env_dir: Some(bin.0.clone()),
            exe_dir: None,
            path: Vec::new(),
        };
        let topology = parse_in(&scratch.0, yaml, &bins).unwrap_or_else(|error| panic!("{error}"));
        let stage = &topology.nodes[0].plan.stages[0];
        let argv: Vec<Vec<String>> = stage.iter().map(|start| start.argv.clone()).collect();
        assert_eq!(
            argv,
            vec![
                vec![
                    ospfd.display().to_string(),
                    "-f".to_string(),
                    "/etc/okapi/okapi.toml".to_string()
                ],
                vec![
                    testd.display().to_string(),
                    "-f".to_string(),
                    "/etc/okapi/okapi.toml".to_string()
                ],
            ]
        );
        assert_eq!(stage[1].ready, Some(PathBuf::from("/run/okapi/testd.sock")));

        let bare = "name: t\ntopology:\n  nodes:\n    n1: {kind: linux, image: okapi}\n";
        let error = parse_in(&scratch.0, bare, &bins).err().unwrap_or_default();
        assert!(
            error.contains("/etc/okapi/okapi.toml, and the node has none"),
            "{error}"
        );

        // Next to the executable (a test binary in target/<profile>/deps looks one level up).
        let beside = BinResolver {
            env_dir: None,
            exe_dir: Some(bin.0.clone()),
            path: Vec::new(),
        };
        assert_eq!(beside.okapi("okapi-testd"), Ok(testd.clone()));
        let on_path = BinResolver {
            env_dir: None,
            exe_dir: None,
            path: vec![bin.0.clone()],
        };
        assert_eq!(on_path.okapi("okapi-testd"), Ok(testd));
        assert!(on_path.okapi("okapi-bgpd").is_err());
    }

    #[test]
    fn shipped_topologies_are_valid() {
        let topologies = Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies");
        let bin = Scratch::new("shipped-bin");
        for (_, binary) in crate::images::OKAPI_DAEMONS {
            bin.executable(binary);
        }
        let bins = BinResolver {
            env_dir: Some(bin.0.clone()),
            exe_dir: None,
            path: Vec::new(),
        };
        let frr = Path::new("/usr/lib/frr/zebra").exists();
        let mut checked = 0;
        for entry in std::fs::read_dir(&topologies).into_iter().flatten().flatten() {
            let path = entry.path();
            if !path.to_string_lossy().ends_with(".clab.yml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            if text.contains("frrouting/frr") && !frr {
                eprintln!("{}: not checked, FRR is not installed", path.display());
                continue;
            }
            let topology = Topology::load_with(&path, &bins).unwrap_or_else(|error| panic!("{error}"));
            assert!(topology.warnings().is_empty(), "{:?}", topology.warnings());
            checked += 1;
        }
        assert!(checked >= 1);
    }

    #[test]
    fn docs_list_every_known_key() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/lab.md");
        let text = std::fs::read_to_string(&docs).unwrap_or_else(|error| panic!("{}: {error}", docs.display()));
        for keys in known_keys() {
            for key in keys.implemented.iter().chain(keys.ignored).chain(keys.unsupported) {
                assert!(
                    text.contains(&format!("`{key}`")),
                    "docs/lab.md does not mention `{key}` ({})",
                    keys.place
                );
            }
        }
    }
}
