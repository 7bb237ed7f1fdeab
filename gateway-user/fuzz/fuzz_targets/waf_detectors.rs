//! The HTML tag scanner and the SQL detector on arbitrary text: no panic.
#![no_main]
use gateway::waf::{sqli, xss};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    let _ = xss::scan(&s.to_lowercase());
    let _ = sqli::sqli_context(&s);
});
