//! Unit tests of `Validator`.
