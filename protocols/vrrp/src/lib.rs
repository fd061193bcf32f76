//! okapi-vrrp: sans-IO VRRP, version 3 (RFC 5798, IPv4 and IPv6) and version 2 (RFC 3768,
//! IPv4).
//!
//! - [`packet`]: the advertisement codec ([`Advertisement::decode`], [`Advertisement::encode`]).
//! - [`checksum`]: the Internet checksum with and without the pseudo-header.
//! - [`error`]: [`DecodeError`], [`EncodeError`] and [`REJECT_REASONS`].
//! - [`config`]: the [`RouterConfig`] of a virtual router.
//! - [`timers`]: Skew_Time and Master_Down_Interval as `Duration`s.
//! - [`router`]: the virtual router state machine ([`VirtualRouter`], RFC 5798 §6).
//! - [`view`]: [`RouterView`], what the daemon's control API shows.
//! - [`sync`]: sync groups (keepalived's `vrrp_sync_group`).
//!
//! No sockets, no clock: the daemon feeds [`Input`]s with `now` and acts on the [`Output`]s,
//! sleeping until [`VirtualRouter::next_deadline`]. No panics on received bytes.

pub mod checksum;
pub mod config;
pub mod error;
pub mod packet;
pub mod router;
pub mod sync;
pub mod timers;
pub mod view;

pub use config::RouterConfig;
pub use error::{DecodeError, EncodeError, REJECT_REASONS};
pub use packet::{Advertisement, V2Auth, Version};
pub use router::{Input, Output, RECEIVE_REASONS, State, VirtualRouter};
pub use sync::SyncGroup;
pub use view::{RouterCounters, RouterView, TransitionView};
