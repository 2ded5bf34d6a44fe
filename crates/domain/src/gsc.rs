//! General status codes (GSC) of TaxCore: 4-digit codes for state, warnings and errors
//! (pfr-api.md §12).

use std::fmt;

/// A general status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Gsc {
    /// 0000 all OK.
    AllOk,
    /// 0100 PIN OK.
    PinOk,
    /// 0210 internet available.
    InternetAvailable,
    /// 0220 internet unavailable.
    InternetUnavailable,
    /// 1100 audit-package storage 90 % full.
    StorageNearlyFull,
    /// 1300 smart card not present.
    CardNotPresent,
    /// 1400 audit required (unaudited amount ≥ 75 % of the limit).
    AuditRequired,
    /// 1500 PIN required.
    PinRequired,
    /// 1999 undefined warning.
    UndefinedWarning,
    /// 2100 PIN not OK.
    PinNotOk,
    /// 2110 card locked after too many wrong PINs.
    CardLocked,
    /// 2210 SE locked: limit reached or fiscalization disabled.
    SeLocked,
    /// 2220 SE communication failed.
    SeCommunicationFailed,
    /// 2230 SE protocol mismatch.
    SeProtocolMismatch,
    /// 2310 invalid tax labels.
    InvalidTaxLabels,
    /// 2400 PFR not configured (or clock behind the last signed time).
    NotConfigured,
    /// 2800 field required.
    FieldRequired,
    /// 2801 field value too long.
    FieldTooLong,
    /// 2802 field value too short.
    FieldTooShort,
    /// 2803 invalid field length.
    InvalidFieldLength,
    /// 2804 field value out of range.
    OutOfRange,
    /// 2805 invalid field value.
    InvalidValue,
    /// 2806 invalid data format.
    InvalidFormat,
    /// 2807 list too short.
    ListTooShort,
    /// 2808 list too long.
    ListTooLong,
    /// 2809 SE certificate expired.
    CertificateExpired,
}

impl Gsc {
    /// The 4-digit code.
    pub fn code(self) -> &'static str {
        use Gsc::*;
        match self {
            AllOk => "0000",
            PinOk => "0100",
            InternetAvailable => "0210",
            InternetUnavailable => "0220",
            StorageNearlyFull => "1100",
            CardNotPresent => "1300",
            AuditRequired => "1400",
            PinRequired => "1500",
            UndefinedWarning => "1999",
            PinNotOk => "2100",
            CardLocked => "2110",
            SeLocked => "2210",
            SeCommunicationFailed => "2220",
            SeProtocolMismatch => "2230",
            InvalidTaxLabels => "2310",
            NotConfigured => "2400",
            FieldRequired => "2800",
            FieldTooLong => "2801",
            FieldTooShort => "2802",
            InvalidFieldLength => "2803",
            OutOfRange => "2804",
            InvalidValue => "2805",
            InvalidFormat => "2806",
            ListTooShort => "2807",
            ListTooLong => "2808",
            CertificateExpired => "2809",
        }
    }

    /// English description.
    pub fn describe_en(self) -> &'static str {
        use Gsc::*;
        match self {
            AllOk => "All OK",
            PinOk => "PIN OK",
            InternetAvailable => "Internet available",
            InternetUnavailable => "Internet unavailable",
            StorageNearlyFull => "Audit package storage is 90% full",
            CardNotPresent => "Smart card is not present",
            AuditRequired => "Audit required: the unaudited amount passed 75% of the limit",
            PinRequired => "PIN code required",
            UndefinedWarning => "Undefined warning",
            PinNotOk => "PIN is not correct",
            CardLocked => "Secure element is locked after too many wrong PINs",
            SeLocked => {
                "Secure element limit reached or fiscalization disabled; wait for proof of audit"
            }
            SeCommunicationFailed => "Secure element does not answer",
            SeProtocolMismatch => "Secure element protocol not supported",
            InvalidTaxLabels => "Invalid tax labels",
            NotConfigured => "PFR not configured (or its clock is behind the last signed receipt)",
            FieldRequired => "Field required",
            FieldTooLong => "Field value too long",
            FieldTooShort => "Field value too short",
            InvalidFieldLength => "Invalid field length",
            OutOfRange => "Field value out of range",
            InvalidValue => "Invalid field value",
            InvalidFormat => "Invalid data format",
            ListTooShort => "List too short",
            ListTooLong => "List too long",
            CertificateExpired => "Secure element certificate expired",
        }
    }

    /// Serbian (Latin) description for cashiers.
    pub fn describe_sr(self) -> &'static str {
        use Gsc::*;
        match self {
            AllOk => "Sve je u redu",
            PinOk => "PIN je ispravan",
            InternetAvailable => "Internet je dostupan",
            InternetUnavailable => "Internet nije dostupan",
            StorageNearlyFull => "Prostor za pakete za očitavanje je 90% popunjen",
            CardNotPresent => "Bezbednosni element nije prisutan",
            AuditRequired => "Potrebno je očitavanje: neočitani iznos je prešao 75% limita",
            PinRequired => "Potrebno je uneti PIN",
            UndefinedWarning => "Nedefinisano upozorenje",
            PinNotOk => "PIN nije ispravan",
            CardLocked => "Bezbednosni element je zaključan posle previše pogrešnih PIN-ova",
            SeLocked => {
                "Dostignut je limit bezbednosnog elementa ili je fiskalizacija onemogućena; sačekajte dokaz o očitavanju"
            }
            SeCommunicationFailed => "Bezbednosni element se ne odaziva",
            SeProtocolMismatch => "Protokol bezbednosnog elementa nije podržan",
            InvalidTaxLabels => "Neispravne poreske oznake",
            NotConfigured => "PFR nije podešen (ili mu sat kasni za poslednjim potpisanim računom)",
            FieldRequired => "Polje je obavezno",
            FieldTooLong => "Vrednost polja je predugačka",
            FieldTooShort => "Vrednost polja je prekratka",
            InvalidFieldLength => "Neispravna dužina polja",
            OutOfRange => "Vrednost polja je van dozvoljenog opsega",
            InvalidValue => "Neispravna vrednost polja",
            InvalidFormat => "Neispravan format podatka",
            ListTooShort => "Lista je prekratka",
            ListTooLong => "Lista je predugačka",
            CertificateExpired => "Sertifikat bezbednosnog elementa je istekao",
        }
    }

    /// Parses a 4-digit code.
    pub fn from_code(s: &str) -> Option<Gsc> {
        ALL_GSC.iter().copied().find(|g| g.code() == s)
    }
}

/// Every known code.
pub const ALL_GSC: &[Gsc] = &[
    Gsc::AllOk,
    Gsc::PinOk,
    Gsc::InternetAvailable,
    Gsc::InternetUnavailable,
    Gsc::StorageNearlyFull,
    Gsc::CardNotPresent,
    Gsc::AuditRequired,
    Gsc::PinRequired,
    Gsc::UndefinedWarning,
    Gsc::PinNotOk,
    Gsc::CardLocked,
    Gsc::SeLocked,
    Gsc::SeCommunicationFailed,
    Gsc::SeProtocolMismatch,
    Gsc::InvalidTaxLabels,
    Gsc::NotConfigured,
    Gsc::FieldRequired,
    Gsc::FieldTooLong,
    Gsc::FieldTooShort,
    Gsc::InvalidFieldLength,
    Gsc::OutOfRange,
    Gsc::InvalidValue,
    Gsc::InvalidFormat,
    Gsc::ListTooShort,
    Gsc::ListTooLong,
    Gsc::CertificateExpired,
];

impl fmt::Display for Gsc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
