//! A bounded "top offenders" signal: which client IPs were refused (401/403/429) the
//! most in the last complete minute.
//!
//! A per-IP label on ordinary counters would let any client mint series without
//! bound. Instead, refusals are counted per source in a fixed-size table (the
//! Space-Saving algorithm: when full, the smallest entry is replaced, so heavy
//! hitters are never lost), and at the end of each one-minute window only the top
//! [`PUBLISHED`] sources are published as `gateway_top_rejected_sources`. This is
//! what the "429 burst from one source" alert reads. The full detail stays in the
//! access log.
use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{family::Family, gauge::Gauge},
};

/// Sources tracked within a window (memory bound).
const CAPACITY: usize = 512;
/// Sources published per window (series bound).
pub const PUBLISHED: usize = 10;
/// Length of a counting window.
const WINDOW: Duration = Duration::from_secs(60);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct SourceLabels {
    source: String,
    status: u16,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    counts: HashMap<(IpAddr, u16), u64>,
}

/// Counts refusals per source and publishes the heaviest ones each minute.
#[derive(Debug)]
pub struct TopSources {
    window: Mutex<Window>,
    gauge: Family<SourceLabels, Gauge>,
    length: Duration,
}

impl TopSources {
    /// Publishes into `gauge` with one-minute windows.
    pub(crate) fn new(gauge: Family<SourceLabels, Gauge>) -> Self {
        Self::with_window(gauge, WINDOW)
    }

    fn with_window(gauge: Family<SourceLabels, Gauge>, length: Duration) -> Self {
        Self {
            window: Mutex::new(Window {
                started: Instant::now(),
                counts: HashMap::new(),
            }),
            gauge,
            length,
        }
    }

    /// Counts one answer to `ip` if it is a refusal (401, 403 or 429).
    pub fn record(&self, ip: IpAddr, status: u16) {
        if !matches!(status, 401 | 403 | 429) {
            return;
        }
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        self.roll(&mut w, Instant::now());
        let key = (ip, status);
        if let Some(count) = w.counts.get_mut(&key) {
            *count += 1;
        } else if w.counts.len() < CAPACITY {
            w.counts.insert(key, 1);
        } else if let Some((&min_key, &min)) = w.counts.iter().min_by_key(|(_, c)| **c) {
            // Space-Saving: the newcomer inherits the evicted count, so a true heavy
            // hitter's estimate is never below its real count.
            w.counts.remove(&min_key);
            w.counts.insert(key, min + 1);
        }
    }

    /// Publishes the finished window if one has ended (called before each scrape too,
    /// so the gauge empties when refusals stop).
    pub fn refresh(&self) {
        let mut w = self.window.lock().unwrap_or_else(|p| p.into_inner());
        self.roll(&mut w, Instant::now());
    }

    fn roll(&self, w: &mut Window, now: Instant) {
        let elapsed = now.saturating_duration_since(w.started);
        if elapsed < self.length {
            return;
        }
        self.gauge.clear();
        // A window that ended long ago says nothing about the last minute.
        if elapsed < 2 * self.length {
            let mut top: Vec<_> = w.counts.drain().collect();
            top.sort_unstable_by_key(|entry| std::cmp::Reverse(entry.1));
            for ((ip, status), count) in top.into_iter().take(PUBLISHED) {
                self.gauge
                    .get_or_create(&SourceLabels {
                        source: ip.to_string(),
                        status,
                    })
                    .set(i64::try_from(count).unwrap_or(i64::MAX));
            }
        }
        w.counts.clear();
        // Windows stay aligned to the first one, so consecutive minutes don't overlap.
        let windows = elapsed.as_nanos() / self.length.as_nanos().max(1);
        w.started += self.length * u32::try_from(windows).unwrap_or(u32::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(family: &Family<SourceLabels, Gauge>) -> String {
        let mut registry = prometheus_client::registry::Registry::default();
        registry.register("top", "t", family.clone());
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }

    #[test]
    fn the_heaviest_sources_are_published_when_the_window_ends() {
        let family = Family::<SourceLabels, Gauge>::default();
        let top = TopSources::with_window(family.clone(), Duration::from_millis(200));
        let abuser: IpAddr = [198, 18, 0, 9].into();
        for _ in 0..50 {
            top.record(abuser, 429);
        }
        for i in 0..30u8 {
            top.record([198, 18, 1, i].into(), 429);
        }
        top.record(abuser, 200); // not a refusal
        assert!(
            !encode(&family).contains("198.18.0.9"),
            "published too early"
        );
        std::thread::sleep(Duration::from_millis(250));
        top.refresh();
        let text = encode(&family);
        assert!(
            text.contains("top{source=\"198.18.0.9\",status=\"429\"} 50"),
            "{text}"
        );
        assert_eq!(text.matches("top{").count(), PUBLISHED, "{text}");
    }

    #[test]
    fn a_heavy_hitter_survives_a_flood_of_one_off_sources() {
        let family = Family::<SourceLabels, Gauge>::default();
        let top = TopSources::with_window(family.clone(), Duration::from_millis(300));
        let abuser: IpAddr = [198, 18, 0, 9].into();
        for round in 0..4u32 {
            for _ in 0..100 {
                top.record(abuser, 401);
            }
            for i in 0..400u32 {
                let n = round * 400 + i;
                top.record([198, 19, (n >> 8) as u8, n as u8].into(), 401);
            }
        }
        std::thread::sleep(Duration::from_millis(350));
        top.refresh();
        let text = encode(&family);
        let line = text
            .lines()
            .find(|l| l.contains("198.18.0.9"))
            .unwrap_or_else(|| panic!("abuser lost:\n{text}"));
        let count: i64 = line
            .rsplit(' ')
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(count >= 400, "{line}");
    }

    #[test]
    fn the_gauge_empties_when_refusals_stop() {
        let family = Family::<SourceLabels, Gauge>::default();
        let top = TopSources::with_window(family.clone(), Duration::from_millis(100));
        top.record([198, 18, 0, 9].into(), 403);
        std::thread::sleep(Duration::from_millis(120));
        top.refresh();
        assert!(encode(&family).contains("198.18.0.9"));
        std::thread::sleep(Duration::from_millis(120));
        top.refresh();
        assert!(!encode(&family).contains("198.18.0.9"));
    }
}
