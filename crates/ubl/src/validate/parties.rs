//! Parties and identifiers: seller, buyer (PIB, MB, endpoint, JBKJS, budget users), payee and
//! tax representative.

use super::{V, blank};
use crate::ids;
use crate::model::*;

impl<'a> V<'a> {
    /// The rules seller and buyer share: names, address, PIB, endpoint, MB and e-mail.
    fn party_common(&mut self, party: &Party, base: &str, seller: bool) {
        self.party_names(party, base, seller);
        self.party_address(party, base, seller);
        self.party_vat_id(party, base, seller);
        self.party_endpoint(party, base, seller);
        self.party_mb_and_email(party, base, seller);
    }

    /// Trading name and registration name (BR-06, BR-07).
    fn party_names(&mut self, party: &Party, base: &str, seller: bool) {
        let (who_sr, who_en) = who(seller);
        if blank(&party.name) {
            self.fatal(
                "FSK-PARTY-NAME",
                format!("{base}/cac:PartyName/cbc:Name"),
                format!("Nedostaje naziv {who_sr} (PartyName)."),
                format!("The {who_en}'s trading name (PartyName) is missing."),
            );
        }
        if party
            .registration_name()
            .is_none_or(|s| s.trim().is_empty())
        {
            self.fatal(
                if seller { "BR-06" } else { "BR-07" },
                format!("{base}/cac:PartyLegalEntity/cbc:RegistrationName"),
                format!("Nedostaje poslovno ime {who_sr} (PartyLegalEntity/RegistrationName)."),
                format!("The {who_en} name (PartyLegalEntity/RegistrationName) is missing."),
            );
        }
    }

    /// Postal address: country code, city and (buyer) postal code.
    fn party_address(&mut self, party: &Party, base: &str, seller: bool) {
        let (who_sr, who_en) = who(seller);
        // Address.
        match &party.address {
            None => self.fatal(
                if seller { "BR-08" } else { "BR-10" },
                format!("{base}/cac:PostalAddress"),
                format!("Nedostaje adresa {who_sr}."),
                format!("The {who_en}'s postal address is missing."),
            ),
            Some(a) => {
                match a.country.as_deref().map(str::trim) {
                    None | Some("") => self.fatal(
                        if seller { "BR-09" } else { "BR-11" },
                        format!("{base}/cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
                        format!("U adresi {who_sr} nedostaje šifra države (npr. RS)."),
                        format!("The {who_en}'s address lacks the country code (e.g. RS)."),
                    ),
                    Some(c) if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) => self
                        .fatal(
                            "BR-CL-14",
                            format!("{base}/cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
                            format!(
                                "Šifra države '{c}' nije ISO 3166-1 šifra od dva velika slova."
                            ),
                            format!("Country code '{c}' is not an ISO 3166-1 alpha-2 code."),
                        ),
                    _ => {}
                }
                if blank(&a.city) {
                    self.fatal(
                        if seller { "RSR-16" } else { "RSR-25" },
                        format!("{base}/cac:PostalAddress/cbc:CityName"),
                        format!("Nedostaje mesto {who_sr}."),
                        format!("The {who_en}'s city is missing."),
                    );
                }
                if !seller && blank(&a.postal_zone) {
                    self.fatal(
                        "RSR-26",
                        format!("{base}/cac:PostalAddress/cbc:PostalZone"),
                        "Nedostaje poštanski broj kupca.".into(),
                        "The buyer's postal code is missing.".into(),
                    );
                }
            }
        }
    }

    /// The PIB in the tax scheme: RS + 9 (or 13) digits, with a valid check digit.
    fn party_vat_id(&mut self, party: &Party, base: &str, seller: bool) {
        let (who_sr, who_en) = who(seller);
        // VAT id.
        let vat = party.vat_id().map(str::trim);
        let (r_vat_missing, r_vat_fmt) = if seller {
            ("RSR-09", "RSR-11")
        } else {
            ("RSR-20", "RSR-21")
        };
        let vat_path = format!("{base}/cac:PartyTaxScheme/cbc:CompanyID");
        match vat {
            None | Some("") => self.fatal(
                r_vat_missing,
                vat_path,
                format!("Nedostaje PIB {who_sr} (PartyTaxScheme sa šemom VAT)."),
                format!(
                    "The {who_en}'s VAT identifier (PartyTaxScheme with scheme VAT) is missing."
                ),
            ),
            Some(v) => {
                let digits = v.get(2..).unwrap_or("");
                let prefix_ok = v.len() > 2 && v.as_bytes()[..2].eq_ignore_ascii_case(b"RS");
                if !prefix_ok || !(ids::is_digits(digits, 9) || ids::is_digits(digits, 13)) {
                    let sef = if v.bytes().all(|b| b.is_ascii_digit()) {
                        "UBLPartyTaxSchemeCompanyIdWithoutPrefix"
                    } else {
                        "UBLVatRegistrationCodeDoesNotHaveGoodLength"
                    };
                    self.fatal_sef(
                        r_vat_fmt,
                        sef,
                        vat_path,
                        format!(
                            "PIB {who_sr} u poreskoj šemi mora biti oblika RS + 9 cifara (npr. RS190000012), a glasi '{v}'."
                        ),
                        format!(
                            "The {who_en}'s VAT identifier must be RS followed by 9 (or 13) digits, e.g. RS190000012; it is '{v}'."
                        ),
                    );
                } else if digits.len() == 9 && !ids::pib_check_digit_valid(digits) {
                    self.fatal(
                        "FSK-PIB-CHECKSUM",
                        vat_path,
                        format!(
                            "PIB {who_sr} {digits} nije ispravan: kontrolna cifra ne odgovara (proverite da li je PIB tačno prepisan)."
                        ),
                        format!(
                            "The {who_en}'s PIB {digits} is not valid: the check digit does not match (check that it was copied correctly)."
                        ),
                    );
                }
            }
        }
    }

    /// The electronic address: scheme 9948, equal to the PIB without RS.
    fn party_endpoint(&mut self, party: &Party, base: &str, seller: bool) {
        let (who_sr, who_en) = who(seller);
        let vat = party.vat_id().map(str::trim);
        let (r_ep_missing, r_ep_scheme, r_ep_eq, r_scheme_present) = if seller {
            ("RSR-13", "RSR-14", "RSR-15", "BR-62")
        } else {
            ("RSR-22", "RSR-23", "RSR-24", "BR-63")
        };
        let ep_path = format!("{base}/cbc:EndpointID");
        match party.endpoint_id.as_deref().map(str::trim) {
            None | Some("") => self.fatal(
                r_ep_missing,
                ep_path,
                format!("Nedostaje elektronska adresa {who_sr} (EndpointID = PIB, šema 9948)."),
                format!(
                    "The {who_en}'s electronic address (EndpointID = PIB, scheme 9948) is missing."
                ),
            ),
            Some(ep) => {
                match party.endpoint_scheme.as_deref().map(str::trim) {
                    None => self.fatal(
                        r_scheme_present,
                        format!("{ep_path}/@schemeID"),
                        format!("Elektronska adresa {who_sr} nema oznaku šeme (schemeID=\"9948\")."),
                        format!("The {who_en}'s electronic address has no scheme identifier (schemeID=\"9948\")."),
                    ),
                    Some("9948") => {}
                    Some(s) => self.fatal_sef(
                        r_ep_scheme,
                        if seller {
                            "SenderEndpointSchemeIDInvalid"
                        } else {
                            "ReceiverEndpointSchemeIDInvalid"
                        },
                        format!("{ep_path}/@schemeID"),
                        format!("Šema elektronske adrese {who_sr} mora biti 9948, a ne '{s}'."),
                        format!("The {who_en}'s electronic address scheme must be 9948, not '{s}'."),
                    ),
                }
                if let Some(v) = vat
                    && !v.is_empty()
                    && !(v.len() > 2
                        && v.as_bytes()[..2].eq_ignore_ascii_case(b"RS")
                        && v[2..] == *ep)
                {
                    self.fatal(
                        r_ep_eq,
                        ep_path,
                        format!(
                            "Elektronska adresa {who_sr} ({ep}) mora biti PIB {who_sr} bez prefiksa RS ({v})."
                        ),
                        format!(
                            "The {who_en}'s electronic address ({ep}) must equal the VAT identifier without the RS prefix ({v})."
                        ),
                    );
                }
            }
        }
    }

    /// The registration number (MB) and the contact e-mail.
    fn party_mb_and_email(&mut self, party: &Party, base: &str, seller: bool) {
        let (who_sr, who_en) = who(seller);
        // MB.
        let mb_path = format!("{base}/cac:PartyLegalEntity/cbc:CompanyID");
        match party.mb().map(str::trim) {
            None | Some("") => {
                if seller {
                    self.fatal_sef(
                        "FSK-SELLER-MB",
                        "UBLRegistrationCodeDoesNotHaveGoodLength",
                        mb_path.clone(),
                        "Nedostaje matični broj prodavca.".into(),
                        "The seller's company registration number (MB) is missing.".into(),
                    )
                } else {
                    self.fatal(
                        "RSR-17",
                        mb_path.clone(),
                        "Nedostaje matični broj kupca.".into(),
                        "The buyer's company registration number (MB, BT-47) is missing.".into(),
                    )
                }
            }
            Some(mb) if !ids::mb_format_valid(mb) => self.fatal_sef(
                if seller { "FSK-SELLER-MB" } else { "RSR-19" },
                "UBLRegistrationCodeDoesNotHaveGoodLength",
                mb_path.clone(),
                format!(
                    "Matični broj {who_sr} '{mb}' mora imati 8 cifara (sa vodećim nulama) ili 13 cifara."
                ),
                format!(
                    "The {who_en}'s registration number '{mb}' must have 8 digits (leading zeros kept) or 13 digits."
                ),
            ),
            _ => {}
        }
        if !seller
            && party
                .legal_entity
                .as_ref()
                .is_some_and(|l| l.company_id.is_some() && l.company_id_scheme.is_some())
        {
            self.fatal(
                "RSR-18",
                format!("{mb_path}/@schemeID"),
                "Matični broj kupca ne sme imati oznaku šeme (schemeID).".into(),
                "The buyer's registration number must not have a scheme identifier.".into(),
            );
        }
        if let Some(mail) = party.contact.as_ref().and_then(|c| c.email.as_deref())
            && !ids::email_plausible(mail)
        {
            let sev_fatal = seller;
            let sr = format!("Adresa elektronske pošte {who_sr} '{mail}' nije ispravna.");
            let en = format!("The {who_en}'s e-mail address '{mail}' is not valid.");
            let path = format!("{base}/cac:Contact/cbc:ElectronicMail");
            if sev_fatal {
                self.fatal_sef("FSK-EMAIL", "InvalidSenderContactEmail", path, sr, en);
            } else {
                self.warn("FSK-EMAIL", path, sr, en);
            }
        }
    }

    pub(super) fn seller(&mut self, s: Option<&'a Party>) {
        let base = self.p("cac:AccountingSupplierParty/cac:Party");
        let Some(s) = s else {
            self.fatal(
                "BR-06",
                base,
                "Nedostaje prodavac (AccountingSupplierParty).".into(),
                "The seller (AccountingSupplierParty) is missing.".into(),
            );
            return;
        };
        self.party_common(s, &base, true);
        if !s.identifications.is_empty() {
            self.warn(
                "FSK-SELLER-ID",
                format!("{base}/cac:PartyIdentification"),
                "Prodavac ima PartyIdentification; fiskal ga ne koristi za prodavca.".into(),
                "The seller carries PartyIdentification, which fiskal does not use for the seller."
                    .into(),
            );
        }
    }

    pub(super) fn buyer(&mut self, c: Option<&'a Party>) {
        let base = self.p("cac:AccountingCustomerParty/cac:Party");
        let Some(c) = c else {
            self.fatal(
                "BR-07",
                base,
                "Nedostaje kupac (AccountingCustomerParty).".into(),
                "The buyer (AccountingCustomerParty) is missing.".into(),
            );
            return;
        };
        self.party_common(c, &base, false);
        // JBKJS (§4, §12).
        let mut jbkjs_count = 0;
        for (i, pid) in c.identifications.iter().enumerate() {
            let path = format!("{base}/cac:PartyIdentification[{}]/cbc:ID", i + 1);
            let v = pid.id.trim();
            if !v.starts_with("JBKJS:") {
                self.fatal_sef(
                    "FSK-JBKJS",
                    "ReceiverMissedAddingJBKJSPrefix",
                    path,
                    format!(
                        "Identifikacija kupca '{v}' mora biti JBKJS u obliku JBKJS:12345 (koristi se samo za korisnike javnih sredstava)."
                    ),
                    format!(
                        "The buyer identification '{v}' must be a JBKJS written as JBKJS:12345 (budget users only)."
                    ),
                );
            } else if ids::parse_jbkjs(v).is_none() {
                self.fatal_sef(
                    "FSK-JBKJS",
                    "ReceiverJBKJSLengthInvalid",
                    path,
                    format!("JBKJS kupca '{v}' mora imati tačno 5 cifara posle 'JBKJS:'."),
                    format!("The buyer's JBKJS '{v}' must have exactly 5 digits after 'JBKJS:'."),
                );
            } else {
                jbkjs_count += 1;
                if pid.scheme.is_some() {
                    self.warn(
                        "FSK-JBKJS-SCHEME",
                        format!("{path}/@schemeID"),
                        "JBKJS se piše bez oznake šeme (schemeID).".into(),
                        "The JBKJS is written without a scheme identifier.".into(),
                    );
                }
            }
        }
        if c.identifications.len() > 1 {
            self.fatal(
                "FSK-JBKJS-ONCE",
                format!("{base}/cac:PartyIdentification[2]"),
                "Kupac sme imati samo jednu identifikaciju (JBKJS).".into(),
                "The buyer may carry exactly one identification (the JBKJS).".into(),
            );
        }
        match self.opts.buyer_is_budget_user {
            Some(true) if jbkjs_count == 0 => self.fatal_sef(
                "FSK-JBKJS-MISSING",
                "UBLJBKJSNotDefined",
                format!("{base}/cac:PartyIdentification/cbc:ID"),
                "Kupac je korisnik javnih sredstava, pa mora biti naveden njegov JBKJS (JBKJS:12345).".into(),
                "The buyer is a budget user, so its JBKJS (JBKJS:12345) must be given.".into(),
            ),
            Some(false) if !c.identifications.is_empty() => self.fatal_sef(
                "FSK-JBKJS-NOT-BUDGET",
                "UBLCannotBeDefinedPartyIdentificationIdForNonBudgetCompany",
                format!("{base}/cac:PartyIdentification/cbc:ID"),
                "Kupac nije korisnik javnih sredstava, pa ne sme imati JBKJS.".into(),
                "The buyer is not a budget user, so it must not carry a JBKJS.".into(),
            ),
            _ => {}
        }
        let budget = jbkjs_count > 0 || self.opts.buyer_is_budget_user == Some(true);
        let d = self.doc;
        if budget
            && d.contract_references.iter().all(|s| s.trim().is_empty())
            && d.order_reference
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
            && d.originator_references.iter().all(|s| s.trim().is_empty())
        {
            self.fatal_sef(
                "FSK-BUDGET-REFERENCE",
                "UBLOrderNumberLotNumberOrContractNumberIsRequired",
                self.p("cac:ContractDocumentReference/cbc:ID"),
                "Za kupca iz javnog sektora mora se navesti broj ugovora, broj narudžbenice ili broj partije.".into(),
                "For a public-sector buyer the contract number, order number or lot number is mandatory.".into(),
            );
        }
        if let Some(br) = d.buyer_reference.as_deref()
            && let Some(rest) = br.trim().strip_prefix("JN-JBKJS:")
        {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if digits.len() != 5 {
                self.warn(
                    "FSK-BUYER-REFERENCE",
                    self.p("cbc:BuyerReference"),
                    "Referenca kupca za javnu nabavku treba da glasi JN-JBKJS: i pet cifara JBKJS-a naručioca.".into(),
                    "The public-procurement buyer reference should be JN-JBKJS: followed by the 5-digit JBKJS.".into(),
                );
            }
        }
    }

    pub(super) fn other_parties(&mut self) {
        let d = self.doc;
        if let Some(p) = &d.payee {
            let base = self.p("cac:PayeeParty");
            let n = usize::from(p.mb().is_some());
            if n != 1 {
                self.fatal(
                    "RSR-27",
                    format!("{base}/cac:PartyLegalEntity/cbc:CompanyID"),
                    "Primalac plaćanja mora imati matični broj.".into(),
                    "The payee must have exactly one registration number (BT-61).".into(),
                );
            } else if let Some(mb) = p.mb()
                && !ids::mb_format_valid(mb.trim())
            {
                self.fatal(
                    "RSR-28",
                    format!("{base}/cac:PartyLegalEntity/cbc:CompanyID"),
                    format!("Matični broj primaoca plaćanja '{mb}' mora imati 8 ili 13 cifara."),
                    format!("The payee's registration number '{mb}' must have 8 or 13 digits."),
                );
            }
            if blank(&p.name) {
                self.fatal(
                    "BR-17",
                    format!("{base}/cac:PartyName/cbc:Name"),
                    "Nedostaje naziv primaoca plaćanja.".into(),
                    "The payee name (BT-59) is missing.".into(),
                );
            }
        }
        if let Some(t) = &d.tax_representative {
            let base = self.p("cac:TaxRepresentativeParty");
            if blank(&t.name) {
                self.fatal(
                    "BR-18",
                    format!("{base}/cac:PartyName/cbc:Name"),
                    "Nedostaje naziv poreskog punomoćnika.".into(),
                    "The tax representative name (BT-62) is missing.".into(),
                );
            }
            match &t.address {
                None => self.fatal(
                    "BR-19",
                    format!("{base}/cac:PostalAddress"),
                    "Nedostaje adresa poreskog punomoćnika.".into(),
                    "The tax representative postal address (BG-12) is missing.".into(),
                ),
                Some(a) => {
                    if blank(&a.country) {
                        self.fatal(
                            "BR-20",
                            format!("{base}/cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
                            "U adresi poreskog punomoćnika nedostaje šifra države.".into(),
                            "The tax representative address lacks the country code (BT-69).".into(),
                        );
                    }
                    if blank(&a.city) {
                        self.fatal(
                            "RSR-31",
                            format!("{base}/cac:PostalAddress/cbc:CityName"),
                            "Nedostaje mesto poreskog punomoćnika.".into(),
                            "The tax representative's city (BT-66) is missing.".into(),
                        );
                    }
                    if blank(&a.postal_zone) {
                        self.fatal(
                            "RSR-32",
                            format!("{base}/cac:PostalAddress/cbc:PostalZone"),
                            "Nedostaje poštanski broj poreskog punomoćnika.".into(),
                            "The tax representative's postal code (BT-67) is missing.".into(),
                        );
                    }
                }
            }
            let vat_path = format!("{base}/cac:PartyTaxScheme/cbc:CompanyID");
            match t
                .vat_id()
                .or(t.tax_schemes.first().and_then(|s| s.company_id.as_deref()))
            {
                None => self.fatal(
                    "RSR-29",
                    vat_path,
                    "Nedostaje PIB poreskog punomoćnika.".into(),
                    "The tax representative's VAT identifier (BT-63) is missing.".into(),
                ),
                Some(v) => {
                    let v = v.trim();
                    let ok = v.len() > 2
                        && v.as_bytes()[..2].eq_ignore_ascii_case(b"RS")
                        && (ids::is_digits(&v[2..], 9) || ids::is_digits(&v[2..], 13));
                    if !ok {
                        self.fatal(
                            "RSR-30",
                            vat_path,
                            format!("PIB poreskog punomoćnika '{v}' mora biti RS + 9 ili 13 cifara."),
                            format!("The tax representative's VAT identifier '{v}' must be RS + 9 or 13 digits."),
                        );
                    }
                }
            }
        }
    }
}

/// The party in Serbian (genitive) and English.
fn who(seller: bool) -> (&'static str, &'static str) {
    if seller {
        ("prodavca", "seller")
    } else {
        ("kupca", "buyer")
    }
}
