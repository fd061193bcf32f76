//! Non-accept mode (RFC 5798 §6.1 Accept_Mode false, §6.4.3): a Master that is not the
//! address owner "MUST NOT accept packets addressed to the IPvX address(es) associated with
//! the virtual router". The VIPs still answer ARP and neighbor solicitations (they must, for
//! the LAN to reach the virtual MAC); what they receive is dropped by an nftables rule.
//!
//! ```text
//!   table inet okapi_vrrpd
//!     set refused4 { type ipv4_addr }   set refused6 { type ipv6_addr }
//!     chain input { type filter hook input priority -10; ip daddr @refused4 drop; ip6 daddr @refused6 drop }
//! ```
//!
//! The table exists only while some instance has `accept = false`; a VIP is in a set while
//! its instance is Master in non-accept mode. Changes run `nft -f -` ([`crate::nft`]); a
//! failure is logged and counted, never fatal. keepalived does the same with its
//! `vrrp_strict` rules.

use std::net::IpAddr;

use crate::nft;

const TABLE: &str = "okapi_vrrpd";

/// The nftables table of refused VIPs.
#[derive(Debug, Default)]
pub struct AcceptFilter {
    /// The table was created.
    present: bool,
    pub errors: u64,
    pub last_error: Option<String>,
}

impl AcceptFilter {
    /// Creates the table (empty sets) when `needed`, removes it otherwise.
    pub async fn prepare(&mut self, needed: bool) {
        if needed && !self.present {
            let script = format!(
                "add table inet {TABLE}\nflush table inet {TABLE}\n\
                 add set inet {TABLE} refused4 {{ type ipv4_addr; }}\n\
                 add set inet {TABLE} refused6 {{ type ipv6_addr; }}\n\
                 add chain inet {TABLE} input {{ type filter hook input priority -10; policy accept; }}\n\
                 add rule inet {TABLE} input ip daddr @refused4 drop\n\
                 add rule inet {TABLE} input ip6 daddr @refused6 drop\n"
            );
            self.present = self.run(&script).await;
        } else if !needed && self.present {
            self.remove().await;
        }
    }

    /// Refuses (`refuse`) or accepts again traffic to `vips`.
    pub async fn set(&mut self, vips: &[IpAddr], refuse: bool) {
        if !self.present || vips.is_empty() {
            return;
        }
        let verb = if refuse { "add" } else { "delete" };
        let mut script = String::new();
        for vip in vips {
            let set = if vip.is_ipv6() { "refused6" } else { "refused4" };
            script.push_str(&format!("{verb} element inet {TABLE} {set} {{ {vip} }}\n"));
        }
        // Deleting an element that is not there fails the whole script: one per line.
        if refuse {
            self.run(&script).await;
        } else {
            for line in script.lines() {
                self.run(line).await;
            }
        }
    }

    pub async fn remove(&mut self) {
        if self.present {
            self.run(&format!("delete table inet {TABLE}\n")).await;
            self.present = false;
        }
    }

    /// Runs an nft script; true when it succeeded.
    async fn run(&mut self, script: &str) -> bool {
        match nft::run(script).await {
            Ok(_) => true,
            Err(error) => {
                tracing::error!(%error, "non-accept mode: nftables change failed");
                self.errors += 1;
                self.last_error = Some(error);
                false
            }
        }
    }
}
