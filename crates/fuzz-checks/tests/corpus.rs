//! Replays every file of `fuzz/corpus/<target>/` through its check on stable, so CI checks each
//! corpus entry on every run; and checks that every target has its wrapper and seeds.

use std::path::{Path, PathBuf};

use fiskal_fuzz_checks::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs every corpus file of `target` through its check; returns how many ran.
fn replay(target: &str) -> usize {
    let check = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no target {target}"));
    let dir = fuzz_dir().join("corpus").join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let run = std::panic::catch_unwind(|| check(&data));
        assert!(run.is_ok(), "{target}: corpus file {} fails", f.display());
    }
    files.len()
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let n = replay(stringify!($name));
                assert!(n > 0, "fuzz/corpus/{} is empty", stringify!($name));
            }
        )*
    };
}

replay_tests!(
    verification_url,
    invoice_request,
    ubl,
    audit_package,
    local_medium,
    se_state_file,
);

#[test]
fn every_target_has_a_wrapper_and_is_replayed_here() {
    let replayed = [
        "verification_url",
        "invoice_request",
        "ubl",
        "audit_package",
        "local_medium",
        "se_state_file",
    ];
    for (name, _) in TARGETS {
        assert!(replayed.contains(name), "{name} is not replayed by a test");
        let wrapper = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&wrapper)
            .unwrap_or_else(|e| panic!("{}: {e}", wrapper.display()));
        assert!(
            text.contains(&format!("check_{name}")),
            "{} does not call check_{name}",
            wrapper.display()
        );
    }
}
