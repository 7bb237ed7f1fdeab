//! Semantic checks of listeners and the admin listener: unique names, binds that
//! do not collide, TLS files that exist, mutual TLS that has a CA, and an admin
//! listener that stays on loopback unless it requires client certificates.
use std::{collections::BTreeMap, net::SocketAddr};

use super::{
    model::{ClientAuth, Config, ListenerTls},
    tree::{Kind, Node, Seg},
    validate::{Checker, I, K, Origins, Pem, valid_name},
};

/// Checks listeners and the admin listener: names, bind conflicts, TLS files.
pub(crate) fn check(config: &mut Config, origins: &Origins, c: &mut Checker<'_>) {
    if !has_items(c.root, "listeners") {
        let at = if c.root.get("listeners").is_some() {
            vec![K("listeners")]
        } else {
            vec![]
        };
        c.err(&at, "no listeners: add at least one under `listeners:` (e.g. `- { name: plain, bind: 127.0.0.1:8080 }`)");
    }
    if !has_items(c.root, "routes") && !config.listeners.is_empty() {
        c.warn(
            &[K("routes")],
            "no routes: every request will be answered 404",
        );
    }
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    // (bind address, path) of every socket, admin included, to find conflicts.
    let mut binds: Vec<(SocketAddr, Vec<Seg<'static>>, String)> = Vec::new();
    for (i, l) in config.listeners.iter_mut().enumerate() {
        let at = origins.listeners.get(i).copied().unwrap_or(i);
        if !valid_name(&l.name) {
            c.err(
                &[K("listeners"), I(at), K("name")],
                format!(
                    "listener name `{}` must be letters, digits, `_`, `-` or `.`",
                    l.name
                ),
            );
        }
        let line = c.line(&[K("listeners"), I(at), K("name")]);
        if let Some(first) = names.insert(l.name.clone(), line) {
            c.err(
                &[K("listeners"), I(at), K("name")],
                format!(
                    "duplicate listener name `{}` (first used at line {first})",
                    l.name
                ),
            );
        }
        binds.push((
            l.bind,
            vec![K("listeners"), I(at), K("bind")],
            format!("listener `{}`", l.name),
        ));
        if let Some(tls) = &mut l.tls {
            listener_tls(tls, &[K("listeners"), I(at), K("tls")], c);
        }
    }
    if let Some(admin) = &mut config.admin {
        binds.push((
            admin.bind,
            vec![K("admin"), K("bind")],
            "the admin listener".to_string(),
        ));
        let mutual = admin
            .tls
            .as_ref()
            .is_some_and(|t| t.client_auth == ClientAuth::Required);
        if !admin.bind.ip().is_loopback() && !mutual {
            c.err(
                &[K("admin"), K("bind")],
                format!(
                    "the admin listener binds {} which is not loopback: bind 127.0.0.1 or ::1, or give it `tls` with `client_auth: required`",
                    admin.bind
                ),
            );
        }
        if let Some(tls) = &mut admin.tls {
            listener_tls(tls, &[K("admin"), K("tls")], c);
        }
    }
    for (j, (addr, path, who)) in binds.iter().enumerate() {
        if let Some((_, _, first)) = binds[..j]
            .iter()
            .find(|(other, _, _)| conflicts(*addr, *other))
        {
            c.err(
                path,
                format!("{who} binds {addr}, which conflicts with {first}"),
            );
        }
    }
}

/// True when the top-level list `key` has at least one item in the file (whether
/// or not the items deserialized).
fn has_items(root: &Node, key: &str) -> bool {
    matches!(root.get(key).map(|n| &n.kind), Some(Kind::Seq(items)) if !items.is_empty())
}

/// Two binds conflict when they share a port and an address, or one is a wildcard.
fn conflicts(a: SocketAddr, b: SocketAddr) -> bool {
    a.port() == b.port()
        && a.port() != 0
        && (a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified())
}

fn listener_tls(tls: &mut ListenerTls, at: &[Seg<'_>], c: &mut Checker<'_>) {
    let sub = |k: &'static str| -> Vec<Seg<'_>> {
        let mut p = at.to_vec();
        p.push(K(k));
        p
    };
    c.pem_file(&sub("cert"), &mut tls.cert, Pem::Chain);
    c.pem_file(&sub("key"), &mut tls.key, Pem::Key);
    for (i, pair) in tls.sni.iter_mut().enumerate() {
        let mut p = sub("sni");
        p.push(I(i));
        let mut cert = p.clone();
        cert.push(K("cert"));
        c.pem_file(&cert, &mut pair.cert, Pem::Chain);
        p.push(K("key"));
        c.pem_file(&p, &mut pair.key, Pem::Key);
    }
    match (&mut tls.client_ca, tls.client_auth) {
        (Some(ca), auth) => {
            c.pem_file(&sub("client_ca"), ca, Pem::CaBundle);
            if auth == ClientAuth::None {
                c.warn(&sub("client_ca"), "`client_ca` is set but `client_auth` is none: no client certificate will be asked for");
            }
        }
        (None, ClientAuth::None) => {}
        (None, _) => c.err(&sub("client_auth"), "`client_auth` needs `client_ca`, the CA bundle client certificates are verified against"),
    }
    if let Some(crl) = &mut tls.client_crl {
        c.pem_file(&sub("client_crl"), crl, Pem::Crl);
        if tls.client_auth == ClientAuth::None {
            c.warn(&sub("client_crl"), "`client_crl` is set but `client_auth` is none: no client certificate will be asked for");
        }
    }
}
