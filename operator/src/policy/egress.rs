//! Where a policy's `http` capability may go, beyond its `allowedHosts`: never to the
//! operator's own machine, link-local addresses (cloud metadata at 169.254.169.254) or other
//! addresses that are not a host on a network, and to private ranges (the cluster's pods and
//! Services among them) only when the operator is started to allow them. An allow-list entry
//! is a name; what the name resolves to is checked here, on each address the client may
//! connect to, so a name that resolves to `127.0.0.1` is refused as `127.0.0.1` is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a policy may not reach `ip`, or `None` when it may.
pub fn refusal(ip: IpAddr, allow_private: bool) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => refusal_v4(v4, allow_private),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => refusal_v4(v4, allow_private),
            None => refusal_v6(v6, allow_private),
        },
    }
}

fn refusal_v4(ip: Ipv4Addr, allow_private: bool) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    if ip.is_loopback() {
        Some("a loopback address")
    } else if ip.is_link_local() {
        Some("a link-local address")
    } else if ip.is_unspecified() || a == 0 || ip.is_broadcast() || ip.is_multicast() || a >= 240 {
        Some("not a unicast host address")
    } else if !allow_private && (ip.is_private() || (a == 100 && (64..128).contains(&b))) {
        // 100.64/10 (shared address space) is where many clusters put pods and Services.
        Some("a private address (the operator allows those only with --policy-http-allow-private)")
    } else {
        None
    }
}

fn refusal_v6(ip: Ipv6Addr, allow_private: bool) -> Option<&'static str> {
    let first = ip.segments()[0];
    if ip.is_loopback() {
        Some("a loopback address")
    } else if first & 0xffc0 == 0xfe80 {
        Some("a link-local address")
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some("not a unicast host address")
    } else if !allow_private && first & 0xfe00 == 0xfc00 {
        Some("a private address (the operator allows those only with --policy-http-allow-private)")
    } else {
        None
    }
}

/// Request headers a guest may not set: `Host` would let an allowed address serve a name
/// that is not allowed, and hop-by-hop headers belong to the connection the host owns.
pub fn refused_header(name: &str) -> bool {
    const HEADERS: &[&str] = &[
        "host",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "proxy-authenticate",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
    ];
    HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_link_local_and_private_ranges_are_refused() {
        let table: &[(&str, Option<&str>, Option<&str>)] = &[
            // address, refused by default, refused with private ranges allowed
            ("127.0.0.1", Some("loopback"), Some("loopback")),
            ("127.8.9.10", Some("loopback"), Some("loopback")),
            ("::1", Some("loopback"), Some("loopback")),
            ("::ffff:127.0.0.1", Some("loopback"), Some("loopback")),
            ("169.254.169.254", Some("link-local"), Some("link-local")),
            ("fe80::1", Some("link-local"), Some("link-local")),
            ("0.0.0.0", Some("unicast"), Some("unicast")),
            ("::", Some("unicast"), Some("unicast")),
            ("255.255.255.255", Some("unicast"), Some("unicast")),
            ("224.0.0.1", Some("unicast"), Some("unicast")),
            ("10.96.0.1", Some("private"), None),
            ("172.16.4.2", Some("private"), None),
            ("192.168.1.1", Some("private"), None),
            ("100.64.0.10", Some("private"), None),
            ("fd00::5", Some("private"), None),
            ("::ffff:10.0.0.1", Some("private"), None),
            ("93.184.215.14", None, None),
            ("2606:4700::1111", None, None),
            ("172.32.0.1", None, None),
        ];
        for (ip, default, with_private) in table {
            let ip: IpAddr = ip.parse().unwrap();
            for (allow, want) in [(false, default), (true, with_private)] {
                let got = refusal(ip, allow);
                match want {
                    Some(word) => {
                        assert!(got.is_some_and(|g| g.contains(word)), "{ip} {allow}: {got:?}")
                    }
                    None => assert_eq!(got, None, "{ip} {allow}"),
                }
            }
        }
    }

    #[test]
    fn host_and_hop_by_hop_headers_are_the_hosts() {
        for h in ["Host", "host", " HOST", "Connection", "Transfer-Encoding", "Upgrade", "TE"] {
            assert!(refused_header(h), "{h}");
        }
        for h in ["Accept", "Authorization", "X-Request-Id", "User-Agent"] {
            assert!(!refused_header(h), "{h}");
        }
    }
}
