//! Balancing algorithms: a smooth weighted round-robin schedule computed once
//! (nginx's algorithm, so weights interleave instead of bursting), least
//! connections weighted by target weight, and a stable hash of the client IP.
use std::{net::IpAddr, sync::atomic::Ordering};

use super::Target;

/// Longest schedule kept; larger weight sums are scaled down.
const MAX_SCHEDULE: u64 = 4096;

/// The smooth weighted round-robin order of targets for one full cycle.
pub fn smooth_wrr_schedule(weights: &[u32]) -> Vec<usize> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let weights: Vec<i64> = if total > MAX_SCHEDULE {
        weights
            .iter()
            .map(|&w| ((u64::from(w) * MAX_SCHEDULE / total).max(1)) as i64)
            .collect()
    } else {
        weights.iter().map(|&w| i64::from(w)).collect()
    };
    let total: i64 = weights.iter().sum();
    let mut current = vec![0i64; weights.len()];
    let mut out = Vec::with_capacity(total as usize);
    for _ in 0..total {
        let mut best = 0;
        for (i, w) in weights.iter().enumerate() {
            current[i] += w;
            if current[i] > current[best] {
                best = i;
            }
        }
        current[best] -= total;
        out.push(best);
    }
    out
}

/// The first target of the schedule from `start` on that `ok` accepts.
pub fn first_in_schedule(
    schedule: &[usize],
    start: usize,
    ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    let n = schedule.len();
    (0..n).map(|k| schedule[(start + k) % n]).find(|&i| ok(i))
}

/// The accepted target with the fewest in-flight requests per unit of weight;
/// ties go round robin from `start`.
pub fn least_loaded(targets: &[Target], start: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
    let n = targets.len();
    let mut best: Option<(usize, u64)> = None;
    for k in 0..n {
        let i = (start + k) % n;
        if !ok(i) {
            continue;
        }
        let t = &targets[i];
        // Compare load/weight without division: scale by the other weights' product
        // is overkill here; a fixed-point ratio is precise enough.
        let load = (t.health.in_flight.load(Ordering::Relaxed) as u64 * 1024) / u64::from(t.weight);
        if best.is_none_or(|(_, l)| load < l) {
            best = Some((i, load));
        }
    }
    best.map(|(i, _)| i)
}

/// A stable hash of the client IP (FNV-1a; stable across restarts, unlike SipHash
/// with random keys, so a client keeps its target when the gateway restarts).
pub fn hash_ip(ip: IpAddr) -> u64 {
    let bytes: Vec<u8> = match super::super::route::canonical(ip) {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    };
    bytes.iter().fold(0xcbf29ce484222325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_schedule_interleaves_heavier_targets() {
        assert_eq!(smooth_wrr_schedule(&[5, 1, 1]), vec![0, 0, 1, 0, 2, 0, 0]);
        assert_eq!(smooth_wrr_schedule(&[1, 1]), vec![0, 1]);
    }
}
