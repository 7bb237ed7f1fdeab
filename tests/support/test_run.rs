//! Loading the XDP program for `BPF_PROG_TEST_RUN`: one private copy per test
//! (nothing pinned), handles on every map, and small helpers to fill them and
//! read the counters back.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use aya::{
    Ebpf, EbpfLoader,
    maps::{Array, HashMap, LpmTrie, MapData, PerCpuArray, RingBuf, lpm_trie::Key},
    programs::{TestRun, TestRunOptions, Xdp},
};
use gateway::edge::{
    buckets::Buckets,
    hints,
    table::{NetKey, TableV4, TableV6, with_len},
};
use gateway_common::{
    BanReason, BanValue, Counter, DropCount, EdgeConfig, OverflowEvent, RateLimit, SourceKey,
    family, maps, stat,
};

/// `XDP_DROP` as returned by the program.
pub const XDP_DROP: u32 = 1;
/// `XDP_PASS` as returned by the program.
pub const XDP_PASS: u32 = 2;

/// One loaded copy of the program with handles on every map.
pub struct Filter {
    pub ebpf: Ebpf,
    pub allow_v4: LpmTrie<MapData, [u8; 4], u8>,
    pub allow_v6: LpmTrie<MapData, [u8; 16], u8>,
    pub allow_hints_v4: Array<MapData, u64>,
    pub allow_hints_v6: Array<MapData, u64>,
    pub limit_hints_v4: Array<MapData, u64>,
    pub limit_hints_v6: Array<MapData, u64>,
    pub block_v4: TableV4,
    pub block_v6: TableV6,
    pub limit_v4: LpmTrie<MapData, [u8; 4], RateLimit>,
    pub limit_v6: LpmTrie<MapData, [u8; 16], RateLimit>,
    pub buckets: Buckets,
    pub config: Array<MapData, EdgeConfig>,
    pub stats: PerCpuArray<MapData, Counter>,
    pub drops: HashMap<MapData, SourceKey, DropCount>,
    pub events: RingBuf<MapData>,
}

/// Pins the calling thread to the CPU it runs on now, so the per-CPU
/// counters that DROPS sampling follows see every run of a test.
pub fn pin_to_one_cpu() {
    // SAFETY: plain libc calls on a zeroed cpu_set_t owned by this frame.
    unsafe {
        let cpu = libc::sched_getcpu();
        if cpu < 0 {
            return;
        }
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu as usize, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Takes map `name` out of the object as a typed aya map.
pub fn take<T: TryFrom<aya::maps::Map>>(ebpf: &mut Ebpf, name: &str) -> T
where
    T::Error: std::fmt::Debug,
{
    let map = ebpf
        .take_map(name)
        .unwrap_or_else(|| panic!("map {name} missing from the object"));
    T::try_from(map).unwrap_or_else(|e| panic!("map {name} has an unexpected type: {e:?}"))
}

impl Filter {
    /// Loads the embedded object with small tables and LRU maps (tests never
    /// fill them), and the CONFIG `gateway` would write.
    pub fn load() -> Filter {
        Filter::load_with_bucket_rows(BUCKET_ROWS)
    }

    /// Loads the program with bucket tables of `rows` rows each (1 puts every
    /// source in the same row).
    pub fn load_with_bucket_rows(rows: u32) -> Filter {
        assert!(
            !gateway::edge::OBJECT.is_empty(),
            "the XDP object is empty: build without AYA_BUILD_SKIP"
        );
        let mut ebpf = EbpfLoader::new()
            .map_max_entries(maps::BUCKETS_V4, rows)
            .map_max_entries(maps::BUCKETS_V6, rows)
            .map_max_entries(maps::DROPS, 4096)
            .map_max_entries(maps::BLOCK_V4, TABLE_ROWS)
            .map_max_entries(maps::BLOCK_V6, TABLE_ROWS)
            .load(gateway::edge::OBJECT)
            .expect("load the XDP object (are we root?)");
        let program: &mut Xdp = ebpf
            .program_mut(gateway_common::PROGRAM_NAME)
            .expect("program in object")
            .try_into()
            .expect("an XDP program");
        program.load().expect("the verifier accepts the program");
        let initial = EdgeConfig {
            block_row_mask: TABLE_ROWS - 1,
            bucket_mask_v4: rows - 1,
            bucket_mask_v6: rows - 1,
            ..gateway::edge::initial_config()
        };
        let seed = initial.table_seed;
        let mut config: Array<MapData, EdgeConfig> = take(&mut ebpf, maps::CONFIG);
        config.set(0, initial, 0).expect("write CONFIG");
        Filter {
            allow_v4: take(&mut ebpf, maps::ALLOW_V4),
            allow_v6: take(&mut ebpf, maps::ALLOW_V6),
            allow_hints_v4: take(&mut ebpf, maps::ALLOW_HINTS_V4),
            allow_hints_v6: take(&mut ebpf, maps::ALLOW_HINTS_V6),
            limit_hints_v4: take(&mut ebpf, maps::LIMIT_HINTS_V4),
            limit_hints_v6: take(&mut ebpf, maps::LIMIT_HINTS_V6),
            block_v4: TableV4::from_map(
                ebpf.take_map(maps::BLOCK_V4).expect("BLOCK_V4"),
                ebpf.take_map(maps::BAN_COVER_V4).expect("BAN_COVER_V4"),
                seed,
            )
            .expect("map BLOCK_V4"),
            block_v6: TableV6::from_map(
                ebpf.take_map(maps::BLOCK_V6).expect("BLOCK_V6"),
                ebpf.take_map(maps::BAN_COVER_V6).expect("BAN_COVER_V6"),
                seed,
            )
            .expect("map BLOCK_V6"),
            limit_v4: take(&mut ebpf, maps::LIMIT_V4),
            limit_v6: take(&mut ebpf, maps::LIMIT_V6),
            buckets: Buckets::from_maps(
                ebpf.take_map(maps::BUCKETS_V4).expect("BUCKETS_V4"),
                ebpf.take_map(maps::BUCKETS_V6).expect("BUCKETS_V6"),
                seed,
            )
            .expect("map the bucket tables"),
            config,
            stats: take(&mut ebpf, maps::STATS),
            drops: take(&mut ebpf, maps::DROPS),
            events: take(&mut ebpf, maps::EVENTS),
            ebpf,
        }
    }

    /// Loads the program with `config`'s settings in the CONFIG map.
    pub fn with_config(config: EdgeConfig) -> Filter {
        let mut filter = Filter::load();
        filter.set_config(config);
        filter
    }

    /// Loads the program with `config`'s settings and bucket tables of one
    /// row of `gateway_common::bucket::WAYS` slots: every source shares it.
    pub fn one_bucket_row(config: EdgeConfig) -> Filter {
        let mut filter = Filter::load_with_bucket_rows(1);
        filter.set_config(config);
        filter
    }

    /// Writes the settings of `config` (rate, prefixes, monitor, skip bits)
    /// into CONFIG, keeping the fields that describe the tables and the clock.
    pub fn set_config(&mut self, config: EdgeConfig) {
        let current = self.config();
        let merged = EdgeConfig {
            rate: config.rate,
            prefix_v4: config.prefix_v4,
            prefix_v6: config.prefix_v6,
            monitor: config.monitor,
            skip: config.skip,
            ..current
        };
        self.config.set(0, merged, 0).expect("write CONFIG");
    }

    /// The CONFIG entry.
    pub fn config(&self) -> EdgeConfig {
        self.config.get(&0, 0).expect("read CONFIG")
    }

    /// The loaded XDP program.
    pub fn program(&self) -> &Xdp {
        self.ebpf
            .program(gateway_common::PROGRAM_NAME)
            .expect("program in object")
            .try_into()
            .expect("an XDP program")
    }

    /// Runs one frame through the program and returns its action.
    pub fn run(&self, frame: &[u8]) -> u32 {
        self.run_repeat(frame, 1)
    }

    /// Runs a frame `repeat` times and returns the last action.
    pub fn run_repeat(&self, frame: &[u8], repeat: u32) -> u32 {
        let opts = TestRunOptions {
            data_in: Some(frame),
            repeat,
            ..TestRunOptions::default()
        };
        self.program()
            .test_run(opts)
            .expect("BPF_PROG_TEST_RUN")
            .return_value
    }

    /// The STATS slot summed over all CPUs.
    pub fn stat(&self, slot: u32) -> Counter {
        let per_cpu = self.stats.get(&slot, 0).expect("read STATS");
        per_cpu.iter().fold(Counter::default(), |sum, c| Counter {
            packets: sum.packets + c.packets,
            bytes: sum.bytes + c.bytes,
        })
    }

    /// Packets in a STATS slot, summed over all CPUs.
    pub fn packets(&self, slot: u32) -> u64 {
        self.stat(slot).packets
    }

    /// A counter as `gateway edge stats` shows it (`drop_blocklist`, `block_waf`, …): the sum of its slots.
    pub fn shown(&self, name: &str) -> Counter {
        let slots = stat::slots_of(name);
        assert!(!slots.is_empty(), "no counter named {name}");
        slots.iter().fold(Counter::default(), |sum, &slot| {
            let c = self.stat(slot);
            Counter {
                packets: sum.packets + c.packets,
                bytes: sum.bytes + c.bytes,
            }
        })
    }

    /// Packets of a shown counter.
    pub fn shown_packets(&self, name: &str) -> u64 {
        self.shown(name).packets
    }

    /// Sets the hint bits of a CIDR in one of the tries' hint maps.
    fn hint(&mut self, list: hints::List, cidr: &str) {
        let net: ipnet::IpNet = cidr.parse().expect("a CIDR");
        let mut words = hints::Words::default();
        words.set(hints::bits(&net));
        let v4 = matches!(net, ipnet::IpNet::V4(_));
        let (map, name) = match (list, v4) {
            (hints::List::Allow, true) => (&mut self.allow_hints_v4, maps::ALLOW_HINTS_V4),
            (hints::List::Allow, false) => (&mut self.allow_hints_v6, maps::ALLOW_HINTS_V6),
            (hints::List::Limit, true) => (&mut self.limit_hints_v4, maps::LIMIT_HINTS_V4),
            (hints::List::Limit, false) => (&mut self.limit_hints_v6, maps::LIMIT_HINTS_V6),
        };
        hints::write(map, name, &words, true).expect("write the hints");
    }

    /// Adds a CIDR to the allowlist, its hint bits first (as the gateway does).
    pub fn allow(&mut self, cidr: &str) {
        self.hint(hints::List::Allow, cidr);
        match parse_cidr(cidr) {
            (IpAddr::V4(ip), len) => self.allow_v4.insert(&Key::new(len, ip.octets()), 1, 0),
            (IpAddr::V6(ip), len) => self.allow_v6.insert(&Key::new(len, ip.octets()), 1, 0),
        }
        .expect("insert allowlist entry");
    }

    /// Bans a CIDR (host bits zero) until `expires_ns` (0 = permanent), as
    /// the gateway stores it: its prefix length marked in CONFIG, then the
    /// entry in the ban table of its family.
    pub fn ban(&mut self, cidr: &str, reason: BanReason, expires_ns: u64) {
        let value = BanValue {
            expires_ns,
            created_unix: 0,
            reason: reason as u32,
            _pad: 0,
        };
        let mut config = self.config();
        match parse_cidr(cidr) {
            (IpAddr::V4(ip), len) => {
                let v4 = with_len([config.block_lens_v4, 0, 0], len)[0];
                config.set_block_lens(v4, config.block_lens_v6);
                self.config.set(0, config, 0).expect("write CONFIG");
                let key = NetKey {
                    len,
                    hi: u64::from(u32::from(ip)),
                    lo: 0,
                };
                self.block_v4.insert(&key, &value)
            }
            (IpAddr::V6(ip), len) => {
                config.set_block_lens(config.block_lens_v4, with_len(config.block_lens_v6, len));
                self.config.set(0, config, 0).expect("write CONFIG");
                let bits = u128::from(ip);
                let key = NetKey {
                    len,
                    hi: (bits >> 64) as u64,
                    lo: bits as u64,
                };
                self.block_v6.insert(&key, &value)
            }
        }
        .expect("insert blocklist entry");
    }

    /// Sets a per-CIDR rate override.
    pub fn limit(&mut self, cidr: &str, pps: u64, burst: u64) {
        self.hint(hints::List::Limit, cidr);
        let value = RateLimit { pps, burst };
        match parse_cidr(cidr) {
            (IpAddr::V4(ip), len) => self.limit_v4.insert(&Key::new(len, ip.octets()), value, 0),
            (IpAddr::V6(ip), len) => self.limit_v6.insert(&Key::new(len, ip.octets()), value, 0),
        }
        .expect("insert limit entry");
    }

    /// Every overflow event waiting on the ring.
    pub fn drain_events(&mut self) -> Vec<OverflowEvent> {
        let mut events = Vec::new();
        while let Some(item) = self.events.next() {
            assert_eq!(item.len(), size_of::<OverflowEvent>(), "event size");
            // SAFETY: the length matches and OverflowEvent is plain old data.
            events.push(unsafe { item.as_ptr().cast::<OverflowEvent>().read_unaligned() });
        }
        events
    }
}

/// Rows of the test copies' ban tables (the real ones have `table::BLOCK_ROWS`).
pub const TABLE_ROWS: u32 = 256;
/// Rows of the test copies' bucket tables (the real ones have `bucket::ROWS_V4` / `_V6`).
pub const BUCKET_ROWS: u32 = 1024;

/// Splits `addr/len`.
pub fn parse_cidr(cidr: &str) -> (IpAddr, u32) {
    let (ip, len) = cidr.split_once('/').expect("CIDR with a prefix length");
    (
        ip.parse().expect("an IP address"),
        len.parse().expect("a prefix length"),
    )
}

/// `CLOCK_MONOTONIC` now, the clock of `bpf_ktime_get_ns`.
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// The bucket / DROPS key of an IPv4 source (per address).
pub fn v4_key(ip: Ipv4Addr) -> SourceKey {
    let mut addr = [0u8; 16];
    addr[..4].copy_from_slice(&ip.octets());
    SourceKey {
        family: family::V4,
        prefix_len: 32,
        addr,
    }
}

/// The bucket / DROPS key of an IPv6 prefix.
pub fn v6_key(prefix: Ipv6Addr, prefix_len: u32) -> SourceKey {
    SourceKey {
        family: family::V6,
        prefix_len,
        addr: prefix.octets(),
    }
}

/// The default configuration with a rate limit.
pub fn limited(pps: u64, burst: u64) -> EdgeConfig {
    EdgeConfig {
        rate: RateLimit { pps, burst },
        ..EdgeConfig::DEFAULT
    }
}

/// Destination of every IPv4 test frame.
pub const DST4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// Destination of every IPv6 test frame.
pub const DST6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 1);

/// Shorthand for an IPv4 address.
pub fn v4(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

/// Parses an IPv6 address.
pub fn v6(s: &str) -> Ipv6Addr {
    s.parse().expect("IPv6 address")
}
