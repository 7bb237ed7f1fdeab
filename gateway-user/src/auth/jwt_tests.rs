//! Unit tests of JWT verification.
