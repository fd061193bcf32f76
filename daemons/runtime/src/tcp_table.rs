//! The kernel's TCP sockets of this network namespace, read from `/proc/net/tcp` and
//! `/proc/net/tcp6`: which connections a node still serves on some addresses (a drained
//! balancer waits for them; a new VRRP master keeps them local).
//!
//! Each line: `sl local rem st ...`, addresses as hex words in the kernel's byte order
//! (`0100007F:1F90` is 127.0.0.1:8080 on a little-endian host), the state as a hex number.

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

/// The connections (every state but LISTEN) whose local address is one of `addresses`.
pub fn connections_on(addresses: &[IpAddr]) -> io::Result<Vec<TcpConnection>> {
    let mut found = Vec::new();
    let wants_v4 = addresses.iter().any(IpAddr::is_ipv4);
    let wants_v6 = addresses.iter().any(IpAddr::is_ipv6);
    for (path, wanted) in [("/proc/net/tcp", wants_v4), ("/proc/net/tcp6", wants_v6)] {
        if !wanted {
            continue;
        }
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            // No IPv6 in this kernel: no IPv6 connections.
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error),
        };
        found.extend(parse(&text).filter(|connection| addresses.contains(&connection.local.ip())));
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
            IpAddr::V6(Ipv6Addr::from(bytes))
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
    fn malformed_lines_are_skipped() {
        let text = "header\n 0: 0100007F 00000000:0000 01\n 1: 0100007F:ZZZZ 00000000:0000 01\n 2: 01:0050 00000000:0000 01\n 3: 0100007F:0050 00000000:0000 1FF\n";
        assert_eq!(parse(text).count(), 0);
    }

    #[test]
    fn this_hosts_table_reads() {
        // Whatever the namespace holds, reading it must work (both files exist on Linux).
        connections_on(&[IpAddr::V4(Ipv4Addr::LOCALHOST)]).expect("/proc/net/tcp");
    }
}
