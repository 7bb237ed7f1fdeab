//! The SQL tokenizer and grammar in every context: no panic.
#![no_main]
use gateway::waf::sqli::{fold, is_sqli, tokenize, Context};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    for ctx in Context::ALL {
        if let Some(toks) = tokenize(&s, ctx) {
            let _ = fold(toks.as_slice());
        }
    }
    let _ = is_sqli(&s);
});
