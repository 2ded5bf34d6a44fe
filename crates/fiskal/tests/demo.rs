//! `fiskal demo` on a fresh data folder, twice: every document, the QR files, the audit by the
//! local SUF, the verification of the seed receipt and the SEF invoice coming back Approved.

mod common;

/// `fiskal demo --data DIR` as a person starts it: no `RUST_LOG`, no `-v`.
fn run_demo_as_a_person(dir: &str) -> (bool, String, String) {
    let out = std::process::Command::new(common::bin())
        .args(["demo", "--data", dir])
        .env("FISKAL_LANG", "sr")
        .env_remove("RUST_LOG")
        .output()
        .expect("run fiskal demo");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_runs_twice_and_shows_everything() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for run in 0..2 {
        let (ok, out, err) = run_demo_as_a_person(d);
        assert!(ok, "run {run}: {out}\n{err}");
        // A person reads this: no log lines between the results (warnings only by default).
        assert!(
            !err.contains(" INFO ") && !out.contains(" INFO "),
            "run {run}: log lines in the output: {err}"
        );
        assert!(
            out.contains("Ђ           О-ПДВ   20,00%         27,33"),
            "{out}"
        );
        for kind in [
            "ПРОМЕТ ПРОДАЈА",
            "ПРОМЕТ РЕФУНДАЦИЈА",
            "КОПИЈА ПРОДАЈА",
            "ПРЕДРАЧУН ПРОДАЈА",
            "ОБУКА ПРОДАЈА",
            "АВАНС ПРОДАЈА",
            "АВАНС РЕФУНДАЦИЈА",
        ] {
            assert!(out.contains(kind), "run {run}: {kind} missing");
        }
        assert!(out.contains("Плаћено авансом:"), "{out}");
        assert!(out.contains("Konačni status:         Approved"), "{out}");
        if out.contains("SUF (tax authority) listening") {
            assert!(out.contains("Proof of audit applied"), "{out}");
            assert!(
                out.contains("valid = true, received by the SUF = true"),
                "{out}"
            );
        }
        let pngs = std::fs::read_dir(dir.path().join("demo")).unwrap().count();
        assert_eq!(pngs, 9 * (run + 1), "QR PNG files");
    }
    let (ok, out, err) = common::run(&["pfr", "verify", "--data", d]);
    assert!(ok && out.contains("18 receipts"), "{out}{err}");
}
