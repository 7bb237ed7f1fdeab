//! The peer program, measured in the same rounds as ours: `cargo xtask bench
//! edge` loads xdp-filter on a veth, pins its program and passes the pin
//! with `--peer PATH`. After each round of one of our cases, the peer runs
//! the frame that case compares with (a blocklisted or an unlisted source of
//! the same family), so both see the same moments of this VM's drifting
//! speed: each of our rounds is compared with the peer round right after
//! it, and the median of those ratios is reported. The peer's samples of
//! the whole run give its median.
use std::{collections::BTreeMap, path::Path};

use anyhow::{Context, Result, bail};
use aya::programs::{TestRun, TestRunOptions, Xdp};
use aya_obj::programs::XdpAttachType;

use crate::{BLOCKED4, BLOCKED6, DST4, DST6, UNLISTED4, UNLISTED6, frames::Frame};

/// The pinned peer program and its samples per case.
pub struct Peer {
    prog: Xdp,
    cases: BTreeMap<&'static str, (Vec<u8>, u32)>,
    samples: BTreeMap<&'static str, Vec<u64>>,
}

impl Peer {
    /// Opens the pinned program.
    pub fn open(path: &Path) -> Result<Peer> {
        let prog = Xdp::from_pin(path, XdpAttachType::Interface)
            .with_context(|| format!("open the peer program pinned at {}", path.display()))?;
        let f = Frame::new();
        let pad = [0u8; 18];
        let cases = BTreeMap::from([
            ("v4_drop_blocklisted", (f.ipv4_udp(BLOCKED4, DST4, &pad), 1)),
            ("v4_pass_unlisted", (f.ipv4_udp(UNLISTED4, DST4, &pad), 2)),
            ("v6_drop_blocklisted", (f.ipv6_udp(BLOCKED6, DST6, &[]), 1)),
            ("v6_pass_unlisted", (f.ipv6_udp(UNLISTED6, DST6, &[]), 2)),
        ]);
        Ok(Peer {
            prog,
            cases,
            samples: BTreeMap::new(),
        })
    }

    /// One round of the peer case that our case `ours` compares with; its
    /// mean ns per packet.
    pub fn round(&mut self, ours: &str, repeat: u32) -> Result<u64> {
        let name = match (ours.starts_with("v4_"), ours.contains("_drop_")) {
            (true, true) => "v4_drop_blocklisted",
            (true, false) => "v4_pass_unlisted",
            (false, true) => "v6_drop_blocklisted",
            (false, false) => "v6_pass_unlisted",
        };
        let (frame, expect) = &self.cases[name];
        let result = self.prog.test_run(TestRunOptions {
            data_in: Some(frame),
            repeat,
            ..TestRunOptions::default()
        })?;
        if result.return_value != *expect {
            bail!(
                "peer {name}: action {} instead of {expect}",
                result.return_value
            );
        }
        let ns = result.duration.as_nanos() as u64;
        self.samples.entry(name).or_default().push(ns);
        Ok(ns)
    }

    /// Prints the median and minimum of every peer case's samples.
    pub fn report(&mut self) {
        println!("xdp-filter, in the same rounds:");
        for (name, samples) in &mut self.samples {
            samples.sort_unstable();
            let (ns, min) = (samples[samples.len() / 2], samples[0]);
            println!(
                "  {name:<24} {ns:>5} ns (min {min}, {} rounds)",
                samples.len()
            );
            println!("RESULT phase=xdp-filter case={name} ns={ns} min={min}");
        }
    }
}
