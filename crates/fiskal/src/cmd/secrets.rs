//! Secrets from options, environment variables or `..._FILE` variables, never logged.

use anyhow::Context;

/// Resolves a secret: the option (which clap also fills from `VAR`), else the contents of the
/// file named by `VAR_FILE`, else `default`.
pub fn secret(option: Option<String>, var: &str, default: &str) -> anyhow::Result<String> {
    if let Some(v) = option {
        return Ok(v);
    }
    let file_var = format!("{var}_FILE");
    if let Ok(path) = std::env::var(&file_var) {
        let s =
            std::fs::read_to_string(&path).with_context(|| format!("reading {file_var}={path}"))?;
        return Ok(s.trim().to_string());
    }
    Ok(default.to_string())
}

/// Like [`secret`] without a default.
pub fn optional_secret(option: Option<String>, var: &str) -> anyhow::Result<Option<String>> {
    let s = secret(option, var, "")?;
    Ok((!s.is_empty()).then_some(s))
}
