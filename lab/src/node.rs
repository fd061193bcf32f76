//! Preparing a node on the host: its directory in the lab's state, its private directories
//! (owned as its daemons need), the mount points its view needs, and its `enter.sh`.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use crate::error::LabError;
use crate::images::PrivateDir;
use crate::state::{self, DirLock, HostPath, State};
use crate::topology::{Node, NodeKind};
use crate::view::{self, View};

/// The view of a linux node (a bridge node has no mounts).
pub(crate) fn view_of(node: &Node) -> View {
    match node.kind {
        NodeKind::Linux => View::new(&node.plan.private, &node.binds),
        NodeKind::Bridge => View::default(),
    }
}

/// Creates everything a node needs on the filesystem; host paths that must be created are
/// recorded in the lab's state before they are.
pub(crate) fn prepare(lab: &str, node: &Node) -> Result<PathBuf, LabError> {
    let dir = state::node_dir(lab, &node.name);
    create_dir(&dir, 0o755)?;
    let view = view_of(node);
    for private in &node.plan.private {
        prepare_private(&dir, private)?;
    }
    // Mount points: inside private directories they are simply made; on the host filesystem
    // they are recorded, under the root lock that serializes this between labs.
    let _lock = DirLock::exclusive(Path::new(state::STATE_ROOT))?;
    for (location, mount) in view.mount_points(&dir) {
        if location.starts_with(&dir) {
            if !exists(&location) {
                make_mount_point(&location, mount.is_dir)?;
            }
            continue;
        }
        // On the host (or inside a bind source): record first, then create what is missing.
        let missing = missing_chain(&location);
        let used = location.clone();
        // Paths another lab created on the way are adopted: whichever lab goes down last
        // removes them.
        let mut adopted: Vec<HostPath> = state::labs()
            .into_iter()
            .filter(|name| name != lab)
            .filter_map(|name| State::load(&name).ok())
            .flat_map(|other| other.host_paths)
            .filter(|created| location.starts_with(&created.path))
            .collect();
        adopted.sort_by_key(|created| created.path.components().count());
        adopted.dedup();
        let created: Vec<HostPath> = missing
            .iter()
            .map(|path| HostPath {
                path: path.clone(),
                is_dir: *path != location || mount.is_dir,
            })
            .collect();
        let recorded: Vec<HostPath> = adopted.into_iter().chain(created.iter().cloned()).collect();
        State::update(lab, |state| {
            if !state.host_paths_used.contains(&used) {
                state.host_paths_used.push(used.clone());
            }
            for path in &recorded {
                if !state.host_paths.contains(path) {
                    state.host_paths.push(path.clone());
                }
            }
        })?;
        for path in &created {
            if path.is_dir {
                create_dir(&path.path, 0o755)?;
            } else {
                std::fs::File::create(&path.path)
                    .map_err(|error| LabError::io(format!("creating mount point {}", path.path.display()), error))?;
            }
        }
    }
    let script = view.enter_script(lab, &node.name, &dir, &node.env);
    let enter = dir.join("enter.sh");
    std::fs::write(&enter, script).map_err(|error| LabError::io(format!("writing {}", enter.display()), error))?;
    std::fs::set_permissions(&enter, std::fs::Permissions::from_mode(0o755))
        .map_err(|error| LabError::io(format!("chmod {}", enter.display()), error))?;
    Ok(enter)
}

fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// `path` and its missing ancestors, outermost first.
fn missing_chain(path: &Path) -> Vec<PathBuf> {
    let mut chain = Vec::new();
    let mut current = Some(path);
    while let Some(candidate) = current {
        if exists(candidate) {
            break;
        }
        chain.push(candidate.to_path_buf());
        current = candidate.parent();
    }
    chain.reverse();
    chain
}

fn create_dir(path: &Path, mode: u32) -> Result<(), LabError> {
    std::fs::create_dir_all(path).map_err(|error| LabError::io(format!("creating {}", path.display()), error))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|error| LabError::io(format!("chmod {}", path.display()), error))
}

fn make_mount_point(path: &Path, is_dir: bool) -> Result<(), LabError> {
    if is_dir {
        return create_dir(path, 0o755);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|error| LabError::io(format!("creating {}", parent.display()), error))?;
    }
    std::fs::File::create(path)
        .map(|_| ())
        .map_err(|error| LabError::io(format!("creating mount point {}", path.display()), error))
}

/// (uid, gid) of `user:group`, when both exist.
fn ids(owner: Option<(&str, &str)>) -> Option<(u32, u32)> {
    let (user, group) = owner?;
    let uid = nix::unistd::User::from_name(user).ok().flatten()?.uid.as_raw();
    let gid = nix::unistd::Group::from_name(group).ok().flatten()?.gid.as_raw();
    Some((uid, gid))
}

fn prepare_private(node_dir: &Path, private: &PrivateDir) -> Result<(), LabError> {
    let path = view::private_path(node_dir, &private.path);
    create_dir(&path, private.mode)?;
    if let Some((uid, gid)) = ids(private.owner) {
        std::os::unix::fs::chown(&path, Some(uid), Some(gid))
            .map_err(|error| LabError::io(format!("chown {}", path.display()), error))?;
    }
    for seed in &private.seeds {
        let file = path.join(seed.name);
        std::fs::write(&file, seed.contents)
            .map_err(|error| LabError::io(format!("writing {}", file.display()), error))?;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(seed.mode))
            .map_err(|error| LabError::io(format!("chmod {}", file.display()), error))?;
        if let Some((uid, gid)) = ids(seed.owner) {
            std::os::unix::fs::chown(&file, Some(uid), Some(gid))
                .map_err(|error| LabError::io(format!("chown {}", file.display()), error))?;
        }
    }
    Ok(())
}

/// Removes the host paths lab `lab` created (deepest first), except those another lab uses
/// or created. Directories go only when empty, files only when empty. Returns what stayed.
pub(crate) fn remove_host_paths(lab: &str, paths: &[HostPath]) -> Vec<String> {
    if paths.is_empty() {
        return Vec::new();
    }
    let _lock = DirLock::exclusive(Path::new(state::STATE_ROOT)).ok();
    let others: Vec<State> = state::labs()
        .into_iter()
        .filter(|name| name != lab)
        .filter_map(|name| State::load(&name).ok())
        .collect();
    let mut ordered: Vec<&HostPath> = paths.iter().collect();
    ordered.sort_by_key(|host| std::cmp::Reverse(host.path.components().count()));
    ordered.dedup();
    let mut kept = Vec::new();
    for host in ordered {
        let claimed = others.iter().any(|other| {
            other.host_paths_used.iter().any(|used| used.starts_with(&host.path))
                || other.host_paths.iter().any(|created| created.path == host.path)
        });
        if claimed || !exists(&host.path) {
            continue;
        }
        let removed = if host.is_dir {
            std::fs::remove_dir(&host.path).is_ok()
        } else {
            let empty = std::fs::symlink_metadata(&host.path).is_ok_and(|meta| meta.is_file() && meta.len() == 0);
            empty && std::fs::remove_file(&host.path).is_ok()
        };
        if !removed {
            kept.push(format!("{} (not empty, left in place)", host.path.display()));
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_chain_lists_outermost_first() {
        let base = std::env::temp_dir().join(format!("okapi-lab-chain-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&base);
        let chain = missing_chain(&base.join("a/b/c"));
        assert_eq!(chain, vec![base.join("a"), base.join("a/b"), base.join("a/b/c")]);
        assert!(missing_chain(&base).is_empty());
        let _ = std::fs::remove_dir_all(&base);
    }
}
