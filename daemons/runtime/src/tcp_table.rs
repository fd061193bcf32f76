//! The kernel's TCP sockets of this network namespace, read from `/proc/net/tcp` and
//! `/proc/net/tcp6`: which connections a node still serves on some addresses (a drained
//! balancer waits for them; a new VRRP master keeps them local).
//!
//! Each line: `sl local rem st ...`, addresses as hex words in the kernel's byte order
//! (`0100007F:1F90` is 127.0.0.1:8080 on a little-endian host), the state as a hex number.
//! A dual-stack listener (HAProxy `v4v6`, nginx `ipv6only=off`) has its IPv4 connections in
//! `/proc/net/tcp6` as `::ffff:a.b.c.d`: they are read as the IPv4 addresses they are.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// `include/net/tcp_states.h`.
pub const TCP_ESTABLISHED: u8 = 0x01;
pub const TCP_TIME_WAIT: u8 = 0x06;
pub const TCP_CLOSE: u8 = 0x07;
pub const TCP_LISTEN: u8 = 0x0a;

/// One socket that is not listening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpConnection {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: u8,
}

impl TcpConnection {
    /// Data may still flow: neither TIME_WAIT nor closed.
    pub fn is_open(&self) -> bool {
        !matches!(self.state, TCP_TIME_WAIT | TCP_CLOSE | TCP_LISTEN)
    }
}

/// The connections (every state but LISTEN) whose local address is within one of
/// `prefixes` (address, length).
pub fn connections_on(prefixes: &[(IpAddr, u8)]) -> io::Result<Vec<TcpConnection>> {
    let mut found = Vec::new();
    if prefixes.is_empty() {
        return Ok(found);
    }
    // IPv4 connections may be in either file (see the module comment).
    let wants_v4 = prefixes.iter().any(|(address, _)| address.is_ipv4());
    for (path, wanted) in [("/proc/net/tcp", wants_v4), ("/proc/net/tcp6", true)] {
        if !wanted {
            continue;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            // No IPv6 in this kernel: no IPv6 connections.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        found.extend(parse(&text).filter(|connection| {
            prefixes
                .iter()
                .any(|(prefix, len)| contains(*prefix, *len, connection.local.ip()))
        }));
    }
    Ok(found)
}

/// The non-listening sockets of one table's text; lines that do not parse are skipped.
pub fn parse(text: &str) -> impl Iterator<Item = TcpConnection> + '_ {
    text.lines().skip(1).filter_map(parse_line)
}

fn parse_line(line: &str) -> Option<TcpConnection> {
    let mut fields = line.split_whitespace().skip(1);
    let local = parse_endpoint(fields.next()?)?;
    let remote = parse_endpoint(fields.next()?)?;
    let state = u8::from_str_radix(fields.next()?, 16).ok()?;
    (state != TCP_LISTEN).then_some(TcpConnection { local, remote, state })
}

/// `address` is within `prefix/len`.
pub fn contains(prefix: IpAddr, len: u8, address: IpAddr) -> bool {
    match (prefix, address) {
        (IpAddr::V4(prefix), IpAddr::V4(address)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(len.min(32))).unwrap_or(0);
            u32::from(prefix) & mask == u32::from(address) & mask
        }
        (IpAddr::V6(prefix), IpAddr::V6(address)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(len.min(128))).unwrap_or(0);
            u128::from(prefix) & mask == u128::from(address) & mask
        }
        _ => false,
    }
}

fn parse_endpoint(text: &str) -> Option<SocketAddr> {
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let address = match address.len() {
        8 => IpAddr::V4(Ipv4Addr::from(word(address)?)),
        32 => {
            let mut bytes = [0u8; 16];
            for (index, chunk) in bytes.chunks_exact_mut(4).enumerate() {
                chunk.copy_from_slice(&word(address.get(index * 8..index * 8 + 8)?)?);
            }
            let address = Ipv6Addr::from(bytes);
            address.to_ipv4_mapped().map_or(IpAddr::V6(address), IpAddr::V4)
        }
        _ => return None,
    };
    Some(SocketAddr::new(address, port))
}

/// One 32-bit word as the kernel printed it (`%08X` of the word in memory): its bytes in
/// memory order, which is network order.
fn word(hex: &str) -> Option<[u8; 4]> {
    u32::from_str_radix(hex, 16).ok().map(u32::to_ne_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written the way the kernel would on this host, whatever its byte order.
    fn hex4(address: Ipv4Addr) -> String {
        format!("{:08X}", u32::from_ne_bytes(address.octets()))
    }

    fn hex6(address: Ipv6Addr) -> String {
        address
            .octets()
            .chunks_exact(4)
            .map(|chunk| format!("{:08X}", u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]])))
            .collect()
    }

    #[test]
    fn ipv4_lines_are_read_and_listeners_skipped() {
        let vip = Ipv4Addr::new(203, 0, 113, 10);
        let client = Ipv4Addr::new(198, 51, 100, 2);
        let text = format!(
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
             \x20  0: {}:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n\
             \x20  1: {}:0050 {}:9C40 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n\
             \x20  2: {}:0050 {}:9C41 06 00000000:00000000 00:00000000 00000000     0        0 0 1\n\
             garbage\n",
            hex4(vip),
            hex4(vip),
            hex4(client),
            hex4(vip),
            hex4(client),
        );
        let found: Vec<TcpConnection> = parse(&text).collect();
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].local, SocketAddr::new(IpAddr::V4(vip), 80));
        assert_eq!(found[0].remote, SocketAddr::new(IpAddr::V4(client), 40_000));
        assert!(found[0].is_open());
        assert_eq!(found[1].state, TCP_TIME_WAIT);
        assert!(!found[1].is_open());
    }

    #[test]
    fn ipv6_lines_are_read() {
        let vip: Ipv6Addr = "2001:db8::10".parse().unwrap();
        let client: Ipv6Addr = "2001:db8:1::2".parse().unwrap();
        let text = format!(
            "header\n   0: {}:01BB {}:C350 08 0:0 0:0 0 0 0 3 1\n",
            hex6(vip),
            hex6(client)
        );
        let found: Vec<TcpConnection> = parse(&text).collect();
        assert_eq!(
            found,
            [TcpConnection {
                local: SocketAddr::new(IpAddr::V6(vip), 443),
                remote: SocketAddr::new(IpAddr::V6(client), 50_000),
                state: 0x08,
            }]
        );
    }

    #[test]
    fn mapped_ipv4_in_the_ipv6_table_is_ipv4() {
        let vip: Ipv6Addr = "::ffff:203.0.113.10".parse().unwrap();
        let client: Ipv6Addr = "::ffff:198.51.100.2".parse().unwrap();
        let text = format!(
            "header\n   0: {}:0050 {}:9C40 01 0:0 0:0 0 0 0 3 1\n",
            hex6(vip),
            hex6(client)
        );
        let found: Vec<TcpConnection> = parse(&text).collect();
        assert_eq!(found[0].local, "203.0.113.10:80".parse().unwrap());
        assert_eq!(found[0].remote, "198.51.100.2:40000".parse().unwrap());
    }

    #[test]
    fn prefixes_contain_their_addresses() {
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        assert!(contains(ip("203.0.113.0"), 24, ip("203.0.113.10")));
        assert!(!contains(ip("203.0.113.0"), 24, ip("203.0.114.10")));
        assert!(contains(ip("203.0.113.10"), 32, ip("203.0.113.10")));
        assert!(!contains(ip("203.0.113.10"), 32, ip("203.0.113.11")));
        assert!(contains(ip("0.0.0.0"), 0, ip("192.0.2.1")));
        assert!(contains(ip("2001:db8::"), 64, ip("2001:db8::10")));
        assert!(!contains(ip("2001:db8::10"), 128, ip("2001:db8::11")));
        assert!(!contains(ip("2001:db8::"), 64, ip("203.0.113.10")));
    }

    #[test]
    fn malformed_lines_are_skipped() {
        let text = "header\n 0: 0100007F 00000000:0000 01\n 1: 0100007F:ZZZZ 00000000:0000 01\n 2: 01:0050 00000000:0000 01\n 3: 0100007F:0050 00000000:0000 1FF\n";
        assert_eq!(parse(text).count(), 0);
    }

    #[test]
    fn this_hosts_table_reads() {
        // Whatever the namespace holds, reading it must work (both files exist on Linux).
        connections_on(&[(IpAddr::V4(Ipv4Addr::LOCALHOST), 32)]).expect("/proc/net/tcp");
    }
}
