//! Raw IP sockets for the protocol daemons: OSPF (IP protocol 89) and VRRP (112).
//!
//! ```text
//!   RawSocketV4::open(89)                                 RawSocketV6::open(89)
//!     recv(buf) ─► ReceivedV4 { len, header_len,            recv(buf) ─► ReceivedV6 { len, source,
//!                  source, destination, ifindex, ttl }                    destination, ifindex, hop_limit }
//!     buf[..len]            = IPv4 header + payload           buf[..len] = payload (IPv6 raw sockets
//!     buf[header_len..len]  = payload                                      never show the header)
//!     send(payload, destination, ifindex)                   send(payload, destination, ifindex)
//!       └─ IP_PKTINFO picks the interface;                    └─ IPV6_PKTINFO + sin6_scope_id pick
//!          the kernel builds the IPv4 header                     the interface; kernel builds the header
//! ```
//!
//! Both sockets are non-blocking and driven by tokio's reactor. Multicast is joined per
//! interface index, and `IP_MULTICAST_ALL` / `IPV6_MULTICAST_ALL` are off, so a socket only
//! gets the groups it joined, on the interfaces it joined them on. Multicast loopback is off:
//! a daemon does not hear itself. Ancillary data is parsed by hand with every length checked;
//! odd or unknown control messages are skipped, never trusted.

use std::io::{self, IoSlice};
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, RawFd};

use nix::sys::socket::{ControlMessage, MsgFlags, SockaddrIn, SockaddrIn6, sendmsg, setsockopt, sockopt};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, SockAddr, SockAddrStorage, Socket, Type};
use tokio::io::Interest;
use tokio::io::unix::AsyncFd;

/// IP protocol number of OSPF.
pub const IPPROTO_OSPF: u8 = 89;
/// IP protocol number of VRRP.
pub const IPPROTO_VRRP: u8 = 112;
/// Smallest receive buffer [`RawSocketV4::recv`] accepts: room for the longest IPv4 header.
pub const MIN_RECEIVE_BUFFER_V4: usize = 60;
/// Largest IP datagram; a receive buffer this long is never truncated.
pub const MAX_DATAGRAM: usize = 65_535;

/// Receive buffer asked for: a burst of flooding must not be dropped by the kernel.
const SOCKET_RECEIVE_BUFFER_BYTES: usize = 1024 * 1024;
/// Room for the control messages enabled here (pktinfo, hop limit) with plenty to spare.
const CONTROL_BUFFER_BYTES: usize = 256;
const IPV4_MIN_HEADER: usize = 20;

// ──────────────────────────────────────────── IPv4 ─────────────────────────────────────────────

/// One IPv4 datagram as [`RawSocketV4::recv`] received it. The IPv4 header is *not* stripped:
/// `buf[..len]` is the whole datagram and `buf[header_len..len]` the protocol's payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedV4 {
    /// Bytes written to the buffer, IPv4 header included.
    pub len: usize,
    /// Length of the IPv4 header (IHL × 4, options included).
    pub header_len: usize,
    pub source: Ipv4Addr,
    /// The header's destination: a unicast address of ours, or the multicast group.
    pub destination: Ipv4Addr,
    /// Interface the datagram arrived on (`IP_PKTINFO`); 0 if the kernel did not say.
    pub ifindex: u32,
    /// The header's TTL (VRRP requires 255). Always present for IPv4.
    pub ttl: Option<u8>,
    /// The datagram was longer than the buffer; the end is missing.
    pub truncated: bool,
}

impl ReceivedV4 {
    /// The protocol payload within the buffer `recv` filled.
    pub fn payload<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.header_len..self.len).unwrap_or(&[])
    }
}

/// A raw IPv4 socket for one IP protocol.
#[derive(Debug)]
pub struct RawSocketV4 {
    socket: AsyncFd<Socket>,
    protocol: u8,
}

impl RawSocketV4 {
    /// Opens a non-blocking raw socket for `protocol` with `IP_PKTINFO` on, multicast loopback
    /// off and `IP_MULTICAST_ALL` off. TTLs are the kernel's (64 unicast, 1 multicast) until set.
    /// Needs CAP_NET_RAW and a tokio runtime.
    pub fn open(protocol: u8) -> io::Result<RawSocketV4> {
        ensure_runtime()?;
        let socket = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(i32::from(protocol))))?;
        socket.set_nonblocking(true)?;
        setsockopt(&socket, sockopt::Ipv4PacketInfo, &true)?;
        socket.set_multicast_loop_v4(false)?;
        socket.set_multicast_all_v4(false)?;
        raise_receive_buffer(&socket);
        Ok(RawSocketV4 {
            socket: register(socket)?,
            protocol,
        })
    }

    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// TTL of everything sent, unicast and multicast (VRRP: 255).
    pub fn set_ttl(&self, ttl: u8) -> io::Result<()> {
        self.set_unicast_ttl(ttl)?;
        self.set_multicast_ttl(ttl)
    }

    /// `IP_TTL`: TTL of unicast datagrams.
    pub fn set_unicast_ttl(&self, ttl: u8) -> io::Result<()> {
        self.socket.get_ref().set_ttl_v4(u32::from(ttl))
    }

    /// `IP_MULTICAST_TTL`: TTL of multicast datagrams (OSPF: 1).
    pub fn set_multicast_ttl(&self, ttl: u8) -> io::Result<()> {
        self.socket.get_ref().set_multicast_ttl_v4(u32::from(ttl))
    }

    /// `IP_TOS` of everything sent (OSPF: 0xc0, internetwork control).
    pub fn set_tos(&self, tos: u8) -> io::Result<()> {
        self.socket.get_ref().set_tos_v4(u32::from(tos))
    }

    /// `SO_BINDTODEVICE`: only this interface's datagrams, in and out; `None` unbinds.
    pub fn bind_to_device(&self, interface: Option<&str>) -> io::Result<()> {
        self.socket.get_ref().bind_device(interface.map(str::as_bytes))
    }

    /// `IP_MULTICAST_IF` by interface index (`ip_mreqn`): the default interface of multicast
    /// sent without one. [`RawSocketV4::send`] names the interface anyway.
    pub fn set_multicast_interface(&self, ifindex: u32) -> io::Result<()> {
        let request = libc::ip_mreqn {
            imr_multiaddr: in_addr(Ipv4Addr::UNSPECIFIED),
            imr_address: in_addr(Ipv4Addr::UNSPECIFIED),
            imr_ifindex: interface_index(ifindex)?,
        };
        set_raw_option(
            self.socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_MULTICAST_IF,
            &request,
        )
    }

    /// Joins `group` on the interface `ifindex` (`IP_ADD_MEMBERSHIP` with `ip_mreqn`).
    pub fn join_multicast(&self, group: Ipv4Addr, ifindex: u32) -> io::Result<()> {
        self.socket
            .get_ref()
            .join_multicast_v4_n(&group, &InterfaceIndexOrAddress::Index(ifindex))
    }

    /// Leaves `group` on the interface `ifindex`.
    pub fn leave_multicast(&self, group: Ipv4Addr, ifindex: u32) -> io::Result<()> {
        self.socket
            .get_ref()
            .leave_multicast_v4_n(&group, &InterfaceIndexOrAddress::Index(ifindex))
    }

    /// Waits for the next datagram and writes it, IPv4 header included, to `buf` (at least
    /// [`MIN_RECEIVE_BUFFER_V4`] bytes; [`MAX_DATAGRAM`] bytes are never truncated).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<ReceivedV4> {
        if buf.len() < MIN_RECEIVE_BUFFER_V4 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "receive buffer of {} bytes, at least {MIN_RECEIVE_BUFFER_V4} needed",
                    buf.len()
                ),
            ));
        }
        loop {
            let message = self
                .socket
                .async_io(Interest::READABLE, |socket| receive_message(socket.as_raw_fd(), buf))
                .await?;
            let datagram = buf.get(..message.len).unwrap_or(&[]);
            let Some(header) = parse_ipv4_header(datagram) else {
                tracing::debug!(
                    length = message.len,
                    "raw socket: skipped a datagram without a valid IPv4 header"
                );
                continue;
            };
            return Ok(ReceivedV4 {
                len: message.len,
                header_len: header.header_len,
                source: header.source,
                destination: header.destination,
                ifindex: message.ancillary.ifindex.unwrap_or(0),
                ttl: Some(header.ttl),
                truncated: message.truncated,
            });
        }
    }

    /// Sends `payload` to `destination`, out of interface `ifindex` (0: wherever the routing
    /// table says). The kernel builds the IPv4 header and picks the source address.
    pub async fn send(&self, payload: &[u8], destination: Ipv4Addr, ifindex: u32) -> io::Result<usize> {
        self.send_from(payload, None, destination, ifindex).await
    }

    /// [`RawSocketV4::send`] with the source address chosen (`ipi_spec_dst`).
    pub async fn send_from(
        &self,
        payload: &[u8],
        source: Option<Ipv4Addr>,
        destination: Ipv4Addr,
        ifindex: u32,
    ) -> io::Result<usize> {
        let packet_info = libc::in_pktinfo {
            ipi_ifindex: interface_index(ifindex)?,
            ipi_spec_dst: in_addr(source.unwrap_or(Ipv4Addr::UNSPECIFIED)),
            ipi_addr: in_addr(Ipv4Addr::UNSPECIFIED),
        };
        let with_packet_info = [ControlMessage::Ipv4PacketInfo(&packet_info)];
        let control: &[ControlMessage] = if ifindex == 0 && source.is_none() {
            &[]
        } else {
            &with_packet_info
        };
        let address = SockaddrIn::from(SocketAddrV4::new(destination, 0));
        let iov = [IoSlice::new(payload)];
        self.socket
            .async_io(Interest::WRITABLE, |socket| {
                sendmsg(
                    socket.as_raw_fd(),
                    &iov,
                    control,
                    MsgFlags::MSG_DONTWAIT,
                    Some(&address),
                )
                .map_err(io::Error::from)
            })
            .await
    }
}

/// The fields of an IPv4 header that receivers need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Ipv4Header {
    header_len: usize,
    ttl: u8,
    source: Ipv4Addr,
    destination: Ipv4Addr,
}

fn parse_ipv4_header(datagram: &[u8]) -> Option<Ipv4Header> {
    let first = *datagram.first()?;
    if first >> 4 != 4 {
        return None;
    }
    let header_len = usize::from(first & 0x0f) * 4;
    if header_len < IPV4_MIN_HEADER || header_len > datagram.len() {
        return None;
    }
    let address = |at: usize| Ipv4Addr::new(datagram[at], datagram[at + 1], datagram[at + 2], datagram[at + 3]);
    Some(Ipv4Header {
        header_len,
        ttl: datagram[8],
        source: address(12),
        destination: address(16),
    })
}

// ──────────────────────────────────────────── IPv6 ─────────────────────────────────────────────

/// One IPv6 datagram's payload as [`RawSocketV6::recv`] received it (IPv6 raw sockets never
/// deliver the IPv6 header: `buf[..len]` is the payload).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceivedV6 {
    /// Payload bytes written to the buffer.
    pub len: usize,
    pub source: Ipv6Addr,
    /// The header's destination (`IPV6_PKTINFO`); `::` if the kernel did not say.
    pub destination: Ipv6Addr,
    /// Interface the datagram arrived on (`IPV6_PKTINFO`); 0 if the kernel did not say.
    pub ifindex: u32,
    /// The header's hop limit (`IPV6_HOPLIMIT`; VRRP and OSPFv3 check for 255 / link-local).
    pub hop_limit: Option<u8>,
    /// The datagram was longer than the buffer; the end is missing.
    pub truncated: bool,
}

impl ReceivedV6 {
    /// The payload within the buffer `recv` filled.
    pub fn payload<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(..self.len).unwrap_or(&[])
    }
}

/// A raw IPv6 socket for one IP protocol.
#[derive(Debug)]
pub struct RawSocketV6 {
    socket: AsyncFd<Socket>,
    protocol: u8,
}

impl RawSocketV6 {
    /// Opens a non-blocking raw socket for `protocol` with `IPV6_RECVPKTINFO` and
    /// `IPV6_RECVHOPLIMIT` on, multicast loopback and `IPV6_MULTICAST_ALL` off, and unicast and
    /// multicast hop limits 255. Needs CAP_NET_RAW and a tokio runtime.
    pub fn open(protocol: u8) -> io::Result<RawSocketV6> {
        ensure_runtime()?;
        let socket = Socket::new(Domain::IPV6, Type::RAW, Some(Protocol::from(i32::from(protocol))))?;
        socket.set_nonblocking(true)?;
        setsockopt(&socket, sockopt::Ipv6RecvPacketInfo, &true)?;
        socket.set_recv_hoplimit_v6(true)?;
        socket.set_multicast_loop_v6(false)?;
        socket.set_multicast_all_v6(false)?;
        socket.set_multicast_hops_v6(255)?;
        socket.set_unicast_hops_v6(255)?;
        raise_receive_buffer(&socket);
        Ok(RawSocketV6 {
            socket: register(socket)?,
            protocol,
        })
    }

    pub fn protocol(&self) -> u8 {
        self.protocol
    }

    /// Hop limit of everything sent, unicast and multicast.
    pub fn set_hop_limit(&self, hops: u8) -> io::Result<()> {
        self.socket.get_ref().set_unicast_hops_v6(u32::from(hops))?;
        self.socket.get_ref().set_multicast_hops_v6(u32::from(hops))
    }

    /// `IPV6_TCLASS` of everything sent.
    pub fn set_traffic_class(&self, class: u8) -> io::Result<()> {
        self.socket.get_ref().set_tclass_v6(u32::from(class))
    }

    /// `IPV6_CHECKSUM`: the kernel computes (on send) and verifies (on receive) the
    /// pseudo-header checksum at this byte offset of the payload (OSPFv3: 12, VRRPv3: 6);
    /// `None` turns it off. The offset must be even.
    pub fn set_checksum_offset(&self, offset: Option<u16>) -> io::Result<()> {
        let offset: libc::c_int = offset.map_or(-1, libc::c_int::from);
        set_raw_option(
            self.socket.as_raw_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_CHECKSUM,
            &offset,
        )
    }

    /// `SO_BINDTODEVICE`: only this interface's datagrams, in and out; `None` unbinds.
    pub fn bind_to_device(&self, interface: Option<&str>) -> io::Result<()> {
        self.socket.get_ref().bind_device(interface.map(str::as_bytes))
    }

    /// `IPV6_MULTICAST_IF`: the default interface of multicast sent without one.
    pub fn set_multicast_interface(&self, ifindex: u32) -> io::Result<()> {
        self.socket.get_ref().set_multicast_if_v6(ifindex)
    }

    /// Joins `group` on the interface `ifindex`.
    pub fn join_multicast(&self, group: Ipv6Addr, ifindex: u32) -> io::Result<()> {
        self.socket.get_ref().join_multicast_v6(&group, ifindex)
    }

    /// Leaves `group` on the interface `ifindex`.
    pub fn leave_multicast(&self, group: Ipv6Addr, ifindex: u32) -> io::Result<()> {
        self.socket.get_ref().leave_multicast_v6(&group, ifindex)
    }

    /// Waits for the next datagram and writes its payload to `buf`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<ReceivedV6> {
        let message = self
            .socket
            .async_io(Interest::READABLE, |socket| receive_message(socket.as_raw_fd(), buf))
            .await?;
        let source = match message.source {
            Some(SocketAddr::V6(source)) => *source.ip(),
            _ => Ipv6Addr::UNSPECIFIED,
        };
        let destination = match message.ancillary.destination {
            Some(IpAddr::V6(destination)) => destination,
            _ => Ipv6Addr::UNSPECIFIED,
        };
        Ok(ReceivedV6 {
            len: message.len,
            source,
            destination,
            ifindex: message.ancillary.ifindex.unwrap_or(0),
            hop_limit: message.ancillary.hop_limit,
            truncated: message.truncated,
        })
    }

    /// Sends `payload` to `destination`, out of interface `ifindex` (0: wherever the routing
    /// table says; link-local and multicast destinations need one). The kernel builds the IPv6
    /// header and picks the source address.
    pub async fn send(&self, payload: &[u8], destination: Ipv6Addr, ifindex: u32) -> io::Result<usize> {
        self.send_from(payload, None, destination, ifindex).await
    }

    /// [`RawSocketV6::send`] with the source address chosen.
    pub async fn send_from(
        &self,
        payload: &[u8],
        source: Option<Ipv6Addr>,
        destination: Ipv6Addr,
        ifindex: u32,
    ) -> io::Result<usize> {
        let packet_info = libc::in6_pktinfo {
            ipi6_addr: libc::in6_addr {
                s6_addr: source.unwrap_or(Ipv6Addr::UNSPECIFIED).octets(),
            },
            ipi6_ifindex: ifindex,
        };
        let with_packet_info = [ControlMessage::Ipv6PacketInfo(&packet_info)];
        let control: &[ControlMessage] = if ifindex == 0 && source.is_none() {
            &[]
        } else {
            &with_packet_info
        };
        let address = SockaddrIn6::from(SocketAddrV6::new(destination, 0, 0, ifindex));
        let iov = [IoSlice::new(payload)];
        self.socket
            .async_io(Interest::WRITABLE, |socket| {
                sendmsg(
                    socket.as_raw_fd(),
                    &iov,
                    control,
                    MsgFlags::MSG_DONTWAIT,
                    Some(&address),
                )
                .map_err(io::Error::from)
            })
            .await
    }
}

// ─────────────────────────────────────── shared plumbing ───────────────────────────────────────

/// Sockets register with the current tokio runtime; without one that is an error, not a panic.
fn ensure_runtime() -> io::Result<()> {
    match tokio::runtime::Handle::try_current() {
        Ok(_) => Ok(()),
        Err(_) => Err(io::Error::other("raw sockets must be opened inside a tokio runtime")),
    }
}

fn register(socket: Socket) -> io::Result<AsyncFd<Socket>> {
    ensure_runtime()?;
    // SAFETY: `Socket` owns its descriptor, never swaps it and closes it only when dropped, and
    // the AsyncFd owns the Socket: the descriptor stays valid as long as it is registered.
    unsafe { AsyncFd::register_with_interest(socket, Interest::READABLE | Interest::WRITABLE) }.map_err(io::Error::from)
}

fn raise_receive_buffer(socket: &Socket) {
    if let Err(error) = socket.set_recv_buffer_size(SOCKET_RECEIVE_BUFFER_BYTES) {
        tracing::debug!(%error, "cannot raise the raw socket receive buffer");
    }
}

fn interface_index(ifindex: u32) -> io::Result<libc::c_int> {
    libc::c_int::try_from(ifindex).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("interface index {ifindex} out of range"),
        )
    })
}

fn in_addr(address: Ipv4Addr) -> libc::in_addr {
    libc::in_addr {
        s_addr: u32::from(address).to_be(),
    }
}

/// `setsockopt` for the options neither socket2 nor nix offer.
pub(crate) fn set_raw_option<T>(fd: RawFd, level: libc::c_int, name: libc::c_int, value: &T) -> io::Result<()> {
    let length = libc::socklen_t::try_from(size_of::<T>())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "socket option value too large"))?;
    // SAFETY: `value` points to a live `T` of exactly `length` bytes, which the kernel only reads.
    let result = unsafe { libc::setsockopt(fd, level, name, (value as *const T).cast(), length) };
    if result == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// One datagram as `recvmsg` returned it.
#[derive(Debug)]
struct RawMessage {
    /// Bytes written to the buffer.
    len: usize,
    truncated: bool,
    source: Option<SocketAddr>,
    ancillary: Ancillary,
}

/// One non-blocking `recvmsg` into `buf`, with the sender's address and the control messages.
fn receive_message(fd: RawFd, buf: &mut [u8]) -> io::Result<RawMessage> {
    let mut control = [0u8; CONTROL_BUFFER_BYTES];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut storage = SockAddrStorage::zeroed();
    // SAFETY: all-zero is a valid (empty) `msghdr`.
    let mut header: libc::msghdr = unsafe { std::mem::zeroed() };
    header.msg_name = (&raw mut storage).cast();
    header.msg_namelen = storage.size_of();
    header.msg_iov = &raw mut iov;
    header.msg_iovlen = 1;
    header.msg_control = control.as_mut_ptr().cast();
    header.msg_controllen = control.len() as _;
    // SAFETY: every pointer in `header` refers to a live, writable buffer of the length stated
    // next to it (`buf` through `iov`, `storage`, `control`); the kernel writes within them.
    let received = unsafe { libc::recvmsg(fd, &mut header, libc::MSG_DONTWAIT) };
    let len = usize::try_from(received).map_err(|_| io::Error::last_os_error())?;
    // SAFETY: the kernel initialized `msg_namelen` bytes of `storage` as a socket address.
    let source = unsafe { SockAddr::new(storage, header.msg_namelen) }.as_socket();
    let control_len = (header.msg_controllen as usize).min(control.len());
    Ok(RawMessage {
        len: len.min(buf.len()),
        truncated: header.msg_flags & libc::MSG_TRUNC != 0,
        source,
        ancillary: parse_ancillary(control.get(..control_len).unwrap_or(&[])),
    })
}

/// What the control messages of one datagram said.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Ancillary {
    /// `IP_PKTINFO` / `IPV6_PKTINFO`: arrival interface.
    ifindex: Option<u32>,
    /// `IP_PKTINFO` / `IPV6_PKTINFO`: the header's destination address.
    destination: Option<IpAddr>,
    /// `IPV6_HOPLIMIT` (or `IP_TTL`).
    hop_limit: Option<u8>,
}

/// Walks control messages laid out as the kernel writes them: `cmsg_len` (a `size_t`),
/// `cmsg_level`, `cmsg_type` (two `int`s), the header padded to a `size_t` boundary, the data,
/// and padding to the next boundary. Anything short, overlong or unknown is skipped.
fn parse_ancillary(control: &[u8]) -> Ancillary {
    const WORD: usize = size_of::<usize>();
    let header_len = cmsg_align(WORD + 8).unwrap_or(usize::MAX);
    let mut found = Ancillary::default();
    let mut offset = 0usize;
    while let Some(header) = control.get(offset..).and_then(|rest| rest.get(..header_len)) {
        let mut word = [0u8; WORD];
        word.copy_from_slice(&header[..WORD]);
        let length = usize::from_ne_bytes(word);
        let (Some(level), Some(kind)) = (read_i32(header, WORD), read_i32(header, WORD + 4)) else {
            break;
        };
        if length < header_len {
            break;
        }
        let end = offset.saturating_add(length).min(control.len());
        let data = control.get(offset + header_len..end).unwrap_or(&[]);
        match (level, kind) {
            (libc::IPPROTO_IP, libc::IP_PKTINFO) if data.len() >= size_of::<libc::in_pktinfo>() => {
                // in_pktinfo: int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr.
                found.ifindex = read_i32(data, 0).and_then(|index| u32::try_from(index).ok());
                found.destination = Some(IpAddr::V4(Ipv4Addr::new(data[8], data[9], data[10], data[11])));
            }
            (libc::IPPROTO_IPV6, libc::IPV6_PKTINFO) if data.len() >= size_of::<libc::in6_pktinfo>() => {
                // in6_pktinfo: in6_addr ipi6_addr; unsigned int ipi6_ifindex.
                let mut address = [0u8; 16];
                address.copy_from_slice(&data[..16]);
                found.destination = Some(IpAddr::V6(Ipv6Addr::from(address)));
                found.ifindex = read_i32(data, 16).map(|index| index as u32);
            }
            (libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT) | (libc::IPPROTO_IP, libc::IP_TTL) => {
                found.hop_limit = read_i32(data, 0).and_then(|hops| u8::try_from(hops).ok());
            }
            _ => {}
        }
        match cmsg_align(length).and_then(|step| offset.checked_add(step)) {
            Some(next) => offset = next,
            None => break,
        }
    }
    found
}

fn cmsg_align(length: usize) -> Option<usize> {
    let word = size_of::<usize>();
    Some(length.checked_add(word - 1)? & !(word - 1))
}

fn read_i32(bytes: &[u8], at: usize) -> Option<i32> {
    let field: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(i32::from_ne_bytes(field))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::Netlink;
    use crate::netlink::testing::{in_private_netns, sysctl};
    use std::time::Duration;

    /// A control message as the kernel lays it out.
    fn cmsg(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
        let header_len = cmsg_align(size_of::<usize>() + 8).expect("small");
        let mut bytes = (header_len + data.len()).to_ne_bytes().to_vec();
        bytes.extend(level.to_ne_bytes());
        bytes.extend(kind.to_ne_bytes());
        bytes.resize(header_len, 0);
        bytes.extend(data);
        bytes.resize(cmsg_align(bytes.len()).expect("small"), 0);
        bytes
    }

    fn pktinfo_v4(ifindex: i32, destination: [u8; 4]) -> Vec<u8> {
        let mut data = ifindex.to_ne_bytes().to_vec();
        data.extend([10, 0, 0, 1]);
        data.extend(destination);
        cmsg(libc::IPPROTO_IP, libc::IP_PKTINFO, &data)
    }

    fn pktinfo_v6(ifindex: u32, destination: Ipv6Addr) -> Vec<u8> {
        let mut data = destination.octets().to_vec();
        data.extend(ifindex.to_ne_bytes());
        cmsg(libc::IPPROTO_IPV6, libc::IPV6_PKTINFO, &data)
    }

    #[test]
    fn ancillary_ipv4_pktinfo() {
        let found = parse_ancillary(&pktinfo_v4(3, [224, 0, 0, 5]));
        assert_eq!(found.ifindex, Some(3));
        assert_eq!(found.destination, Some(IpAddr::V4(Ipv4Addr::new(224, 0, 0, 5))));
        assert_eq!(found.hop_limit, None);
    }

    #[test]
    fn ancillary_ipv6_pktinfo_and_hop_limit_in_any_order() {
        let group: Ipv6Addr = "ff02::5".parse().expect("address");
        let mut control = cmsg(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, &255i32.to_ne_bytes());
        control.extend(cmsg(libc::SOL_SOCKET, libc::SCM_TIMESTAMP, &[7; 16]));
        control.extend(pktinfo_v6(9, group));
        let found = parse_ancillary(&control);
        assert_eq!(
            found,
            Ancillary {
                ifindex: Some(9),
                destination: Some(IpAddr::V6(group)),
                hop_limit: Some(255),
            }
        );
    }

    #[test]
    fn odd_ancillary_data_is_skipped_not_trusted() {
        assert_eq!(parse_ancillary(&[]), Ancillary::default());
        assert_eq!(parse_ancillary(&[0xff; 7]), Ancillary::default());
        // cmsg_len 0 must not loop forever.
        let mut zero = pktinfo_v4(3, [10, 0, 0, 1]);
        zero[..size_of::<usize>()].fill(0);
        assert_eq!(parse_ancillary(&zero), Ancillary::default());
        // cmsg_len far beyond the buffer.
        let mut huge = pktinfo_v4(3, [10, 0, 0, 1]);
        huge[..size_of::<usize>()].copy_from_slice(&usize::MAX.to_ne_bytes());
        assert_eq!(
            parse_ancillary(&huge).ifindex,
            Some(3),
            "data present in full is still read"
        );
        huge.truncate(huge.len() - 8);
        assert_eq!(
            parse_ancillary(&huge),
            Ancillary::default(),
            "data cut short is ignored"
        );
        // A pktinfo too short for its structure, a hop limit out of range, a negative ifindex.
        let short = cmsg(libc::IPPROTO_IP, libc::IP_PKTINFO, &[1, 0, 0, 0]);
        assert_eq!(parse_ancillary(&short), Ancillary::default());
        let hops = cmsg(libc::IPPROTO_IPV6, libc::IPV6_HOPLIMIT, &1000i32.to_ne_bytes());
        assert_eq!(parse_ancillary(&hops).hop_limit, None);
        assert_eq!(parse_ancillary(&pktinfo_v4(-1, [10, 0, 0, 1])).ifindex, None);
        // Garbage after a good message does not undo it.
        let mut trailing = pktinfo_v4(4, [10, 0, 0, 1]);
        trailing.extend([0xab; 5]);
        assert_eq!(parse_ancillary(&trailing).ifindex, Some(4));
    }

    #[test]
    fn ipv4_header_parsing() {
        let mut packet = vec![0u8; 24];
        packet[0] = 0x45;
        packet[8] = 255;
        packet[12..16].copy_from_slice(&[10, 0, 0, 1]);
        packet[16..20].copy_from_slice(&[224, 0, 0, 18]);
        assert_eq!(
            parse_ipv4_header(&packet),
            Some(Ipv4Header {
                header_len: 20,
                ttl: 255,
                source: Ipv4Addr::new(10, 0, 0, 1),
                destination: Ipv4Addr::new(224, 0, 0, 18),
            })
        );
        packet[0] = 0x46;
        assert_eq!(parse_ipv4_header(&packet).map(|header| header.header_len), Some(24));
        packet[0] = 0x47;
        assert_eq!(parse_ipv4_header(&packet), None, "options longer than the datagram");
        packet[0] = 0x44;
        assert_eq!(parse_ipv4_header(&packet), None, "IHL below 5");
        packet[0] = 0x65;
        assert_eq!(parse_ipv4_header(&packet), None, "not IPv4");
        assert_eq!(parse_ipv4_header(&[]), None);
        assert_eq!(parse_ipv4_header(&[0x45; 19]), None);
    }

    #[test]
    fn opening_outside_a_runtime_is_an_error_not_a_panic() {
        let error = RawSocketV4::open(253).expect_err("no runtime");
        assert!(error.to_string().contains("tokio runtime"), "{error}");
        let error = RawSocketV6::open(253).expect_err("no runtime");
        assert!(error.to_string().contains("tokio runtime"), "{error}");
    }

    // ───────────── root tests, each in a network namespace of its own ─────────────

    const WAIT: Duration = Duration::from_secs(5);

    #[test]
    fn netns_ipv4_over_loopback_with_pktinfo() {
        in_private_netns("netns_ipv4_over_loopback_with_pktinfo", || async {
            let netlink = Netlink::connect().await.expect("connect");
            netlink.set_link_up(1).await;
            let socket = RawSocketV4::open(253).expect("open");
            socket.set_ttl(255).expect("ttl");
            let mut buf = vec![0u8; MAX_DATAGRAM];
            for ifindex in [0, 1] {
                socket.send(b"okapi", Ipv4Addr::LOCALHOST, ifindex).await.expect("send");
                let received = tokio::time::timeout(WAIT, socket.recv(&mut buf))
                    .await
                    .expect("a datagram")
                    .expect("recv");
                assert_eq!(received.payload(&buf), b"okapi");
                assert_eq!((received.header_len, received.len, received.truncated), (20, 25, false));
                assert_eq!(
                    (received.source, received.destination),
                    (Ipv4Addr::LOCALHOST, Ipv4Addr::LOCALHOST)
                );
                assert_eq!((received.ifindex, received.ttl), (1, Some(255)));
            }
            // A buffer shorter than the datagram: truncated, and said so.
            socket.send(&[7; 100], Ipv4Addr::LOCALHOST, 0).await.expect("send");
            let mut small = [0u8; MIN_RECEIVE_BUFFER_V4];
            let received = tokio::time::timeout(WAIT, socket.recv(&mut small))
                .await
                .expect("a datagram")
                .expect("recv");
            assert!(received.truncated);
            assert_eq!(received.len, MIN_RECEIVE_BUFFER_V4);
            assert_eq!(received.payload(&small), &[7; MIN_RECEIVE_BUFFER_V4 - 20][..]);
            let error = socket.recv(&mut [0u8; 10]).await.expect_err("buffer too small");
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput);
        });
    }

    #[test]
    fn netns_ipv6_over_loopback_with_pktinfo() {
        in_private_netns("netns_ipv6_over_loopback_with_pktinfo", || async {
            let netlink = Netlink::connect().await.expect("connect");
            netlink.set_link_up(1).await;
            let socket = RawSocketV6::open(253).expect("open");
            let mut buf = vec![0u8; MAX_DATAGRAM];
            socket.send(b"okapi6", Ipv6Addr::LOCALHOST, 0).await.expect("send");
            let received = tokio::time::timeout(WAIT, socket.recv(&mut buf))
                .await
                .expect("a datagram")
                .expect("recv");
            assert_eq!(received.payload(&buf), b"okapi6");
            assert_eq!(
                (received.source, received.destination),
                (Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST)
            );
            assert_eq!(
                (received.ifindex, received.hop_limit, received.truncated),
                (1, Some(255), false)
            );
        });
    }

    #[test]
    fn netns_ipv4_multicast_over_veth_joined_by_ifindex() {
        in_private_netns("netns_ipv4_multicast_over_veth_joined_by_ifindex", || async {
            let group = Ipv4Addr::new(224, 0, 0, 18);
            let netlink = Netlink::connect().await.expect("connect");
            let (veth0, veth1) = netlink.create_veth_pair("veth0", "veth1").await;
            netlink
                .address_add(veth0, "10.0.0.1".parse().expect("address"), 24)
                .await
                .expect("address");
            netlink
                .address_add(veth1, "10.0.0.2".parse().expect("address"), 24)
                .await
                .expect("address");
            // Both ends live in this namespace, so the packet's source is one of its own addresses.
            sysctl("net/ipv4/conf/veth1/accept_local", "1");

            let receiver = RawSocketV4::open(IPPROTO_VRRP).expect("open");
            receiver.join_multicast(group, veth1).expect("join");
            // Joined on the sending side only: IP_MULTICAST_ALL off keeps veth1's traffic away.
            let bystander = RawSocketV4::open(IPPROTO_VRRP).expect("open");
            bystander.join_multicast(group, veth0).expect("join");
            let sender = RawSocketV4::open(IPPROTO_VRRP).expect("open");
            sender.set_ttl(255).expect("ttl");
            sender.set_multicast_interface(veth0).expect("multicast interface");

            let mut buf = vec![0u8; MAX_DATAGRAM];
            let mut received = None;
            for _ in 0..50 {
                sender.send(b"vrrp", group, veth0).await.expect("send");
                if let Ok(result) = tokio::time::timeout(Duration::from_millis(100), receiver.recv(&mut buf)).await {
                    received = Some(result.expect("recv"));
                    break;
                }
            }
            let received = received.expect("the multicast datagram crossed the veth pair");
            assert_eq!(received.payload(&buf), b"vrrp");
            assert_eq!((received.ifindex, received.ttl), (veth1, Some(255)));
            assert_eq!(
                (received.source, received.destination),
                (Ipv4Addr::new(10, 0, 0, 1), group)
            );

            let mut other = vec![0u8; MAX_DATAGRAM];
            let heard = tokio::time::timeout(Duration::from_millis(300), bystander.recv(&mut other)).await;
            assert!(heard.is_err(), "a socket not joined on veth1 heard {heard:?}");
            let heard = tokio::time::timeout(Duration::from_millis(100), sender.recv(&mut other)).await;
            assert!(heard.is_err(), "the sender heard itself: {heard:?}");
            receiver.leave_multicast(group, veth1).expect("leave");
        });
    }

    #[test]
    fn netns_ipv6_multicast_over_veth_joined_by_ifindex() {
        in_private_netns("netns_ipv6_multicast_over_veth_joined_by_ifindex", || async {
            let group: Ipv6Addr = "ff02::12".parse().expect("address");
            let netlink = Netlink::connect().await.expect("connect");
            // Link-local addresses usable at once, without duplicate address detection.
            sysctl("net/ipv6/conf/default/accept_dad", "0");
            let (veth0, veth1) = netlink.create_veth_pair("veth0", "veth1").await;
            let receiver = RawSocketV6::open(IPPROTO_VRRP).expect("open");
            receiver.join_multicast(group, veth1).expect("join");
            let sender = RawSocketV6::open(IPPROTO_VRRP).expect("open");

            let mut buf = vec![0u8; MAX_DATAGRAM];
            let mut received = None;
            for _ in 0..50 {
                // Until veth0 has its link-local address the kernel has no source to send from.
                if sender.send(b"vrrp6", group, veth0).await.is_ok()
                    && let Ok(result) = tokio::time::timeout(Duration::from_millis(100), receiver.recv(&mut buf)).await
                {
                    received = Some(result.expect("recv"));
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let received = received.expect("the multicast datagram crossed the veth pair");
            assert_eq!(received.payload(&buf), b"vrrp6");
            assert_eq!((received.ifindex, received.hop_limit), (veth1, Some(255)));
            assert_eq!(received.destination, group);
            assert!(received.source.is_unicast_link_local(), "{}", received.source);
        });
    }
}
