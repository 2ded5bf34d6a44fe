//! Black-box tests of `fiskal esir` against the real L-PFR.

mod common;

use common::*;

struct Esir {
    pfr: Pfr,
    data: tempfile::TempDir,
}

impl Esir {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let d = self.data.path().to_str().unwrap().to_string();
        let mut all = vec![
            "esir",
            "--pfr",
            &self.pfr.base,
            "--data",
            &d,
            "--pin",
            "1234",
        ];
        all.extend_from_slice(args);
        run(&all)
    }
}

fn last_number(out: &str) -> String {
    out.lines()
        .find_map(|l| {
            l.strip_prefix("ПФР број рачуна:")
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no PFR number in {out}"))
}

#[tokio::test]
async fn a_cashier_issues_refunds_and_copies_from_the_command_line() {
    let se = DataDir::new(&[]);
    let pfr = Pfr::start(se.path(), &[]);
    let esir = Esir {
        pfr,
        data: tempfile::tempdir().unwrap(),
    };
    let c = client();

    // The seed receipt; the ESIR enters the PIN when the PFR asks for it.
    let (ok, out, err) = esir.run(&[
        "issue",
        "--item",
        "Pivo Lav/л;2;82.00;Ђ",
        "--pay",
        "card:164.00",
        "--cashier",
        "1",
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("Ђ           О-ПДВ   20,00%         27,33"),
        "{out}"
    );
    assert!(out.contains("/v/?vl="), "{out}");
    let sale = last_number(&out);
    let png = esir.data.path().join("qr").join(format!("{sale}.png"));
    assert!(png.exists(), "QR PNG not written: {out}");

    // A refund without a buyer ID is refused before anything is sent, in Serbian by default.
    let before = status(&c, &esir.pfr).await["lastInvoiceNumber"].clone();
    let (ok, out, err) = esir.run(&["refund", &sale, "--pay", "cash:164.00"]);
    assert!(!ok, "{out}");
    assert!(
        err.to_lowercase().contains("kupc"),
        "expected a Serbian sentence about the buyer: {err}"
    );
    assert_eq!(
        status(&c, &esir.pfr).await["lastInvoiceNumber"],
        before,
        "something was sent"
    );
    // English on request.
    let (ok, _, err) = esir.run(&["--lang", "en", "refund", &sale, "--pay", "cash:164.00"]);
    assert!(!ok);
    assert!(err.to_lowercase().contains("buyer"), "{err}");
    // A wrong PIB check digit is refused too.
    let (ok, _, err) = esir.run(&[
        "refund",
        &sale,
        "--pay",
        "cash:164.00",
        "--buyer-id",
        "10:111111111",
    ]);
    assert!(!ok, "{err}");
    assert_eq!(status(&c, &esir.pfr).await["lastInvoiceNumber"], before);

    // With the buyer's ID card the refund is issued from the stored items; in cash, the Copy
    // Refund for the buyer's signature follows.
    let (ok, out, err) = esir.run(&[
        "refund",
        &sale,
        "--pay",
        "cash:164.00",
        "--buyer-id",
        "20:0023456",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("-164,00"), "{out}");
    assert!(out.contains("Потпис купца:"), "{out}");

    // A copy of the sale is marked as not a fiscal receipt.
    let (ok, out, err) = esir.run(&["copy", &sale]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("КОПИЈА ПРОДАЈА"), "{out}");

    // Show, QR and list.
    let (ok, out, _) = esir.run(&["show", &sale]);
    assert!(ok && out.contains(&sale), "{out}");
    let qr = esir.data.path().join("again.png");
    let (ok, out, err) = esir.run(&["qr", &sale, "--out", qr.to_str().unwrap()]);
    assert!(ok && qr.exists(), "{out}{err}");
    let (ok, out, _) = esir.run(&["list"]);
    assert!(ok && out.contains(&sale), "{out}");

    // A JMBG with a wrong check digit is only a warning on a card sale.
    let (ok, out, err) = esir.run(&[
        "issue",
        "--item",
        "Хлеб/ком;1;65.00;Е",
        "--pay",
        "card:65.00",
        "--buyer-id",
        "11:0101990710001",
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        err.to_uppercase().contains("JMBG"),
        "expected a JMBG warning: {err}"
    );

    // A receipt the ESIR did not issue: refund by verification URL plus items.
    let url = out.lines().find(|l| l.contains("/v/?vl=")).unwrap();
    let url = &url[url.find("http").unwrap()..];
    let other = Esir {
        pfr: Pfr::start(se.path(), &[]),
        data: tempfile::tempdir().unwrap(),
    };
    drop(esir);
    let (ok, out, err) = other.run(&[
        "refund",
        "--url",
        url.trim(),
        "--item",
        "Хлеб/ком;1;65.00;Е",
        "--pay",
        "card:65.00",
        "--buyer-id",
        "20:0023456",
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("ПРОМЕТ РЕФУНДАЦИЈА"), "{out}");
}
