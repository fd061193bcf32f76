//! Acceptance (issue 2): `okapi-lab up` on a file with an unknown key, a link to a missing
//! node, or a duplicate interface fails before creating anything, and says why.

use std::path::PathBuf;
use std::process::Command;

use okapi_tests::{HostSnapshot, binary, require_root};

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("okapi-invalid-topologies-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const CASES: &[(&str, &str, &str)] = &[
    (
        "unknown-key",
        "name: bad1\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12}\n    b: {kind: linux, image: debian:12, colour: red}\n  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n",
        "colour",
    ),
    (
        "missing-node",
        "name: bad2\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12}\n    b: {kind: linux, image: debian:12}\n  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n    - endpoints: [\"a:eth2\", \"ghost:eth1\"]\n",
        "ghost",
    ),
    (
        "duplicate-interface",
        "name: bad3\ntopology:\n  nodes:\n    a: {kind: linux, image: debian:12}\n    b: {kind: linux, image: debian:12}\n    c: {kind: linux, image: debian:12}\n  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n    - endpoints: [\"a:eth1\", \"c:eth1\"]\n",
        "a:eth1",
    ),
];

#[test]
fn invalid_topologies_fail_before_creating_anything() {
    if !require_root("invalid_topologies") {
        return;
    }
    let dir = TempDir::new();
    let okapi_lab = binary("okapi-lab");
    for (case, yaml, named) in CASES {
        let file = dir.0.join(format!("{case}.clab.yml"));
        std::fs::write(&file, yaml).expect("write topology");
        let before = HostSnapshot::take();

        let error = match okapi_lab::Lab::up(&file) {
            Ok(lab) => {
                let _ = lab.down();
                panic!("{case}: up succeeded on an invalid topology");
            }
            Err(error) => error.to_string(),
        };
        println!("{case}: {error}");
        assert!(error.contains(named), "{case}: the error names {named:?}: {error}");
        assert_eq!(error.lines().count(), 1, "{case}: one line: {error}");
        assert_eq!(HostSnapshot::take(), before, "{case}: the library created something");

        let output = Command::new(&okapi_lab)
            .arg("up")
            .arg(&file)
            .output()
            .expect("run okapi-lab");
        assert!(!output.status.success(), "{case}: okapi-lab up exits non-zero");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{case}: stderr names {named:?}: {stderr}");
        assert_eq!(HostSnapshot::take(), before, "{case}: the command created something");
    }
}
