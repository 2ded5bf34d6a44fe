//! Throughput of build + write + validate (fiskal's own validator) for invoices of 1, 10 and 100
//! lines, single-threaded (= per core), next to the official validators' rate on the same
//! documents measured in the same run (one `validate-ubl` call per batch).
//!
//! Run: `cargo bench -p fiskal-ubl`. Environment: `FISKAL_BENCH_SECONDS` (default 2 per size),
//! `FISKAL_BENCH_OFFICIAL_DOCS` (documents per official batch, default 50), `FISKAL_UBL_VALIDATOR`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use fiskal_ubl::samples::sample_invoice_builder;
use fiskal_ubl::{has_fatal, read_with_findings, validate, validate_xml, write_into};

fn main() {
    let secs: f64 = std::env::var("FISKAL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let official_docs: usize = std::env::var("FISKAL_BENCH_OFFICIAL_DOCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(50);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date");
    let script = Some(fiskal_testkit::official_validator_path()).filter(|p| p.exists());
    let tmp = tempfile::tempdir().expect("temporary directory");
    println!("fiskal-ubl throughput (one thread = one core; {secs} s per measurement)");
    println!(
        "{:>6} {:>12} {:>16} {:>14} {:>18} {:>22}",
        "lines",
        "xml bytes",
        "build+write+val/s",
        "µs/document",
        "read+validate_xml/s",
        "official validators/s"
    );
    for lines in [1usize, 10, 100] {
        let template = sample_invoice_builder("F-2026-0001", day, lines);
        // Sanity: the benchmarked documents are valid.
        let doc = template.clone().build().expect("valid sample");
        assert!(
            validate(&doc).is_empty(),
            "benchmark document must be valid"
        );
        let mut buf = Vec::with_capacity(64 * 1024);
        write_into(&doc, &mut buf);
        let xml = String::from_utf8(buf.clone()).expect("utf-8");
        let bytes = xml.len();

        // build + write + validate
        let budget = Duration::from_secs_f64(secs);
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            for _ in 0..64 {
                let doc = template.clone().build().expect("valid sample");
                buf.clear();
                write_into(&doc, &mut buf);
                let findings = validate(&doc);
                black_box((&buf, has_fatal(&findings)));
                n += 1;
            }
        }
        let bwv = n as f64 / start.elapsed().as_secs_f64();

        // read + validate_xml (for foreign documents, `fiskal sef validate FILE`)
        let start = Instant::now();
        let mut m = 0u64;
        while start.elapsed() < budget {
            for _ in 0..16 {
                let f = validate_xml(&xml).expect("well-formed");
                black_box(f.len());
                m += 1;
            }
        }
        let rv = m as f64 / start.elapsed().as_secs_f64();
        assert!(read_with_findings(&xml).expect("readable").1.is_empty());

        // Official validators on the same documents, one call for the batch.
        let official = match &script {
            None => "script not found".to_string(),
            Some(script) => {
                let dir = tmp.path().join(format!("l{lines}"));
                std::fs::create_dir_all(&dir).expect("create dir");
                let mut files = Vec::new();
                for i in 0..official_docs {
                    let doc = template.clone().build().expect("valid sample");
                    let mut doc = doc;
                    doc.id = Some(format!("F-2026-{i:04}"));
                    let p = dir.join(format!("f{i}.xml"));
                    std::fs::write(&p, fiskal_ubl::to_xml(&doc)).expect("write");
                    files.push(p);
                }
                let t = Instant::now();
                let out = std::process::Command::new("python3")
                    .arg(script)
                    .arg("-q")
                    .args(&files)
                    .output()
                    .expect("run python3");
                let wall = t.elapsed().as_secs_f64();
                if out.status.success() {
                    format!(
                        "{:.1} ({official_docs} docs in {wall:.2} s)",
                        official_docs as f64 / wall
                    )
                } else {
                    format!("failed (exit {:?})", out.status.code())
                }
            }
        };
        println!(
            "{:>6} {:>12} {:>16.0} {:>14.1} {:>18.0} {:>22}",
            lines,
            bytes,
            bwv,
            1e6 / bwv,
            rv,
            official
        );
    }
    println!("target: ≥ 10 000 ten-line invoices/s per core for build + write + validate");
}
