//! The buyer ID codebook: the kinds of identification a buyer ID names by its code (receipt.md §8).

use std::fmt;

/// Kind of buyer identification: the code before the colon of a buyer ID (receipt.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BuyerIdKind {
    /// 10: PIB of a domestic legal entity (9 digits).
    PibLegalEntity,
    /// 11: JMBG of a domestic person with a self-employed activity (13 digits).
    JmbgSelfEmployed,
    /// 12: PIB and JBKJS of a public-funds user (`PIB:JBKJS`, 9 + 5 digits).
    PibJbkjs,
    /// 13: pension card number.
    PensionCard,
    /// 14: PIB of a legal entity or entrepreneur with an agricultural holding (9 digits).
    PibAgricultural,
    /// 15: JMBG of a person or entrepreneur with an agricultural holding (13 digits).
    JmbgAgricultural,
    /// 16: BPG, the agricultural holding number (digits).
    AgriculturalHoldingNumber,
    /// 20: domestic ID card number.
    IdCard,
    /// 21: refugee ID number.
    RefugeeId,
    /// 22: EBS of a foreigner residing in Serbia.
    ForeignerEbs,
    /// 23: domestic passport number.
    DomesticPassport,
    /// 30: foreign passport number.
    ForeignPassport,
    /// 31: diplomatic ID or ID card of a diplomat.
    DiplomaticId,
    /// 32: ID card of North Macedonia.
    IdCardNorthMacedonia,
    /// 33: ID card of Montenegro.
    IdCardMontenegro,
    /// 34: ID card of Albania.
    IdCardAlbania,
    /// 35: ID card of Bosnia and Herzegovina.
    IdCardBosniaHerzegovina,
    /// 36: ID card of an EU, Swiss, Norwegian or Icelandic citizen.
    IdCardEu,
    /// 40: foreign tax ID (TIN); may contain letters.
    ForeignTin,
}

/// What the ESIR accepts after the code of a buyer ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ValueRule {
    Pib,
    Jmbg,
    PibJbkjs,
    Digits,
    DocumentNumber,
    ForeignTin,
}

impl BuyerIdKind {
    /// All kinds in code order.
    pub const ALL: &'static [BuyerIdKind] = &[
        BuyerIdKind::PibLegalEntity,
        BuyerIdKind::JmbgSelfEmployed,
        BuyerIdKind::PibJbkjs,
        BuyerIdKind::PensionCard,
        BuyerIdKind::PibAgricultural,
        BuyerIdKind::JmbgAgricultural,
        BuyerIdKind::AgriculturalHoldingNumber,
        BuyerIdKind::IdCard,
        BuyerIdKind::RefugeeId,
        BuyerIdKind::ForeignerEbs,
        BuyerIdKind::DomesticPassport,
        BuyerIdKind::ForeignPassport,
        BuyerIdKind::DiplomaticId,
        BuyerIdKind::IdCardNorthMacedonia,
        BuyerIdKind::IdCardMontenegro,
        BuyerIdKind::IdCardAlbania,
        BuyerIdKind::IdCardBosniaHerzegovina,
        BuyerIdKind::IdCardEu,
        BuyerIdKind::ForeignTin,
    ];

    /// The two-digit code (`"10"`).
    pub fn code(self) -> &'static str {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity => "10",
            JmbgSelfEmployed => "11",
            PibJbkjs => "12",
            PensionCard => "13",
            PibAgricultural => "14",
            JmbgAgricultural => "15",
            AgriculturalHoldingNumber => "16",
            IdCard => "20",
            RefugeeId => "21",
            ForeignerEbs => "22",
            DomesticPassport => "23",
            ForeignPassport => "30",
            DiplomaticId => "31",
            IdCardNorthMacedonia => "32",
            IdCardMontenegro => "33",
            IdCardAlbania => "34",
            IdCardBosniaHerzegovina => "35",
            IdCardEu => "36",
            ForeignTin => "40",
        }
    }

    /// The kind with this code, if any.
    pub fn from_code(code: &str) -> Option<BuyerIdKind> {
        BuyerIdKind::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// Description in Serbian (Latin script), e.g. `PIB domaćeg pravnog lica`.
    pub fn describe_sr(self) -> &'static str {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity => "PIB domaćeg pravnog lica",
            JmbgSelfEmployed => "JMBG fizičkog lica koje obavlja samostalnu delatnost",
            PibJbkjs => "PIB i JBKJS korisnika javnih sredstava",
            PensionCard => "Broj penzionerske kartice",
            PibAgricultural => "PIB pravnog lica ili preduzetnika sa poljoprivrednim gazdinstvom",
            JmbgAgricultural => {
                "JMBG fizičkog lica ili preduzetnika sa poljoprivrednim gazdinstvom"
            }
            AgriculturalHoldingNumber => "Broj poljoprivrednog gazdinstva (BPG)",
            IdCard => "Broj lične karte",
            RefugeeId => "Broj izbegličke legitimacije",
            ForeignerEbs => "EBS stranog fizičkog lica koje boravi u Srbiji",
            DomesticPassport => "Broj domaćeg pasoša",
            ForeignPassport => "Broj stranog pasoša",
            DiplomaticId => "Broj diplomatske legitimacije ili lične karte diplomate",
            IdCardNorthMacedonia => "Broj lične karte izdate u Severnoj Makedoniji",
            IdCardMontenegro => "Broj lične karte izdate u Crnoj Gori",
            IdCardAlbania => "Broj lične karte izdate u Albaniji",
            IdCardBosniaHerzegovina => "Broj lične karte izdate u Bosni i Hercegovini",
            IdCardEu => "Broj lične karte državljanina EU, Švajcarske, Norveške ili Islanda",
            ForeignTin => "Poreski identifikacioni broj strane države",
        }
    }

    /// Description in English, e.g. `PIB of a domestic legal entity`.
    pub fn describe_en(self) -> &'static str {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity => "PIB of a domestic legal entity",
            JmbgSelfEmployed => "JMBG of a domestic person with a self-employed activity",
            PibJbkjs => "PIB and JBKJS of a public-funds user",
            PensionCard => "Pension card number",
            PibAgricultural => "PIB of a legal entity or entrepreneur with an agricultural holding",
            JmbgAgricultural => "JMBG of a person or entrepreneur with an agricultural holding",
            AgriculturalHoldingNumber => "Agricultural holding number (BPG)",
            IdCard => "Domestic ID card number",
            RefugeeId => "Refugee ID number",
            ForeignerEbs => "EBS of a foreigner residing in Serbia",
            DomesticPassport => "Domestic passport number",
            ForeignPassport => "Foreign passport number",
            DiplomaticId => "Diplomatic ID or ID card of a diplomat",
            IdCardNorthMacedonia => "ID card of North Macedonia",
            IdCardMontenegro => "ID card of Montenegro",
            IdCardAlbania => "ID card of Albania",
            IdCardBosniaHerzegovina => "ID card of Bosnia and Herzegovina",
            IdCardEu => "ID card of an EU, Swiss, Norwegian or Icelandic citizen",
            ForeignTin => "Foreign tax ID (TIN)",
        }
    }

    /// Whether the value is a Serbian PIB (codes 10, 12 and 14).
    pub fn is_pib(self) -> bool {
        matches!(self.rule(), ValueRule::Pib | ValueRule::PibJbkjs)
    }

    /// Whether the value is a JMBG (codes 11 and 15).
    pub fn is_jmbg(self) -> bool {
        self.rule() == ValueRule::Jmbg
    }

    pub(super) fn rule(self) -> ValueRule {
        use BuyerIdKind::*;
        match self {
            PibLegalEntity | PibAgricultural => ValueRule::Pib,
            JmbgSelfEmployed | JmbgAgricultural => ValueRule::Jmbg,
            PibJbkjs => ValueRule::PibJbkjs,
            AgriculturalHoldingNumber => ValueRule::Digits,
            ForeignTin => ValueRule::ForeignTin,
            _ => ValueRule::DocumentNumber,
        }
    }
}

impl fmt::Display for BuyerIdKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether a buyer ID of this kind may be offered for an on-the-spot cash refund: false for the
/// JMBG codes 11 and 15 (OBAV: no JMBG is asked of the buyer).
pub fn is_allowed_for_cash_refund(kind: BuyerIdKind) -> bool {
    !kind.is_jmbg()
}
