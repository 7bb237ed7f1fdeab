//! Unit tests of the ban manager without XDP (the in-process set only).
use super::*;

fn cfg() -> BansConfig {
    BansConfig {
        threshold: 10,
        ttl: crate::config::Duration::from_secs(600),
        max_ttl: crate::config::Duration::from_secs(3600),
        prefix_v4: 24,
        prefix_v6: 64,
        ..BansConfig::default()
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn crossing_the_threshold_bans_the_masked_network() {
    let m = BanManager::new(cfg(), vec![], "a".into(), None);
    assert!(
        m.offense(ip("198.18.7.9"), OffenseKind::Waf, "942100")
            .is_none()
    );
    let d = m
        .offense(ip("198.18.7.9"), OffenseKind::Waf, "942100")
        .expect("banned");
    assert_eq!(d.net, "198.18.7.0/24".parse::<IpNet>().unwrap());
    assert_eq!(d.reason, BanReason::Waf);
    assert_eq!(d.ttl, Duration::from_secs(600));
    assert!(m.is_banned(ip("198.18.7.200")));
    assert!(!m.is_banned(ip("198.18.8.1")));
}

#[test]
fn ipv6_offenders_are_banned_by_their_64() {
    let m = BanManager::new(cfg(), vec![], "a".into(), None);
    for _ in 0..5 {
        m.offense(ip("2001:db8:1:2:3::9"), OffenseKind::Auth, "bad key");
    }
    assert!(m.is_banned(ip("2001:db8:1:2:ffff::1")));
    assert!(!m.is_banned(ip("2001:db8:1:3::1")));
}

#[test]
fn allowlisted_addresses_and_trusted_proxies_are_never_banned() {
    let mut c = cfg();
    c.allow = vec!["198.18.1.0/24".parse().unwrap()];
    let m = BanManager::new(c, vec!["198.18.2.1/32".parse().unwrap()], "a".into(), None);
    for _ in 0..100 {
        assert!(m.offense(ip("198.18.1.5"), OffenseKind::Waf, "").is_none());
        assert!(m.offense(ip("198.18.2.1"), OffenseKind::Waf, "").is_none());
    }
    assert!(!m.is_banned(ip("198.18.1.5")));
    assert!(!m.is_banned(ip("198.18.2.1")));
    assert!(!m.ban(
        "198.18.1.0/24".parse().unwrap(),
        None,
        BanReason::Manual,
        Origin::Manual,
        serde_json::Value::Null
    ));
}

#[test]
fn repeat_offenders_get_doubled_bans_up_to_the_cap() {
    assert_eq!(
        escalate(Duration::from_secs(600), Duration::from_secs(3600), 0),
        Duration::from_secs(600)
    );
    assert_eq!(
        escalate(Duration::from_secs(600), Duration::from_secs(3600), 1),
        Duration::from_secs(1200)
    );
    assert_eq!(
        escalate(Duration::from_secs(600), Duration::from_secs(3600), 2),
        Duration::from_secs(2400)
    );
    assert_eq!(
        escalate(Duration::from_secs(600), Duration::from_secs(3600), 3),
        Duration::from_secs(3600)
    );
    assert_eq!(
        escalate(Duration::from_secs(600), Duration::from_secs(3600), 200),
        Duration::from_secs(3600)
    );

    let m = BanManager::new(cfg(), vec![], "a".into(), None);
    let first = (0..2)
        .find_map(|_| m.offense(ip("198.18.9.1"), OffenseKind::Waf, ""))
        .unwrap();
    m.unban(first.net, Origin::Manual);
    assert!(!m.is_banned(ip("198.18.9.1")));
    let second = (0..2)
        .find_map(|_| m.offense(ip("198.18.9.1"), OffenseKind::Waf, ""))
        .unwrap();
    assert_eq!(second.repeat, 1);
    assert_eq!(second.ttl, Duration::from_secs(1200));
}

#[test]
fn remote_bans_are_enforced_with_reason_cluster_and_expired_ones_ignored() {
    let m = BanManager::new(cfg(), vec![], "b".into(), None);
    m.apply_remote(&ClusterMsg {
        op: Op::Add,
        cidr: "198.18.3.0/24".into(),
        expires_unix: Some(unix_now() + 60),
        reason: "waf".into(),
        node: "a".into(),
        sent_ms: unix_ms(),
    });
    m.apply_remote(&ClusterMsg {
        op: Op::Add,
        cidr: "198.18.4.0/24".into(),
        expires_unix: Some(unix_now() - 1),
        reason: "waf".into(),
        node: "a".into(),
        sent_ms: 0,
    });
    assert!(m.is_banned(ip("198.18.3.3")));
    assert!(!m.is_banned(ip("198.18.4.4")));
    assert_eq!(m.active()[0].1.reason, BanReason::Cluster);
    assert!(
        m.metrics_text()
            .contains("gateway_bans_active{reason=\"cluster\"} 1")
    );
}

#[test]
fn decisions_are_handed_to_the_cluster_publisher() {
    let m = BanManager::new(cfg(), vec![], "a".into(), None);
    let (tx, mut rx) = mpsc::unbounded_channel();
    m.set_publisher(tx);
    (0..2)
        .find_map(|_| m.offense(ip("198.18.5.1"), OffenseKind::Waf, ""))
        .unwrap();
    let msg = rx.try_recv().unwrap();
    assert_eq!(
        (msg.op, msg.cidr.as_str(), msg.node.as_str()),
        (Op::Add, "198.18.5.0/24", "a")
    );
}

#[test]
fn a_repeat_offender_still_gets_a_longer_ban_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("offenders.json");
    let ban_once = |m: &BanManager| loop {
        if let Some(d) = m.offense(ip("198.18.9.9"), OffenseKind::Waf, "942100") {
            break d;
        }
    };
    let first = BanManager::new(cfg(), vec![], "a".into(), None).with_offenders_file(file.clone());
    assert_eq!(ban_once(&first).ttl, Duration::from_secs(600));
    drop(first);
    // A new process: nothing in memory, only the file.
    let again = BanManager::new(cfg(), vec![], "a".into(), None).with_offenders_file(file);
    let d = ban_once(&again);
    assert_eq!(d.repeat, 1);
    assert_eq!(d.ttl, Duration::from_secs(1200));
}
