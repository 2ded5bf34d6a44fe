//! The reader's first step: quick-xml events into a small element tree, within [`XmlLimits`].
//!
//! The tree is built with an explicit stack (no recursion); every start tag is counted against
//! the depth and element bounds before its node is allocated and every attribute against the
//! attribute bounds before its value is copied, so a hostile document is refused after reading
//! at most one tag past the bound. A DOCTYPE is refused (no entity can be declared, so no
//! expansion can blow up); only the five predefined entities and character references are
//! resolved.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use crate::limits::{LimitExceeded, XmlBudget, XmlLimits};
use crate::{NS_CAC, NS_CBC, NS_CEC, NS_CREDIT_NOTE, NS_INVOICE, NS_SBT};

/// Why a text could not be read as a UBL document at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text is not well-formed XML.
    #[error("the document is not well-formed XML (line {line}, column {column}): {message}")]
    Malformed {
        /// 1-based line of the error.
        line: u32,
        /// 1-based column (in characters) of the error.
        column: u32,
        /// The XML parser's description.
        message: String,
    },
    /// The document declares a DOCTYPE, which the profile forbids (and which could expand entities).
    #[error(
        "the document contains a DOCTYPE declaration (line {line}); UBL documents for SEF must not have one"
    )]
    Doctype {
        /// 1-based line of the declaration.
        line: u32,
    },
    /// The document passes one of the reader's bounds ([`XmlLimits`]) and was not read further.
    #[error("the document was refused (line {line}): {limit}")]
    Limit {
        /// 1-based line where the bound was passed (1 for the size bound).
        line: u32,
        /// The bound.
        limit: LimitExceeded,
    },
    /// The root element is not a UBL 2.1 `Invoice` or `CreditNote`.
    #[error("the root element is {{{namespace}}}{name}; expected a UBL 2.1 Invoice or CreditNote")]
    NotUbl {
        /// Local name of the root element.
        name: String,
        /// Its namespace URI (empty when none).
        namespace: String,
    },
    /// The text contains no element at all.
    #[error("the document is empty")]
    Empty,
}

impl ParseError {
    /// The error as a sentence for a bookkeeper, in Serbian (Latin or Cyrillic) or English. The
    /// Cyrillic text transliterates the sentence, never the values it quotes (element names,
    /// the XML reader's own words).
    pub fn message(&self, lang: crate::Lang) -> String {
        let sr = |s: &str| match lang {
            crate::Lang::SrCyrl => crate::cyrillic::transliterate(s),
            _ => s.to_string(),
        };
        if lang == crate::Lang::En {
            return self.to_string();
        }
        match self {
            ParseError::Malformed {
                line,
                column,
                message,
            } => format!(
                "{} {message}",
                sr(&format!(
                    "Dokument nije ispravan XML (red {line}, kolona {column}):"
                ))
            ),
            ParseError::Doctype { line } => sr(&format!(
                "Dokument sadrži DOCTYPE deklaraciju (red {line}); UBL dokumenti za SEF ne smeju da je imaju."
            )),
            ParseError::Limit { line, limit } => sr(&format!(
                "Dokument je odbijen (red {line}): {}.",
                limit.message_sr()
            )),
            ParseError::NotUbl { name, namespace } => format!(
                "{} {{{namespace}}}{name}{}",
                sr("Osnovni element je"),
                sr("; očekuje se UBL 2.1 Invoice ili CreditNote.")
            ),
            ParseError::Empty => sr("Dokument je prazan."),
        }
    }
}

/// One element of the parsed tree. Names are canonical: `cbc:ID`, `cac:Party`, `cec:…`, `sbt:…`,
/// root-namespace elements without prefix, any other namespace as `{uri}local`.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
    pub pos: u64,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn value(&self) -> String {
        self.text.trim().to_string()
    }
}

/// Line numbers of byte positions, by binary search over the line starts (one pass over the
/// text, however many findings need a line).
#[derive(Debug)]
pub(crate) struct Lines {
    starts: Vec<usize>,
}

impl Lines {
    pub fn new(src: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            src.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines { starts }
    }

    /// 1-based line of byte position `pos`.
    pub fn line(&self, pos: u64) -> u32 {
        let pos = usize::try_from(pos).unwrap_or(usize::MAX);
        let n = self.starts.partition_point(|s| *s <= pos);
        u32::try_from(n.max(1)).unwrap_or(u32::MAX)
    }
}

/// 1-based line and column (in characters) of byte position `pos`; for the one error of a
/// document.
pub(crate) fn line_col(src: &str, pos: u64) -> (u32, u32) {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(src.len());
    let mut cut = pos;
    while !src.is_char_boundary(cut) {
        cut -= 1;
    }
    let before = &src[..cut];
    let line = Lines::new(before).starts.len();
    let col = before
        .rfind('\n')
        .map_or(before.chars().count(), |i| before[i + 1..].chars().count())
        + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

fn canonical(ns: &ResolveResult<'_>, local: &str, root_ns: &mut Option<String>) -> String {
    match ns {
        ResolveResult::Bound(n) => {
            let uri: &str = n.as_ref();
            let prefix = match uri {
                NS_CBC => "cbc",
                NS_CAC => "cac",
                NS_CEC => "cec",
                NS_SBT => "sbt",
                u if root_ns.as_deref() == Some(u) => return local.to_string(),
                u if root_ns.is_none() && (u == NS_INVOICE || u == NS_CREDIT_NOTE) => {
                    *root_ns = Some(u.to_string());
                    return local.to_string();
                }
                u => return format!("{{{u}}}{local}"),
            };
            format!("{prefix}:{local}")
        }
        _ => format!("{{}}{local}"),
    }
}

fn resolve_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Builds the tree of `src` (without BOM) and returns it with the root's namespace URI.
pub(crate) fn build_tree(src: &str, limits: &XmlLimits) -> Result<(Node, String), ParseError> {
    let mut budget = XmlBudget::new(*limits);
    budget
        .check_size(src.len())
        .map_err(|limit| ParseError::Limit { line: 1, limit })?;
    let malformed = |pos: u64, message: String| {
        let (line, column) = line_col(src, pos);
        ParseError::Malformed {
            line,
            column,
            message,
        }
    };
    let refused = |pos: u64, limit: LimitExceeded| ParseError::Limit {
        line: line_col(src, pos).0,
        limit,
    };
    let mut reader = budget.reader(src);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let mut root_ns: Option<String> = None;
    let mut root_uri = String::new();
    loop {
        let before = reader.buffer_position();
        let (ns, ev) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => {
                let pos = reader.error_position();
                return Err(match budget.limit_of(&e) {
                    Some(limit) => refused(before.max(pos), limit),
                    None => malformed(pos, e.to_string()),
                });
            }
        };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(malformed(before, "content after the root element".into()));
                }
                budget
                    .element(stack.len() + 1)
                    .map_err(|l| refused(before, l))?;
                if stack.is_empty() {
                    root_uri = match &ns {
                        ResolveResult::Bound(n) => n.as_ref().to_string(),
                        _ => String::new(),
                    };
                }
                let name = canonical(&ns, e.local_name().as_ref(), &mut root_ns);
                let attrs = attributes(e, &mut budget).map_err(|err| match err {
                    AttrFailure::Limit(l) => refused(before, l),
                    AttrFailure::Bad(m) => malformed(before, m),
                })?;
                let node = Node {
                    name,
                    attrs,
                    text: String::new(),
                    children: Vec::new(),
                    pos: before,
                };
                if matches!(ev, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => root = Some(node),
                    }
                } else {
                    stack.push(node);
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| malformed(before, "unexpected end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(malformed(before, "text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let c = if r.is_char_ref() {
                    r.resolve_char_ref()
                        .map_err(|err| malformed(before, err.to_string()))?
                } else {
                    resolve_entity(&r)
                };
                let c = c.ok_or_else(|| malformed(before, "unknown entity reference".into()))?;
                if let Some(n) = stack.last_mut() {
                    n.text.push(c);
                }
            }
            Event::DocType(_) => {
                return Err(ParseError::Doctype {
                    line: line_col(src, before).0,
                });
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(malformed(
            src.len() as u64,
            format!("element <{}> is not closed", open.name),
        ));
    }
    let root = root.ok_or(ParseError::Empty)?;
    Ok((root, root_uri))
}

enum AttrFailure {
    Limit(LimitExceeded),
    Bad(String),
}

/// The attributes of a start tag (namespace declarations counted, not kept), each counted
/// against the budget before its value is unescaped.
fn attributes(
    e: &BytesStart<'_>,
    budget: &mut XmlBudget,
) -> Result<Vec<(String, String)>, AttrFailure> {
    let mut attrs = Vec::new();
    for (i, a) in e.attributes().enumerate() {
        budget.attribute(i).map_err(AttrFailure::Limit)?;
        let a = a.map_err(|err| AttrFailure::Bad(err.to_string()))?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let v = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| AttrFailure::Bad(err.to_string()))?;
        attrs.push((a.key.local_name().as_ref().to_string(), v.into_owned()));
    }
    Ok(attrs)
}
