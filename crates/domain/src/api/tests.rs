//! Tests of the request parser.
