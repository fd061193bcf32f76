//! Gratuitous ARP and unsolicited IPv6 neighbor advertisements: how a new VRRP master tells
//! the LAN that a virtual address now lives behind (virtual) MAC `mac` (RFC 5798 §6.4.1,
//! §8.1.2, §8.2).
//!
//! ```text
//!   Announcer::open()
//!     gratuitous_arp(ifindex, mac, 192.0.2.10)
//!       └─ AF_PACKET SOCK_RAW, whole Ethernet frame built here (42 bytes):
//!          ff:ff:ff:ff:ff:ff ◄ mac  0x0806 | ARP request, SHA = mac, SPA = TPA = 192.0.2.10,
//!                                           THA = ff:ff:ff:ff:ff:ff (as keepalived sends it)
//!     unsolicited_na(ifindex, mac, 2001:db8::10, source)
//!       └─ raw ICMPv6 socket, ICMPv6 message built here (32 bytes) to ff02::1, hop limit 255;
//!          the kernel builds the IPv6 header, picks the source (the interface's link-local
//!          address, RFC 6724 scope rule) unless `source` is given, and fills the checksum
//! ```
//!
//! Sending is synchronous: both sockets are non-blocking and a full socket buffer is a
//! `WouldBlock` error the caller counts. Neither socket receives anything: the packet socket is
//! opened with protocol 0 (the EtherType goes in each `sendto` address instead), and the ICMPv6
//! socket blocks every ICMPv6 type with `ICMP6_FILTER`, so no receive queue ever fills up.
//! Needs CAP_NET_RAW.

use crate::rawsock::set_raw_option;
use std::io;
use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV6};
use std::os::fd::AsRawFd;

use nix::sys::socket::{ControlMessage, MsgFlags, SockaddrIn6, sendmsg};
use socket2::{Domain, Protocol, Socket, Type};

/// EtherType of ARP.
pub const ETHERTYPE_ARP: u16 = 0x0806;
/// Length of the gratuitous ARP frame [`gratuitous_arp_frame`] builds (no padding: the NIC
/// pads to the 60-byte minimum).
pub const GRATUITOUS_ARP_LEN: usize = 42;
/// Length of the neighbor advertisement [`unsolicited_na_message`] builds.
pub const UNSOLICITED_NA_LEN: usize = 32;
/// ICMPv6 type of a neighbor advertisement (RFC 4861 §4.4).
pub const ICMPV6_NEIGHBOR_ADVERTISEMENT: u8 = 136;
/// All-nodes multicast, the destination of an unsolicited NA (RFC 4861 §7.2.6).
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

const BROADCAST_MAC: [u8; 6] = [0xff; 6];
/// `ICMP6_FILTER` from linux/icmpv6.h (libc does not export it).
const ICMP6_FILTER: libc::c_int = 1;
/// Neighbor discovery requires hop limit 255 (RFC 4861 §7.1.2).
const ND_HOP_LIMIT: u32 = 255;
/// RFC 4861 §4.4: the Override flag.
const NA_FLAG_OVERRIDE: u8 = 0x20;
/// RFC 4861 §4.6.1: option type of the Target Link-Layer Address.
const OPTION_TARGET_LINK_LAYER_ADDRESS: u8 = 2;

/// The two sockets a VRRP master announces its addresses with.
#[derive(Debug)]
pub struct Announcer {
    packet: Socket,
    icmpv6: Socket,
}

impl Announcer {
    /// Opens an `AF_PACKET`/`SOCK_RAW` socket for ARP and a raw ICMPv6 socket with hop limit
    /// 255, both non-blocking and deaf. Needs CAP_NET_RAW.
    pub fn open() -> io::Result<Announcer> {
        // Protocol 0: the socket is bound to no EtherType and hears nothing; each frame's
        // EtherType is in its `sockaddr_ll` (ETH_P_ARP).
        let packet = Socket::new(Domain::PACKET, Type::RAW.cloexec(), Some(Protocol::from(0)))
            .map_err(|error| context("AF_PACKET socket", error))?;
        packet.set_nonblocking(true)?;

        let icmpv6 = Socket::new(Domain::IPV6, Type::RAW.cloexec(), Some(Protocol::ICMPV6))
            .map_err(|error| context("raw ICMPv6 socket", error))?;
        icmpv6.set_nonblocking(true)?;
        icmpv6.set_multicast_hops_v6(ND_HOP_LIMIT)?;
        icmpv6.set_unicast_hops_v6(ND_HOP_LIMIT)?;
        icmpv6.set_multicast_loop_v6(false)?;
        // Linux: a set bit blocks the type (ICMP6_FILTER_SETBLOCKALL).
        let block_all = [u32::MAX; 8];
        set_raw_option(icmpv6.as_raw_fd(), libc::IPPROTO_ICMPV6, ICMP6_FILTER, &block_all)
            .map_err(|error| context("ICMP6_FILTER", error))?;
        Ok(Announcer { packet, icmpv6 })
    }

    /// Broadcasts a gratuitous ARP request for `address` from `mac` on interface `ifindex`
    /// (RFC 5798 §6.4.1 and §8.1.2; the announcement form of RFC 5227 §3).
    pub fn gratuitous_arp(&self, ifindex: u32, mac: [u8; 6], address: Ipv4Addr) -> io::Result<()> {
        let frame = gratuitous_arp_frame(mac, address);
        let ifindex = libc::c_int::try_from(ifindex).map_err(|_| invalid(format!("interface index {ifindex}")))?;
        let mut destination = libc::sockaddr_ll {
            sll_family: libc::AF_PACKET as libc::c_ushort,
            sll_protocol: ETHERTYPE_ARP.to_be(),
            sll_ifindex: ifindex,
            sll_hatype: 0,
            sll_pkttype: 0,
            sll_halen: 6,
            sll_addr: [0; 8],
        };
        destination.sll_addr[..6].copy_from_slice(&BROADCAST_MAC);
        let length = libc::socklen_t::try_from(size_of::<libc::sockaddr_ll>())
            .map_err(|_| invalid("sockaddr_ll length".to_string()))?;
        // SAFETY: `frame` and `destination` are live for the call and their lengths are exact;
        // the kernel only reads them.
        let sent = unsafe {
            libc::sendto(
                self.packet.as_raw_fd(),
                frame.as_ptr().cast(),
                frame.len(),
                libc::MSG_DONTWAIT,
                (&destination as *const libc::sockaddr_ll).cast(),
                length,
            )
        };
        let Ok(sent) = usize::try_from(sent) else {
            return Err(context("gratuitous ARP send", io::Error::last_os_error()));
        };
        expect_whole(sent, frame.len(), "gratuitous ARP")
    }

    /// Sends an unsolicited neighbor advertisement for `address` with `mac` as its target
    /// link-layer address to ff02::1 on interface `ifindex` (RFC 5798 §8.2, RFC 4861 §7.2.6).
    /// `source` None lets the kernel pick the interface's link-local address.
    pub fn unsolicited_na(
        &self,
        ifindex: u32,
        mac: [u8; 6],
        address: Ipv6Addr,
        source: Option<Ipv6Addr>,
    ) -> io::Result<()> {
        if ifindex == 0 {
            return Err(invalid("an unsolicited NA needs an interface index".to_string()));
        }
        let message = unsolicited_na_message(mac, address);
        let packet_info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: source.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            },
            ipi6_ifindex: ifindex,
        };
        let control = [ControlMessage::Ipv6PacketInfo(&packet_info)];
        let destination = SockaddrIn6::from(SocketAddrV6::new(ALL_NODES, 0, 0, ifindex));
        let iov = [io::IoSlice::new(&message)];
        let sent = sendmsg(
            self.icmpv6.as_raw_fd(),
            &iov,
            &control,
            MsgFlags::MSG_DONTWAIT,
            Some(&destination),
        )
        .map_err(|errno| context("unsolicited NA send", io::Error::from(errno)))?;
        expect_whole(sent, message.len(), "unsolicited NA")
    }
}

/// The gratuitous ARP frame keepalived sends: Ethernet broadcast from `mac`, an ARP request
/// (RFC 826) with sender and target protocol address both `address` (RFC 5227 §3, "ARP
/// Announcement"), sender hardware address `mac` and target hardware address all ones.
pub fn gratuitous_arp_frame(mac: [u8; 6], address: Ipv4Addr) -> [u8; GRATUITOUS_ARP_LEN] {
    let mut frame = [0u8; GRATUITOUS_ARP_LEN];
    // Ethernet II: destination, source, EtherType.
    frame[0..6].copy_from_slice(&BROADCAST_MAC);
    frame[6..12].copy_from_slice(&mac);
    frame[12..14].copy_from_slice(&ETHERTYPE_ARP.to_be_bytes());
    // ARP: htype Ethernet (1), ptype IPv4 (0x0800), hlen 6, plen 4, oper request (1).
    frame[14..16].copy_from_slice(&1u16.to_be_bytes());
    frame[16..18].copy_from_slice(&0x0800u16.to_be_bytes());
    frame[18] = 6;
    frame[19] = 4;
    frame[20..22].copy_from_slice(&1u16.to_be_bytes());
    frame[22..28].copy_from_slice(&mac);
    frame[28..32].copy_from_slice(&address.octets());
    frame[32..38].copy_from_slice(&BROADCAST_MAC);
    frame[38..42].copy_from_slice(&address.octets());
    frame
}

/// An unsolicited neighbor advertisement (RFC 4861 §4.4, §7.2.6): Router and Solicited flags
/// off, Override on, target `address`, one Target Link-Layer Address option (§4.6.1) carrying
/// `mac`. The checksum is left zero: on a raw ICMPv6 socket the kernel always computes it
/// (RFC 3542 §3.1), over the pseudo-header with the source it chose.
pub fn unsolicited_na_message(mac: [u8; 6], address: Ipv6Addr) -> [u8; UNSOLICITED_NA_LEN] {
    let mut message = [0u8; UNSOLICITED_NA_LEN];
    message[0] = ICMPV6_NEIGHBOR_ADVERTISEMENT;
    // [1] code 0, [2..4] checksum (kernel), [4..8] flags R=0 S=0 O=1 and reserved.
    message[4] = NA_FLAG_OVERRIDE;
    message[8..24].copy_from_slice(&address.octets());
    message[24] = OPTION_TARGET_LINK_LAYER_ADDRESS;
    message[25] = 1; // length in units of 8 octets
    message[26..32].copy_from_slice(&mac);
    message
}

/// Parses a MAC address as [`crate::netlink::Link::mac`] holds it: six groups of two hex
/// digits separated by colons, either case (`aa:bb:cc:dd:ee:ff`).
pub fn parse_mac(text: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut groups = text.split(':');
    for byte in &mut mac {
        let group = groups.next()?;
        if group.len() != 2 || !group.bytes().all(|digit| digit.is_ascii_hexdigit()) {
            return None;
        }
        *byte = u8::from_str_radix(group, 16).ok()?;
    }
    groups.next().is_none().then_some(mac)
}

fn expect_whole(sent: usize, expected: usize, what: &str) -> io::Result<()> {
    if sent == expected {
        Ok(())
    } else {
        Err(io::Error::other(format!("{what}: sent {sent} of {expected} bytes")))
    }
}

fn context(what: &str, error: io::Error) -> io::Error {
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::Netlink;
    use crate::netlink::testing::{become_second_host, in_private_netns, sysctl};
    use netlink_packet_route::RouteNetlinkMessage;
    use std::io::Read;
    use std::os::fd::OwnedFd;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    const MAC: [u8; 6] = [0x00, 0x00, 0x5e, 0x00, 0x01, 0x2a];

    #[test]
    fn gratuitous_arp_frame_bytes() {
        let frame = gratuitous_arp_frame(MAC, Ipv4Addr::new(192, 0, 2, 10));
        #[rustfmt::skip]
        let expected: [u8; 42] = [
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff,             // Ethernet destination: broadcast
            0x00, 0x00, 0x5e, 0x00, 0x01, 0x2a,             // Ethernet source: the VMAC
            0x08, 0x06,                                     // EtherType ARP
            0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,       // Ethernet/IPv4, request
            0x00, 0x00, 0x5e, 0x00, 0x01, 0x2a,             // sender hardware address
            192, 0, 2, 10,                                  // sender protocol address
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff,             // target hardware address
            192, 0, 2, 10,                                  // target protocol address = sender
        ];
        assert_eq!(frame, expected);
    }

    #[test]
    fn unsolicited_na_message_bytes() {
        let target: Ipv6Addr = "2001:db8::10".parse().expect("address");
        let message = unsolicited_na_message(MAC, target);
        #[rustfmt::skip]
        let expected: [u8; 32] = [
            136, 0, 0x00, 0x00,                             // NA, code 0, checksum by the kernel
            0x20, 0, 0, 0,                                  // R=0 S=0 O=1
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,             // target 2001:db8::10
            0, 0, 0, 0, 0, 0, 0, 0x10,
            2, 1, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x2a,       // Target Link-Layer Address option
        ];
        assert_eq!(message, expected);
    }

    #[test]
    fn parse_mac_accepts_netlink_form_only() {
        assert_eq!(parse_mac("00:00:5e:00:01:2a"), Some(MAC));
        assert_eq!(
            parse_mac("AA:bb:CC:dd:EE:ff"),
            Some([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        );
        for bad in [
            "",
            "00:00:5e:00:01",
            "00:00:5e:00:01:2a:00",
            "00:00:5e:00:01:2",
            "00:00:5e:00:01:2g",
            "0:00:5e:00:01:2a",
            "00-00-5e-00-01-2a",
            "00:00:5e:00:01:+2",
            "00:00:5e:00:01:2a:",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad:?}");
        }
    }

    /// What the peer namespace captured: the first gratuitous ARP and the NAs for the target.
    #[derive(Default)]
    struct Captured {
        arp: Option<Vec<u8>>,
        nas: Vec<Vec<u8>>,
    }

    const VIP4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 10);
    const VIP6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10);
    const GLOBAL6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);

    /// Runs on a thread of its own in a second network namespace: hands its namespace over,
    /// waits for `peer` to arrive, brings it up and captures every frame with an AF_PACKET
    /// socket until one gratuitous ARP and two NAs for [`VIP6`] were seen (10 s at most).
    fn capture_in_second_namespace(
        peer: &'static str,
        namespace: mpsc::Sender<OwnedFd>,
        arrived: mpsc::Receiver<()>,
        ready: Arc<AtomicBool>,
        done: Arc<AtomicBool>,
    ) -> Captured {
        become_second_host(peer, None, namespace, &arrived);
        let all = i32::from((libc::ETH_P_ALL as u16).to_be());
        let socket = Socket::new(Domain::PACKET, Type::RAW, Some(Protocol::from(all))).expect("packet socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("timeout");
        ready.store(true, Ordering::SeqCst);
        let mut captured = Captured::default();
        let mut frame = vec![0u8; 2048];
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline && (captured.arp.is_none() || captured.nas.len() < 2) {
            let Ok(len) = (&socket).read(&mut frame) else { continue };
            let frame = &frame[..len];
            let ethertype = frame.get(12..14);
            if ethertype == Some(&[0x08, 0x06]) && frame.get(28..32) == Some(&VIP4.octets()) {
                captured.arp.get_or_insert_with(|| frame.to_vec());
            }
            let is_na = ethertype == Some(&[0x86, 0xdd]) && frame.get(20) == Some(&58) && frame.get(54) == Some(&136);
            if is_na && frame.get(62..78) == Some(&VIP6.octets()) {
                captured.nas.push(frame.to_vec());
            }
        }
        done.store(true, Ordering::SeqCst);
        captured
    }

    /// RFC 4443 §2.3: the checksum over the IPv6 pseudo-header and the message; 0 when valid.
    fn icmpv6_checksum_residue(source: &[u8], destination: &[u8], message: &[u8]) -> u16 {
        let mut sum: u32 = 0;
        let length = u32::try_from(message.len()).expect("short");
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(source);
        pseudo.extend_from_slice(destination);
        pseudo.extend_from_slice(&length.to_be_bytes());
        pseudo.extend_from_slice(&[0, 0, 0, 58]);
        for chunk in pseudo.chunks(2).chain(message.chunks(2)) {
            let word = u16::from_be_bytes([chunk[0], chunk.get(1).copied().unwrap_or(0)]);
            sum += u32::from(word);
        }
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        !(sum as u16)
    }

    #[test]
    fn netns_garp_and_na_captured_on_the_peer() {
        in_private_netns("netns_garp_and_na_captured_on_the_peer", || async {
            // Link-local and global addresses usable at once, without duplicate address detection.
            sysctl("net/ipv6/conf/default/accept_dad", "0");
            let netlink = Netlink::connect().await.expect("connect");
            let (eth0, peer) = netlink.create_veth_pair("eth0", "peer0").await;
            netlink
                .address_add(eth0, std::net::IpAddr::V6(GLOBAL6), 64)
                .await
                .expect("address");

            let (namespace_tx, namespace_rx) = mpsc::channel();
            let (arrived_tx, arrived_rx) = mpsc::channel();
            let ready = Arc::new(AtomicBool::new(false));
            let done = Arc::new(AtomicBool::new(false));
            let capture = {
                let (ready, done) = (ready.clone(), done.clone());
                std::thread::spawn(move || capture_in_second_namespace("peer0", namespace_tx, arrived_rx, ready, done))
            };
            let namespace = namespace_rx.recv_timeout(Duration::from_secs(10)).expect("namespace");
            let move_peer = rtnetlink::LinkUnspec::new_with_index(peer)
                .setns_by_fd(namespace.as_raw_fd())
                .build();
            netlink
                .acknowledged("move peer0".to_string(), RouteNetlinkMessage::NewLink(move_peer), 0)
                .await
                .expect("move peer0 to the second namespace");
            arrived_tx.send(()).expect("signal");

            // The source the kernel picks when none is given is eth0's link-local address, as
            // long as it has one: wait for it (it was assigned when the pair came up).
            let mut link_local = None;
            for _ in 0..100 {
                let addresses = netlink.addresses().await.expect("addresses");
                link_local = addresses.iter().find_map(|address| match address.address {
                    std::net::IpAddr::V6(v6) if address.ifindex == eth0 && v6.is_unicast_link_local() => Some(v6),
                    _ => None,
                });
                if link_local.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let link_local = link_local.expect("eth0 has a link-local address");

            let announcer = Announcer::open().expect("open");
            let mac4 = crate::vmac::vmac_address(42, false);
            let mac6 = crate::vmac::vmac_address(42, true);
            let mut sent_na_with_source = false;
            for _ in 0..200 {
                if done.load(Ordering::SeqCst) {
                    break;
                }
                if ready.load(Ordering::SeqCst) {
                    announcer.gratuitous_arp(eth0, mac4, VIP4).expect("gratuitous ARP");
                    // Until eth0 has its link-local address (carrier) the kernel may refuse.
                    if announcer.unsolicited_na(eth0, mac6, VIP6, None).is_ok() && !sent_na_with_source {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        announcer
                            .unsolicited_na(eth0, mac6, VIP6, Some(GLOBAL6))
                            .expect("NA with source");
                        sent_na_with_source = true;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let captured = capture.join().expect("capture thread");

            let arp = captured.arp.expect("a gratuitous ARP reached the peer");
            assert_eq!(arp.as_slice(), gratuitous_arp_frame(mac4, VIP4).as_slice());

            assert!(captured.nas.len() >= 2, "NAs captured: {}", captured.nas.len());
            let eth0_mac = netlink
                .links()
                .await
                .expect("links")
                .into_iter()
                .find(|link| link.ifindex == eth0)
                .and_then(|link| link.mac)
                .and_then(|mac| parse_mac(&mac))
                .expect("eth0 mac");
            let mut sources = Vec::new();
            for frame in &captured.nas {
                assert_eq!(&frame[0..6], &[0x33, 0x33, 0, 0, 0, 1], "to the all-nodes MAC");
                assert_eq!(&frame[6..12], &eth0_mac, "from eth0");
                let ipv6 = &frame[14..54];
                assert_eq!(ipv6[0] >> 4, 6);
                assert_eq!(u16::from_be_bytes([ipv6[4], ipv6[5]]), 32, "payload length");
                assert_eq!((ipv6[6], ipv6[7]), (58, 255), "ICMPv6, hop limit 255");
                assert_eq!(&ipv6[24..40], &ALL_NODES.octets());
                let message = &frame[54..86];
                let mut expected = unsolicited_na_message(mac6, VIP6);
                expected[2..4].copy_from_slice(&message[2..4]);
                assert_eq!(message, expected.as_slice());
                assert_eq!(icmpv6_checksum_residue(&ipv6[8..24], &ipv6[24..40], message), 0);
                let source = Ipv6Addr::from(<[u8; 16]>::try_from(&ipv6[8..24]).expect("16 bytes"));
                sources.push(source);
            }
            assert_eq!(sources[0], link_local, "{sources:?}");
            assert!(sources.contains(&GLOBAL6), "{sources:?}");
        });
    }
}
