//! okapi-vrrpd: the VRRP daemon (RFC 5798 v3 for IPv4 and IPv6, RFC 3768 v2). A thin binary:
//! the protocol is okapi-vrrp's sans-IO [`okapi_vrrp::VirtualRouter`], one per instance;
//! everything that touches the OS is okapi-runtime's. One task owns every instance:
//!
//! ```text
//!                ┌───────────────────────── main loop (owns the instances) ─────────────────────────┐
//!  raw sockets ─►│ advert ─► decode ─► instance (ifindex, VRID, family) ─► VirtualRouter           │─► adverts (TTL 255,
//!  (proto 112)   │ sleep_until(earliest deadline) ─► Input::Tick                                    │   IP_PKTINFO source)
//!  netlink ─────►│ link/address ─► readiness (interface, local address) ─► Startup / Fault         │─► VIPs add/remove
//!  trackers ────►│ probe result ─► rise/fall ─► priority ± weight, or Fault                         │   (netlink)
//!  lifecycle ───►│ SIGHUP ─► reconfigure; SIGTERM ─► priority-0 adverts, VIPs removed               │─► gratuitous ARP / NA
//!  control ─────►│ query ─► views                                                                   │─► notify hooks
//!                └──────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! One IPv4 and one IPv6 raw socket serve every interface: with `IP_MULTICAST_ALL` off they
//! receive only the groups joined (224.0.0.18, ff02::12 on each interface with a multicast
//! instance) and unicast to our addresses; `IP_PKTINFO` tells the arrival interface and picks
//! the departure interface and source.

mod accept;
mod config;
mod control;
mod daemon;
mod handover;
mod instance;
mod nft;
mod notify;
mod trackers;

use std::process::ExitCode;

use okapi_runtime::daemon::DaemonSpec;

const SPEC: DaemonSpec = DaemonSpec {
    name: "okapi-vrrpd",
    table: "vrrp",
};

fn main() -> ExitCode {
    okapi_runtime::daemon::main(SPEC, daemon::run)
}
