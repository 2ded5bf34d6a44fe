//! Where the official UBL validators are (`shared/validators/validate-ubl`: OASIS UBL 2.1 XSD,
//! CEN EN 16931 and Serbian Schematron), for the tests and benchmarks that cross-check fiskal's
//! validator with them.

use std::path::PathBuf;

/// The script's path: `$FISKAL_UBL_VALIDATOR`, else `shared/validators/validate-ubl` beside the
/// repository (CI clones the repository beside `shared/`). Whether it exists is not checked.
pub fn official_validator_path() -> PathBuf {
    std::env::var_os("FISKAL_UBL_VALIDATOR").map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/validators/validate-ubl"
            ))
        },
        PathBuf::from,
    )
}

/// The script, for a test that needs it: `Some` when it exists; `None` (with a line on stderr)
/// only when it is missing and `FISKAL_SKIP_OFFICIAL_VALIDATOR=1` says to go on without it;
/// otherwise the test fails with a sentence saying how to provide it.
pub fn official_validator() -> Option<PathBuf> {
    let p = official_validator_path();
    if p.exists() {
        return Some(p);
    }
    if std::env::var("FISKAL_SKIP_OFFICIAL_VALIDATOR").as_deref() == Ok("1") {
        eprintln!("skipped: official validator not found and FISKAL_SKIP_OFFICIAL_VALIDATOR=1");
        return None;
    }
    panic!(
        "the official UBL validator script is missing at {} (clone shared/ beside the repository, \
         set FISKAL_UBL_VALIDATOR, or set FISKAL_SKIP_OFFICIAL_VALIDATOR=1 to skip this test)",
        p.display()
    );
}
