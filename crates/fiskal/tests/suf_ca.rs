//! `fiskal suf ca ...` as a newcomer uses it, through the real binary: init, issue-pfx,
//! issue-se, list, verify, and the refusals that keep sandbox and production apart.

use std::path::Path;
use std::process::{Command, Output};

fn fiskal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fiskal"))
        .args(args)
        .env_remove("FISKAL_CA_DIR")
        .env_remove("FISKAL_PFX_PASSWORD")
        .env_remove("FISKAL_PAC")
        .env_remove("FISKAL_SE_PIN")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run fiskal")
}

fn ok(args: &[&str]) -> String {
    let o = fiskal(args);
    assert!(
        o.status.success(),
        "fiskal {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn fails(args: &[&str]) -> String {
    let o = fiskal(args);
    assert!(!o.status.success(), "fiskal {args:?} should fail");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in {out}"))
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn newcomer_sets_up_a_sandbox_ca_and_production_stays_apart() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sb = tmp.path().join("sandbox");
    let pr = tmp.path().join("production");
    ok(&["suf", "ca", "init", "--dir", s(&sb), "--env", "sandbox"]);
    assert!(sb.join("root-ca.crt").exists() && sb.join("issuing-ca.key").exists());
    // Not twice, not with an unknown environment.
    assert!(fails(&["suf", "ca", "init", "--dir", s(&sb), "--env", "sandbox"]).contains("already"));
    fails(&[
        "suf",
        "ca",
        "init",
        "--dir",
        s(&tmp.path().join("x")),
        "--env",
        "staging",
    ]);

    let out = ok(&[
        "suf",
        "ca",
        "issue-pfx",
        "--dir",
        s(&sb),
        "--tin",
        "123456789",
        "--name",
        "Prodavnica ABC",
        "--location",
        "1-Test",
    ]);
    let uid = field(&out, "UID").to_string();
    let pfx = field(&out, "PFX").to_string();
    let password = field(&out, "PFX lozinka").to_string();
    let pac = field(&out, "PAC").to_string();
    assert_eq!(uid.len(), 8);
    assert!(
        password.len() == 8
            && password
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert!(
        pac.len() == 6
            && pac
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert!(Path::new(&pfx).exists());
    // The secrets are printed once and are not in the registry.
    let registry = std::fs::read_to_string(sb.join("registry.json")).expect("registry");
    assert!(registry.contains(&uid) && !registry.contains(&pac) && !registry.contains(&password));

    // verify: chain + environment, with the right password only.
    let v = ok(&[
        "suf",
        "ca",
        "verify",
        &pfx,
        "--dir",
        s(&sb),
        "--password",
        &password,
    ]);
    assert!(
        v.contains(&uid) && v.contains("V32") && v.contains("sandbox"),
        "{v}"
    );
    let e = fails(&[
        "suf",
        "ca",
        "verify",
        &pfx,
        "--dir",
        s(&sb),
        "--password",
        "WRONG123",
    ]);
    assert!(e.contains("password"), "{e}");
    // The password also comes from the environment.
    let o = Command::new(env!("CARGO_BIN_EXE_fiskal"))
        .args(["suf", "ca", "verify", &pfx, "--dir", s(&sb)])
        .env("FISKAL_PFX_PASSWORD", &password)
        .output()
        .expect("run");
    assert!(o.status.success());
    // The root certificate alone is enough as a trust anchor (root + the PFX's own chain).
    ok(&[
        "suf",
        "ca",
        "verify",
        &pfx,
        "--root",
        s(&sb.join("root-ca.crt")),
        "--password",
        &password,
    ]);
    // Expecting production for a sandbox CA is refused.
    fails(&[
        "suf",
        "ca",
        "verify",
        &pfx,
        "--dir",
        s(&sb),
        "--env",
        "production",
        "--password",
        &password,
    ]);

    let se = ok(&[
        "suf",
        "ca",
        "issue-se",
        "--dir",
        s(&sb),
        "--tin",
        "123456789",
        "--name",
        "Prodavnica ABC",
        "--location",
        "1-Test",
        "--address",
        "Ulica 1",
        "--district",
        "Beograd",
    ]);
    let se_uid = field(&se, "UID").to_string();
    let pin = field(&se, "PIN");
    assert!(pin.len() == 4 && pin.bytes().all(|b| b.is_ascii_digit()));
    let se_out = ok(&[
        "suf",
        "ca",
        "verify",
        field(&se, "PFX"),
        "--dir",
        s(&sb),
        "--password",
        field(&se, "PFX lozinka"),
    ]);
    assert!(se_out.contains("V33") && se_out.contains("V34") && se_out.contains(&se_uid));

    let list = ok(&["suf", "ca", "list", "--dir", s(&sb)]);
    assert!(
        list.contains(&uid) && list.contains(&se_uid) && list.contains("V33+V34"),
        "{list}"
    );

    // Production CA: a sandbox PFX is refused by it, and a sandbox CA cannot write into it.
    ok(&["suf", "ca", "init", "--dir", s(&pr), "--env", "production"]);
    let e = fails(&[
        "suf",
        "ca",
        "verify",
        &pfx,
        "--dir",
        s(&pr),
        "--password",
        &password,
    ]);
    assert!(e.contains("sandbox") && e.contains("production"), "{e}");
    let e = fails(&[
        "suf",
        "ca",
        "verify",
        &pfx,
        "--root",
        s(&pr.join("root-ca.crt")),
        "--password",
        &password,
    ]);
    assert!(e.contains("never mixed"), "{e}");
    let into = pr.join("from-sandbox.pfx");
    let e = fails(&[
        "suf",
        "ca",
        "issue-pfx",
        "--dir",
        s(&sb),
        "--tin",
        "1",
        "--name",
        "x",
        "--out",
        s(&into),
    ]);
    assert!(e.contains("production"), "{e}");
    assert!(!into.exists());
    fails(&[
        "suf",
        "ca",
        "issue-pfx",
        "--dir",
        s(&pr),
        "--env",
        "sandbox",
        "--tin",
        "1",
        "--name",
        "x",
    ]);
    // The production CA issues its own.
    let p = ok(&[
        "suf",
        "ca",
        "issue-pfx",
        "--dir",
        s(&pr),
        "--tin",
        "1",
        "--name",
        "x",
    ]);
    let pv = ok(&[
        "suf",
        "ca",
        "verify",
        field(&p, "PFX"),
        "--dir",
        s(&pr),
        "--password",
        field(&p, "PFX lozinka"),
    ]);
    assert!(pv.contains("production"));
    fails(&[
        "suf",
        "ca",
        "verify",
        field(&p, "PFX"),
        "--dir",
        s(&sb),
        "--password",
        field(&p, "PFX lozinka"),
    ]);
}
