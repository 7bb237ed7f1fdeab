//! Every transformation, alone and chained, on arbitrary text: no panic, bounded output.
#![no_main]
use gateway::waf::transform::{apply, apply_chain};
use gateway::waf::Transform;
use libfuzzer_sys::fuzz_target;

/// Every transformation, however many there are.
const ALL: &[Transform] = &Transform::ALL;

fuzz_target!(|data: &[u8]| {
    let s = String::from_utf8_lossy(data);
    for &t in ALL {
        let out = apply(t, &s);
        // Decoders only shrink or keep length, except lowercase/cmdline on odd Unicode.
        assert!(out.len() <= s.len() * 3 + 8);
    }
    let _ = apply_chain(ALL, &s);
});
