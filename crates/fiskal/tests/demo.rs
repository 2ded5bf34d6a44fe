//! `fiskal demo` on a fresh data folder, twice: every document, the QR files, the audit by the
//! local SUF, the verification of the seed receipt and the SEF invoice coming back Approved.

mod common;

#[test]
fn demo_runs_twice_and_shows_everything() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for run in 0..2 {
        let (ok, out, err) = common::run(&["demo", "--data", d]);
        assert!(ok, "run {run}: {out}\n{err}");
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
