//! Sample data for a fresh sandbox: the fictitious companies of fiskal-ubl's sample documents
//! (`ubl-profile.md` §15), registered with active keys, so that the sample invoices can be sent
//! at once (`fiskal demo`, tests, a person trying the sandbox).

use fiskal_ubl::builder::PartyInput;
use fiskal_ubl::samples::{sample_budget_buyer, sample_buyer, sample_seller};

use super::{Company, Sandbox, SandboxError};

/// Company type of a business ("Privredni subjekt").
const BUSINESS: &str = "Privredni subjekt";
/// Company type of a budget user ("Korisnik javnih sredstava").
const BUDGET_USER: &str = "Korisnik javnih sredstava";

/// The API keys of the companies [`Sandbox::seed_samples`] registers. They are sandbox keys,
/// but keys all the same: `Debug` shows only their last four characters.
#[derive(Clone, PartialEq, Eq)]
pub struct SampleKeys {
    /// Key of the seller, Primer Softver d.o.o. (PIB 190000012).
    pub seller: String,
    /// Key of the buyer, Kupac Trgovina d.o.o. (PIB 190000029).
    pub buyer: String,
    /// Key of the budget-user buyer, Dom zdravlja Primer (PIB 190000037, JBKJS 10520).
    pub budget_buyer: String,
}

impl std::fmt::Debug for SampleKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tail = |k: &str| {
            let n = k.chars().count();
            format!(
                "***{}",
                k.chars().skip(n.saturating_sub(4)).collect::<String>()
            )
        };
        f.debug_struct("SampleKeys")
            .field("seller", &tail(&self.seller))
            .field("buyer", &tail(&self.buyer))
            .field("budget_buyer", &tail(&self.budget_buyer))
            .finish()
    }
}

fn company(p: &PartyInput, company_type: &str) -> Company {
    Company {
        pib: p.pib.clone(),
        mb: p.mb.clone(),
        name: p.name.clone(),
        company_type: company_type.into(),
        jbkjs: p.jbkjs.clone(),
        budget_user: company_type == BUDGET_USER,
        vat_active: true,
        status: "Active".into(),
        isp: false,
        registration_date: String::new(),
    }
}

impl Sandbox {
    /// Registers an active, VAT-registered business with an active key and returns the key.
    pub async fn company_with_key(
        &self,
        pib: &str,
        mb: &str,
        name: &str,
    ) -> Result<String, SandboxError> {
        let mut c = company(&PartyInput::new(pib, mb, name, "", "", ""), BUSINESS);
        c.jbkjs = None;
        self.register_company(c).await?;
        self.create_key(pib, None, true).await
    }

    /// Registers the sample companies of fiskal-ubl's samples (seller, buyer, budget-user
    /// buyer), each active with an active key, and returns the keys. Stops at the first one
    /// that cannot be registered (e.g. because it already is).
    pub async fn seed_samples(&self) -> Result<SampleKeys, SandboxError> {
        let mut keys = Vec::with_capacity(3);
        for (party, kind) in [
            (sample_seller(), BUSINESS),
            (sample_buyer(), BUSINESS),
            (sample_budget_buyer(), BUDGET_USER),
        ] {
            self.register_company(company(&party, kind)).await?;
            keys.push(self.create_key(&party.pib, None, true).await?);
        }
        let [seller, buyer, budget_buyer] = <[String; 3]>::try_from(keys)
            .map_err(|_| SandboxError::Invalid("three sample keys expected".into()))?;
        Ok(SampleKeys {
            seller,
            buyer,
            budget_buyer,
        })
    }
}
