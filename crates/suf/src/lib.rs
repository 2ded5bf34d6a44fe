//! fiskal-suf (being written).
