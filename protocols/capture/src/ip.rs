//! Link-layer headers to IP datagrams, and IPv4/IPv6 headers to [`Datagram`]s.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::file::Endian;
use crate::{Datagram, Family, Options};

const ETHERTYPE_IPV4: u16 = 0x0800;
const ETHERTYPE_IPV6: u16 = 0x86dd;
const ETHERTYPE_VLAN: [u16; 3] = [0x8100, 0x88a8, 0x9100];
/// BSD loopback address families: AF_INET, then AF_INET6 as FreeBSD, OpenBSD/NetBSD, Darwin
/// and Linux number it.
const AF_INET: u32 = 2;
const AF_INET6: [u32; 4] = [28, 24, 30, 10];
const IPV6_HOP_BY_HOP: u8 = 0;
const IPV6_FRAGMENT: u8 = 44;

const NETWORK: Endian = Endian::Big;

fn is_ip(ethertype: u16) -> bool {
    ethertype == ETHERTYPE_IPV4 || ethertype == ETHERTYPE_IPV6
}

/// The IP datagram inside a frame, if it holds one.
pub(crate) fn link_payload(link_type: u32, frame: &[u8]) -> Option<&[u8]> {
    match link_type {
        // LINKTYPE_ETHERNET: skip VLAN tags to the EtherType.
        1 => {
            let mut at = 12;
            let mut ethertype = NETWORK.u16(frame, at)?;
            while ETHERTYPE_VLAN.contains(&ethertype) {
                at += 4;
                ethertype = NETWORK.u16(frame, at)?;
            }
            is_ip(ethertype).then(|| frame.get(at + 2..)).flatten()
        }
        // LINKTYPE_LINUX_SLL: protocol at 14, 16-byte header.
        113 => is_ip(NETWORK.u16(frame, 14)?).then(|| frame.get(16..)).flatten(),
        // LINKTYPE_LINUX_SLL2: protocol at 0, 20-byte header.
        276 => is_ip(NETWORK.u16(frame, 0)?).then(|| frame.get(20..)).flatten(),
        // LINKTYPE_RAW (and DLT_RAW's values 12 and 14 on some systems), LINKTYPE_IPV4,
        // LINKTYPE_IPV6.
        101 | 12 | 14 | 228 | 229 => Some(frame),
        // LINKTYPE_NULL (host byte order) and LINKTYPE_LOOP (network byte order).
        0 | 108 => {
            let family = NETWORK.u32(frame, 0)?;
            let known = |family: u32| family == AF_INET || AF_INET6.contains(&family);
            (known(family) || known(family.swap_bytes()))
                .then(|| frame.get(4..))
                .flatten()
        }
        _ => None,
    }
}

/// The datagram starting at `ip`, unless it is a fragment or not IP.
pub(crate) fn datagram(frame: usize, ip: &[u8], options: Options) -> Option<Datagram> {
    match *ip.first()? >> 4 {
        4 => ipv4(frame, ip, options),
        6 => ipv6(frame, ip),
        _ => None,
    }
}

/// An unfragmented IPv4 datagram (or a fragment, with `keep_ipv4_fragments`): the payload
/// runs to the total length or the frame's end.
fn ipv4(frame: usize, ip: &[u8], options: Options) -> Option<Datagram> {
    let header_len = usize::from(*ip.first()? & 0x0f) * 4;
    let total_len = usize::from(NETWORK.u16(ip, 2)?);
    let fragment = NETWORK.u16(ip, 6)?;
    let more_fragments_or_offset = fragment & 0x3fff != 0 && !options.keep_ipv4_fragments;
    if header_len < 20 || total_len < header_len || more_fragments_or_offset {
        return None;
    }
    let address = |at: usize| -> Option<IpAddr> {
        let raw: [u8; 4] = ip.get(at..at + 4)?.try_into().ok()?;
        Some(IpAddr::V4(Ipv4Addr::from(raw)))
    };
    Some(Datagram {
        frame,
        family: Family::V4,
        source: address(12)?,
        destination: address(16)?,
        protocol: *ip.get(9)?,
        ttl_or_hop_limit: *ip.get(8)?,
        payload: ip.get(header_len..total_len.min(ip.len()))?.to_vec(),
    })
}

/// An IPv6 datagram without a fragment header; a hop-by-hop options header is stepped over,
/// any other extension header ends up as `protocol`.
fn ipv6(frame: usize, ip: &[u8]) -> Option<Datagram> {
    let payload_len = usize::from(NETWORK.u16(ip, 4)?);
    let end = (40 + payload_len).min(ip.len());
    let mut next_header = *ip.get(6)?;
    let mut at = 40;
    if next_header == IPV6_HOP_BY_HOP {
        next_header = *ip.get(at)?;
        at += (usize::from(*ip.get(at + 1)?) + 1) * 8;
    }
    if next_header == IPV6_FRAGMENT || at > end {
        return None;
    }
    let address = |at: usize| -> Option<IpAddr> {
        let raw: [u8; 16] = ip.get(at..at + 16)?.try_into().ok()?;
        Some(IpAddr::V6(Ipv6Addr::from(raw)))
    };
    Some(Datagram {
        frame,
        family: Family::V6,
        source: address(8)?,
        destination: address(24)?,
        protocol: next_header,
        ttl_or_hop_limit: *ip.get(7)?,
        payload: ip.get(at..end)?.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4_header(protocol: u8, fragment: u16, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut ip = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 255, protocol, 0, 0, 10, 0, 0, 1, 224, 0, 0, 18,
        ];
        ip[2..4].copy_from_slice(&total.to_be_bytes());
        ip[6..8].copy_from_slice(&fragment.to_be_bytes());
        ip.extend_from_slice(payload);
        ip
    }

    #[test]
    fn ipv4_payload_stops_at_the_total_length() {
        let mut ip = ipv4_header(112, 0, &[1, 2, 3]);
        ip.extend_from_slice(&[0; 6]); // Ethernet padding
        let datagram = datagram(7, &ip, Options::default()).expect("a datagram");
        assert_eq!(datagram.frame, 7);
        assert_eq!(datagram.protocol, 112);
        assert_eq!(datagram.ttl_or_hop_limit, 255);
        assert_eq!(datagram.source, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(datagram.destination, IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)));
        assert_eq!(datagram.payload, [1, 2, 3]);
    }

    #[test]
    fn ipv4_fragments_are_skipped() {
        assert!(datagram(1, &ipv4_header(112, 0x2000, &[1]), Options::default()).is_none());
        assert!(datagram(1, &ipv4_header(112, 0x0001, &[1]), Options::default()).is_none());
        assert!(
            datagram(1, &ipv4_header(112, 0x4000, &[1]), Options::default()).is_some(),
            "DF is not a fragment"
        );
    }

    #[test]
    fn ipv4_fragments_are_kept_when_asked() {
        let keep = Options {
            keep_ipv4_fragments: true,
        };
        let fragment = datagram(1, &ipv4_header(112, 0x2000, &[1]), keep).expect("kept");
        assert_eq!(fragment.payload, [1]);
    }

    fn ipv6_header(next_header: u8, payload: &[u8]) -> Vec<u8> {
        let mut ip = vec![0x60, 0, 0, 0, 0, 0, next_header, 255];
        ip[4..6].copy_from_slice(&(payload.len() as u16).to_be_bytes());
        ip.extend_from_slice(&Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1).octets());
        ip.extend_from_slice(&Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12).octets());
        ip.extend_from_slice(payload);
        ip
    }

    #[test]
    fn ipv6_steps_over_hop_by_hop_and_skips_fragments() {
        let plain = datagram(1, &ipv6_header(112, &[9, 9]), Options::default()).expect("a datagram");
        assert_eq!(
            (plain.family, plain.protocol, plain.payload.as_slice()),
            (Family::V6, 112, &[9u8, 9][..])
        );
        let hop_by_hop = [&[112u8, 0, 5, 2, 0, 0, 1, 0][..], &[7]].concat();
        let stepped = datagram(1, &ipv6_header(0, &hop_by_hop), Options::default()).expect("a datagram");
        assert_eq!((stepped.protocol, stepped.payload.as_slice()), (112, &[7u8][..]));
        assert!(datagram(1, &ipv6_header(44, &[112, 0, 0, 0, 0, 0, 0, 0]), Options::default()).is_none());
    }

    #[test]
    fn truncated_headers_are_skipped_not_panicked_on() {
        let ip = ipv6_header(112, &[1, 2, 3]);
        for len in 0..ip.len() {
            let _ = datagram(1, &ip[..len], Options::default());
        }
        let ip = ipv4_header(89, 0, &[1, 2, 3]);
        for len in 0..ip.len() {
            let _ = datagram(1, &ip[..len], Options::default());
        }
    }
}
