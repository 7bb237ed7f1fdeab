//! SSRF host rules (931170-931173): URLs whose host is the server's own side of
//! the network, however it is spelled. `files.rs` has the scheme, IP-literal and
//! cloud-metadata rules; these look at what the host resolves to.
//!
//! A plain public URL (a documentation link) names none of these, so the forms
//! no benign client writes (an IP in octal or as one integer, an IP inside a DNS
//! name, a loopback IPv6 literal, a cluster-internal name) count anywhere; a
//! loopback URL counts when it is the whole value; private-network addresses and
//! local names, which a device or intranet API may legitimately take, wait for
//! paranoia 2.
use super::pipelines::*;
use super::targets::*;
use super::{Category::Rfi, Check::*, RuleDef, Severity::*, rule};

/// A URL start with a scheme, anywhere in the value, and its optional userinfo.
macro_rules! url_start {
    () => {
        r"(?:^|[^\w.+-])[a-z][\w+.-]{0,15}:+//(?:[^/@\s?#\\]*@)?"
    };
}

/// The value is a URL (scheme optional: `//host`), and its optional userinfo.
macro_rules! whole_url_start {
    () => {
        r"^\s*(?:[a-z][\w+.-]{0,15}:+)?//(?:[^/@\s?#\\]*@)?"
    };
}

/// What ends a host: a port, the path, query or fragment, or the value.
macro_rules! host_end {
    () => {
        r"\.?(?:[:/?#\\]|\s|$)"
    };
}

pub(super) fn rules() -> Vec<RuleDef> {
    vec![
        rule(
            931170,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            // IPv4 as browsers and `inet_aton` read it but nobody writes it: a part
            // in octal or hex (`0177.0.0.1`, `0x7f.1`), fewer than four parts
            // (`127.1`), one integer (`2130706433`); and IPv6 literals for the
            // loopback, unspecified, IPv4-mapped, unique-local and link-local
            // addresses (`[::1]`, `[::ffff:127.0.0.1]`, `[fe80::1%eth0]`); a host
            // spelled with Unicode look-alike digits or dots (`①②⑦.⓪.⓪.①`, `127。0。0。1`).
            Regex(concat!(
                url_start!(),
                r"(?:(?:(?:0x[0-9a-f]+|\d+)\.)*(?:0\d+|0x[0-9a-f]+)(?:\.(?:0x[0-9a-f]+|\d+))*|\d+(?:\.\d+){0,2})",
                host_end!(),
                "|",
                url_start!(),
                r"\[(?:[0:]*:(?:0*1?|ffff:[0-9a-f.:]+|(?:\d{1,3}\.){3}\d{1,3})|(?:f[cd][0-9a-f]{0,2}|fe[89ab][0-9a-f])(?::[0-9a-f.]*)+)(?:%[^\]]*)?\]|",
                url_start!(),
                r"[^/\s?#]*[\x{2460}-\x{24ff}\x{2776}-\x{2793}\x{3002}\x{ff0e}\x{ff61}\x{ff10}-\x{ff19}]"
            )),
            "SSRF: IP address in an obfuscated notation or an internal IPv6 literal",
        ),
        rule(
            931171,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            // Names that resolve inside: a DNS name carrying a loopback, private or
            // link-local IP (`127.0.0.1.nip.io`, `10-0-0-1.sslip.io`,
            // `169.254.169.254.evil.com`), the wildcard-DNS and rebinding services
            // themselves, out-of-band callback services, and cluster-internal names
            // (`*.internal`, `*.svc`, `*.cluster.local`, `*.consul`,
            // `kubernetes.default`, `instance-data`); and the cloud metadata paths
            // on any host (`/latest/meta-data/`, `/computeMetadata/v1/`).
            Regex(concat!(
                url_start!(),
                r"(?:[\w.-]*[.-])?(?:(?:127|0|10)(?:[.-]\d{1,3}){3}|(?:169[.-]254|192[.-]168|172[.-](?:1[6-9]|2\d|3[01]))(?:[.-]\d{1,3}){2})[.-][a-z]",
                "|",
                url_start!(),
                r"(?:[\w-]+\.)*(?:(?:nip|sslip|xip)\.io|nip\.direct|localtest\.me|lvh\.me|vcap\.me|1u\.ms|rbndr\.us|burpcollaborator\.net|oastify\.com|interact\.sh|oast\.(?:pro|live|site|online|fun|me)|dnslog\.cn|ceye\.io|[\w-]+\.(?:internal|svc|consul|cluster\.local)|kubernetes(?:\.default)?|metadata|instance-data)",
                host_end!(),
                "|",
                url_start!(),
                r"[^/\s?#]*/(?:latest/(?:meta-data|user-data|dynamic|api/token)|computemetadata/v1|metadata/(?:instance|identity|v1)|opc/v[12]/|openstack/latest/|v2/credentials/)"
            )),
            "SSRF: host name that resolves to an internal address or a callback service",
        ),
        rule(
            931172,
            Rfi,
            1,
            Critical,
            ATTACK,
            DEC,
            // The whole value is a URL to the loopback, unspecified or link-local
            // address; for
            // `localhost`, on the default port or a database or admin service port
            // (a developer's callback on `localhost:8080` goes on).
            Regex(concat!(
                whole_url_start!(),
                r"(?:127(?:\.\d{1,3}){3}|0\.0\.0\.0|169\.254(?:\.\d{1,3}){2})(?:[:/?#\\]|\s*$)|",
                whole_url_start!(),
                r"localhost(?:\.localdomain)?\.?(?:[/?#\\]|\s*$|:0*(?:21|22|23|25|80|110|111|135|139|143|389|443|445|873|1433|1521|2049|2375|2376|2379|3306|3389|5432|5601|5672|5984|6379|6443|7001|8500|8983|9042|9200|9300|10250|10255|11211|15672|27017|50070)(?:[/?#\\]|\s*$))"
            )),
            "SSRF: URL to the loopback address",
        ),
        rule(
            931173,
            Rfi,
            2,
            Critical,
            ATTACK,
            DEC,
            // The whole value is a URL to a private-network address or a local name
            // (`*.local`, `*.lan`, `*.corp`, `*.home.arpa`).
            Regex(concat!(
                whole_url_start!(),
                r"(?:10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|(?:[\w-]+\.)+(?:local|localdomain|lan|intranet|corp|home\.arpa|localhost))",
                host_end!()
            )),
            "SSRF: URL to a private-network address or a local name",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use crate::waf::rules::fires;

    #[test]
    fn ipv4_in_other_notations_and_internal_ipv6_fire_but_public_urls_do_not() {
        for a in [
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://0x7f.1/",
            "http://2130706433/",
            "http://0x7f000001:6379/",
            "http://017700000001/",
            "url=http://evil.com@127.1/admin",
            "http://[::1]/",
            "http://[::]:80/",
            "http://[0:0:0:0:0:0:0:1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[fe80::1%25eth0]/",
            "gopher://[fd00::1]:6379/_INFO",
            "http://①②⑦.⓪.⓪.①/",
            "http://127。0。0。1/",
        ] {
            assert!(fires(931170, a), "missed {a}");
        }
        for b in [
            "https://developer.mozilla.org/docs/Web/API/Element",
            "http://93.184.216.34/",
            "https://example.com:8443/v1.2.3/",
            "https://w3c.github.io/webrtc-stats/#dom-rtc",
            "http://[2001:db8::1]/",
            "version 1.2 of http://a.io/x",
            "https://tc39.es/ecma262/2024/",
        ] {
            assert!(!fires(931170, b), "flagged {b}");
        }
    }

    #[test]
    fn names_resolving_inside_fire_but_public_names_do_not() {
        for a in [
            "http://127.0.0.1.nip.io/",
            "http://nip.io/",
            "http://10-0-0-1.sslip.io/",
            "http://magic-127-0-0-1.sslip.io/",
            "http://169.254.169.254.evil.com/",
            "http://spoofed.burpcollaborator.net/",
            "http://x.oastify.com/",
            "http://consul.service.consul:8500/v1/agent/members",
            "http://kubernetes.default.svc/api/v1/pods",
            "https://kubernetes.default.svc.cluster.local/api",
            "http://ip-10-0-0-1.ec2.internal/",
            "http://instance-data/latest/",
            "http://evil.com/latest/meta-data/iam/security-credentials/",
            "http://[fd00:ec2::254]/computeMetadata/v1/",
        ] {
            assert!(fires(931171, a), "missed {a}");
        }
        for b in [
            "https://ec2-54-1-2-3.compute-1.amazonaws.com/",
            "http://docs-10-2.example.com/",
            "https://developer.mozilla.org/docs/Web/API/Element",
            "https://www.internal-tools.example.com/",
            "https://svc.example.com/",
            "the internal service is down",
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instancedata-data-retrieval.html",
            "https://example.com/metadata/",
        ] {
            assert!(!fires(931171, b), "flagged {b}");
        }
    }

    #[test]
    fn loopback_urls_fire_but_a_dev_callback_does_not() {
        for a in [
            "http://127.0.0.1:6379/",
            "http://127.0.0.1/admin",
            "http://0.0.0.0:8080/",
            "http://localhost/",
            "http://localhost/server-status",
            "http://localhost:6379/",
            "//localhost:11211",
            "http://169.254.170.2/v2/credentials",
        ] {
            assert!(fires(931172, a), "missed {a}");
        }
        for b in [
            "http://localhost:8080/api/v1/users",
            "http://localhost:3000",
            "View the website at: http://localhost:3000",
            "https://localhost.example.com/",
            "http://127.0.0.1.example/",
        ] {
            assert!(!fires(931172, b), "flagged {b}");
        }
    }

    #[test]
    fn private_addresses_and_local_names_fire() {
        for a in [
            "http://10.0.0.5:8080/hook",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://printer.local/",
            "http://db.corp:5432/",
        ] {
            assert!(fires(931173, a), "missed {a}");
        }
        for b in [
            "http://172.32.0.1/",
            "https://developer.mozilla.org/",
            "https://local.example.com/",
        ] {
            assert!(!fires(931173, b), "flagged {b}");
        }
    }
}
