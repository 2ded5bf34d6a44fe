//! Database URLs: which database a store opens, checked before anything connects.
//!
//! Accepted forms:
//! - `sqlite:PATH`, `sqlite://PATH` (`sqlite:///abs/path` for an absolute path), optionally with
//!   `?mode=rwc` (create when missing, the default), `?mode=rw` (must exist) or `?mode=ro`;
//! - `sqlite::memory:` (a private in-memory database, gone when the pool closes);
//! - `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?PARAMS]` (also `postgresql://`).
//!
//! [`DatabaseUrl`]'s `Display` and `Debug` never show a password: it is replaced by `***`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Which SQL database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite (a file or memory).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// How a SQLite file is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SqliteMode {
    /// Read and write, creating the file when missing (`mode=rwc`, the default).
    #[default]
    ReadWriteCreate,
    /// Read and write an existing file (`mode=rw`).
    ReadWrite,
    /// Read only (`mode=ro`).
    ReadOnly,
}

/// A checked database URL.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite file.
    SqliteFile {
        /// The file.
        path: PathBuf,
        /// How it is opened.
        mode: SqliteMode,
    },
    /// A private in-memory SQLite database.
    SqliteMemory,
    /// A PostgreSQL database.
    Postgres(PostgresUrl),
}

/// A PostgreSQL URL; shown with its password masked.
#[derive(Clone, PartialEq, Eq)]
pub struct PostgresUrl {
    url: url::Url,
}

impl PostgresUrl {
    /// The full URL, password included, for the driver only. Never log it.
    pub fn expose(&self) -> &str {
        self.url.as_str()
    }

    /// The URL with its password replaced by `***`.
    pub fn masked(&self) -> String {
        mask(&self.url)
    }

    /// The database name (the URL's path without `/`).
    pub fn database(&self) -> &str {
        self.url.path().trim_start_matches('/')
    }

    /// This URL with `search_path` set to `schema` through the connection's `options`
    /// parameter (any earlier `options` replaced). `schema` must be a plain identifier
    /// (ASCII letters, digits, `_`, not starting with a digit).
    pub fn with_search_path(&self, schema: &str) -> Result<PostgresUrl, UrlError> {
        check_identifier(schema)?;
        let mut url = self.url.clone();
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "options")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("options", &format!("-c search_path={schema}"));
        Ok(PostgresUrl { url })
    }
}

impl fmt::Display for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PostgresUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PostgresUrl({})", self.masked())
    }
}

/// A database URL that cannot be used; the text never holds a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// Nothing was given.
    #[error("the database URL is empty: use sqlite:PATH, sqlite::memory: or postgres://…")]
    Empty,
    /// The scheme names no supported database.
    #[error("unsupported database URL {0:?}: use sqlite:PATH, sqlite::memory: or postgres://…")]
    Unsupported(String),
    /// A `sqlite:` URL without a file.
    #[error("the SQLite URL {0:?} names no file: use sqlite:PATH or sqlite::memory:")]
    NoFile(String),
    /// A parameter of a `sqlite:` URL that fiskal does not use.
    #[error("the SQLite URL {url:?} has an unknown parameter {param:?} (only mode=rwc|rw|ro)")]
    SqliteParam {
        /// The URL.
        url: String,
        /// The parameter.
        param: String,
    },
    /// A `postgres://` URL that does not parse.
    #[error("the PostgreSQL URL {url:?} is not valid: {reason}")]
    Postgres {
        /// The URL, password masked.
        url: String,
        /// Why.
        reason: String,
    },
    /// A schema name that is not a plain identifier.
    #[error(
        "the schema name {0:?} is not a plain identifier (ASCII letters, digits and _, at most 63)"
    )]
    Schema(String),
}

/// Checks a PostgreSQL identifier used unquoted in SQL text (schema names).
pub fn check_identifier(name: &str) -> Result<(), UrlError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.as_bytes()[0].is_ascii_digit()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(UrlError::Schema(name.to_string()))
    }
}

fn mask(url: &url::Url) -> String {
    if url.password().is_some() {
        let mut u = url.clone();
        // Cannot fail for a URL that has a host and a password.
        let _ = u.set_password(Some("***"));
        u.to_string()
    } else {
        url.to_string()
    }
}

/// `text` with anything that looks like a password in `user:password@` replaced by `***`.
fn mask_text(text: &str) -> String {
    match url::Url::parse(text) {
        Ok(u) => mask(&u),
        Err(_) => match (text.find("://"), text.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let creds = &text[s + 3..at];
                match creds.find(':') {
                    Some(c) => format!("{}{}:***{}", &text[..s + 3], &creds[..c], &text[at..]),
                    None => text.to_string(),
                }
            }
            _ => text.to_string(),
        },
    }
}

impl DatabaseUrl {
    /// Parses a URL (see the module documentation for the forms).
    pub fn parse(text: &str) -> Result<DatabaseUrl, UrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(UrlError::Empty);
        }
        if let Some(rest) = text.strip_prefix("sqlite:") {
            return parse_sqlite(text, rest);
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            let url = url::Url::parse(text).map_err(|e| UrlError::Postgres {
                url: mask_text(text),
                reason: e.to_string(),
            })?;
            if url.host_str().is_none_or(str::is_empty) {
                return Err(UrlError::Postgres {
                    url: mask(&url),
                    reason: "it names no host".into(),
                });
            }
            return Ok(DatabaseUrl::Postgres(PostgresUrl { url }));
        }
        Err(UrlError::Unsupported(mask_text(text)))
    }

    /// A SQLite file, created when missing.
    pub fn sqlite_file(path: impl Into<PathBuf>) -> DatabaseUrl {
        DatabaseUrl::SqliteFile {
            path: path.into(),
            mode: SqliteMode::ReadWriteCreate,
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        match self {
            DatabaseUrl::SqliteFile { .. } | DatabaseUrl::SqliteMemory => Backend::Sqlite,
            DatabaseUrl::Postgres(_) => Backend::Postgres,
        }
    }

    /// The SQLite file, if this names one.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            DatabaseUrl::SqliteFile { path, .. } => Some(path),
            _ => None,
        }
    }
}

fn parse_sqlite(text: &str, rest: &str) -> Result<DatabaseUrl, UrlError> {
    let (body, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let body = body.strip_prefix("//").unwrap_or(body);
    let mut mode = SqliteMode::default();
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        mode = match pair {
            "mode=rwc" => SqliteMode::ReadWriteCreate,
            "mode=rw" => SqliteMode::ReadWrite,
            "mode=ro" => SqliteMode::ReadOnly,
            "mode=memory" if body.is_empty() || body == ":memory:" => {
                return Ok(DatabaseUrl::SqliteMemory);
            }
            other => {
                return Err(UrlError::SqliteParam {
                    url: text.to_string(),
                    param: other.to_string(),
                });
            }
        };
    }
    if body == ":memory:" {
        return Ok(DatabaseUrl::SqliteMemory);
    }
    if body.is_empty() {
        return Err(UrlError::NoFile(text.to_string()));
    }
    Ok(DatabaseUrl::SqliteFile {
        path: PathBuf::from(body),
        mode,
    })
}

impl FromStr for DatabaseUrl {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DatabaseUrl::parse(s)
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::SqliteFile { path, mode } => {
                write!(f, "sqlite://{}", path.display())?;
                match mode {
                    SqliteMode::ReadWriteCreate => Ok(()),
                    SqliteMode::ReadWrite => f.write_str("?mode=rw"),
                    SqliteMode::ReadOnly => f.write_str("?mode=ro"),
                }
            }
            DatabaseUrl::SqliteMemory => f.write_str("sqlite::memory:"),
            DatabaseUrl::Postgres(p) => p.fmt(f),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(p: &str, mode: SqliteMode) -> DatabaseUrl {
        DatabaseUrl::SqliteFile {
            path: PathBuf::from(p),
            mode,
        }
    }

    #[test]
    fn sqlite_forms() {
        use SqliteMode::*;
        let cases = [
            ("sqlite:data.db", file("data.db", ReadWriteCreate)),
            ("sqlite://data.db", file("data.db", ReadWriteCreate)),
            (
                "sqlite:///var/lib/x.db",
                file("/var/lib/x.db", ReadWriteCreate),
            ),
            (
                "sqlite:moje-fakture.db?mode=rwc",
                file("moje-fakture.db", ReadWriteCreate),
            ),
            (
                "sqlite://dir/a.sqlite?mode=rw",
                file("dir/a.sqlite", ReadWrite),
            ),
            ("sqlite:/tmp/a?mode=ro", file("/tmp/a", ReadOnly)),
            (" sqlite:a.db ", file("a.db", ReadWriteCreate)),
        ];
        for (text, want) in cases {
            assert_eq!(DatabaseUrl::parse(text).unwrap(), want, "{text}");
        }
        for text in [
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite::memory:?mode=memory",
        ] {
            assert_eq!(DatabaseUrl::parse(text).unwrap(), DatabaseUrl::SqliteMemory);
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db")
                .unwrap()
                .to_string(),
            "sqlite:///tmp/x.db"
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:a?mode=ro").unwrap().backend(),
            Backend::Sqlite
        );
    }

    #[test]
    fn bad_urls_are_explained() {
        assert_eq!(DatabaseUrl::parse("  "), Err(UrlError::Empty));
        assert!(matches!(
            DatabaseUrl::parse("sqlite:"),
            Err(UrlError::NoFile(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite:a.db?cache=shared"),
            Err(UrlError::SqliteParam { .. })
        ));
        let e = DatabaseUrl::parse("mysql://root:hunter2@db/x").unwrap_err();
        assert!(matches!(e, UrlError::Unsupported(_)));
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("root:***@db"), "{e}");
        let e = DatabaseUrl::parse("postgres://u:hunter2@/db").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        let e = DatabaseUrl::parse("postgres://u:hunter2@[::1/db").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(DatabaseUrl::parse("/var/lib/fiskal.db").is_err());
    }

    #[test]
    fn postgres_password_is_never_shown() {
        let u = DatabaseUrl::parse("postgres://fiskal:s3cret@127.0.0.1:5432/prod?sslmode=disable")
            .unwrap();
        assert_eq!(u.backend(), Backend::Postgres);
        let shown = u.to_string();
        assert_eq!(
            shown,
            "postgres://fiskal:***@127.0.0.1:5432/prod?sslmode=disable"
        );
        assert!(!format!("{u:?}").contains("s3cret"));
        let DatabaseUrl::Postgres(p) = &u else {
            unreachable!()
        };
        assert!(p.expose().contains("s3cret"));
        assert_eq!(p.database(), "prod");
        let no_pw = DatabaseUrl::parse("postgresql://postgres@localhost/test").unwrap();
        assert_eq!(no_pw.to_string(), "postgresql://postgres@localhost/test");
    }

    #[test]
    fn search_path_option() {
        let DatabaseUrl::Postgres(p) = DatabaseUrl::parse(
            "postgres://postgres@127.0.0.1/test?options=-c%20x%3Dy&sslmode=disable",
        )
        .unwrap() else {
            unreachable!()
        };
        let s = p.with_search_path("t_1").unwrap();
        let pairs: Vec<(String, String)> = url::Url::parse(s.expose())
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("sslmode".to_string(), "disable".to_string()),
                ("options".to_string(), "-c search_path=t_1".to_string())
            ]
        );
        for bad in ["", "a-b", "1abc", "x;drop", &"a".repeat(64)] {
            assert!(p.with_search_path(bad).is_err(), "{bad}");
        }
    }
}
