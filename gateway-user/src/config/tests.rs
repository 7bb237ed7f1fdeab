//! Unit tests of configuration loading: defaults, every error kind and its line.
