//! What the routers' outputs do on the host: adverts on the raw sockets, VIPs and announce
//! addresses through netlink, gratuitous ARPs and unsolicited NAs.

use super::*;

impl Daemon {
    pub(super) async fn send(&mut self, index: usize, advertisement: &Advertisement) {
        let instance = &self.instances[index];
        let (Some(source), Some(ifindex)) = (instance.local_address, instance.send_ifindex()) else {
            self.io.send_errors += 1;
            self.io.last_error = Some("advert not sent: no source address or interface".into());
            return;
        };
        let destinations: Vec<IpAddr> = if instance.spec.unicast_peers.is_empty() {
            vec![if instance.is_ipv6() {
                IpAddr::V6(VRRP_GROUP_V6)
            } else {
                IpAddr::V4(VRRP_GROUP_V4)
            }]
        } else {
            instance.spec.unicast_peers.clone()
        };
        for destination in destinations {
            let bytes = match advertisement.encode(source, destination) {
                Ok(bytes) => bytes,
                Err(error) => {
                    self.io.send_errors += 1;
                    self.io.last_error = Some(format!("encoding an advert: {error}"));
                    continue;
                }
            };
            let sent = match (source, destination) {
                (IpAddr::V4(source), IpAddr::V4(destination)) => {
                    self.socket4.send_from(&bytes, Some(source), destination, ifindex).await
                }
                (IpAddr::V6(source), IpAddr::V6(destination)) => {
                    self.socket6.send_from(&bytes, Some(source), destination, ifindex).await
                }
                _ => continue,
            };
            match sent {
                Ok(_) => self.io.sent += 1,
                Err(error) => {
                    self.io.send_errors += 1;
                    if self.io.last_error.as_deref() != Some(&error.to_string()) {
                        tracing::warn!(%error, %destination, "sending a VRRP advert failed");
                    }
                    self.io.last_error = Some(error.to_string());
                }
            }
        }
    }

    pub(super) async fn add_vips(&mut self, index: usize) {
        let Some(ifindex) = self.instances[index].vip_ifindex() else {
            return;
        };
        for (address, len) in self.instances[index].spec.addresses.clone() {
            if let Err(error) = self.netlink.address_add(ifindex, address, len).await
                && !error.is_already_present()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "adding a virtual address failed");
            }
        }
        self.instances[index].vips_installed = true;
        let spec = &self.instances[index].spec;
        // §6.4.3: a non-owner Master in non-accept mode does not accept traffic to its VIPs.
        if !spec.accept && spec.priority != okapi_vrrp::router::PRIORITY_OWNER {
            let vips = spec.vips();
            self.accept.set(&vips, true).await;
        }
    }

    pub(super) async fn remove_vips(&mut self, index: usize) {
        if !self.instances[index].spec.accept {
            let vips = self.instances[index].spec.vips();
            self.accept.set(&vips, false).await;
        }
        let Some(ifindex) = self.instances[index].vip_ifindex() else {
            self.instances[index].vips_installed = false;
            return;
        };
        for (address, len) in self.instances[index].spec.addresses.clone() {
            if let Err(error) = self.netlink.address_delete(ifindex, address, len).await
                && !error.is_not_found()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "removing a virtual address failed");
            }
        }
        self.instances[index].vips_installed = false;
    }

    /// RFC 5798 §6.4.1/§6.4.2: a new Master broadcasts a gratuitous ARP (IPv4) or an
    /// unsolicited Neighbor Advertisement (IPv6) for each VIP; `garp-count` times,
    /// `garp-interval-ms` apart, in a task that stops when the instance leaves Master.
    pub(super) fn announce(&mut self, index: usize) {
        let Some(announcer) = self.announcer.clone() else {
            return;
        };
        let instance = &self.instances[index];
        let Some(ifindex) = instance.send_ifindex() else {
            return;
        };
        let mac = if instance.vmac_ifindex.is_some() {
            Some(vmac::vmac_address(instance.spec.vrid, instance.is_ipv6()))
        } else {
            self.links
                .get(ifindex)
                .and_then(|link| link.link.mac.as_deref())
                .and_then(parse_mac)
        };
        let Some(mac) = mac else {
            tracing::warn!(instance = %instance.spec.name, "no MAC address on the interface: no gratuitous ARP");
            return;
        };
        let source6 = self.link_local(instance.ifindex.unwrap_or(0));
        let vips = instance.spec.vips();
        let count = self.config.garp_count;
        let interval = self.config.garp_interval;
        let name = instance.spec.name.clone();
        if count == 0 {
            return;
        }
        // Sent at once from here (the first burst is what matters for failover time); the
        // repeats from a task.
        let (sent, errors) = send_announcements(&announcer, ifindex, mac, &vips, source6);
        self.io.announcements_sent += sent;
        self.io.announcement_errors += errors;
        if count > 1 {
            let task = tokio::spawn(async move {
                for _ in 1..count {
                    tokio::time::sleep(interval).await;
                    send_announcements(&announcer, ifindex, mac, &vips, source6);
                }
            });
            if let Some(previous) = self.bursts.insert(name, task) {
                previous.abort();
            }
        }
    }

    pub(super) fn link_local(&self, ifindex: u32) -> Option<Ipv6Addr> {
        self.links
            .get(ifindex)?
            .addresses_of(IpFamily::V6)
            .find_map(|address| match address.address {
                IpAddr::V6(v6) if is_link_local(v6) => Some(v6),
                _ => None,
            })
    }

    /// The announce addresses of an instance are on their interface while it is Master, or
    /// Backup on a node that is not drained (or drained but still serving connections); compared with what the kernel has (so leftovers
    /// of an earlier run go, and missing ones come back).
    pub(super) async fn sync_announced(&mut self, index: usize) {
        let instance = &self.instances[index];
        if instance.spec.announce_addresses.is_empty() {
            return;
        }
        // A drained Master keeps announcing until the peer has taken the VIPs over (it still
        // receives the traffic until then), and a drained Backup while it serves connections
        // the new Master hands over (see `maintenance`).
        let wanted = match instance.state() {
            State::Master => true,
            State::Backup => !self.drained || instance.drain_serving.is_some(),
            State::Initialize | State::Fault => false,
        };
        let interface = instance.spec.announce_interface.clone();
        let Some(link) = self.links.by_name(&interface) else {
            if wanted {
                tracing::warn!(%interface, "announce-interface missing: nothing announced");
            }
            return;
        };
        let present = |address: &(IpAddr, u8)| {
            link.addresses
                .iter()
                .any(|have| have.address == address.0 && have.prefix_len == address.1)
        };
        // Wanted: the missing ones to add; not wanted: the present ones to delete.
        let changes: Vec<(IpAddr, u8)> = instance
            .spec
            .announce_addresses
            .iter()
            .filter(|address| present(address) != wanted)
            .copied()
            .collect();
        let ifindex = link.ifindex();
        let changed = !changes.is_empty();
        let to_add = if wanted { changes.clone() } else { Vec::new() };
        let to_delete = if wanted { Vec::new() } else { changes };
        for (address, len) in to_add {
            if let Err(error) = self.netlink.address_add(ifindex, address, len).await
                && !error.is_already_present()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "adding an announce address failed");
            }
        }
        self.delete_addresses(&interface, &to_delete).await;
        if changed {
            tracing::info!(instance = %self.instances[index].spec.name, announced = wanted, "announce addresses");
        }
        self.instances[index].announced = wanted;
    }

    /// Removes `addresses` from the interface `name` (those that are not there are fine).
    pub(super) async fn delete_addresses(&mut self, name: &str, addresses: &[(IpAddr, u8)]) {
        let Some(ifindex) = self.links.by_name(name).map(|link| link.ifindex()) else {
            return;
        };
        for (address, len) in addresses {
            if let Err(error) = self.netlink.address_delete(ifindex, *address, *len).await
                && !error.is_not_found()
            {
                self.io.address_errors += 1;
                tracing::error!(%error, "removing an address failed");
            }
        }
    }
}

/// One round of announcements for `vips`; (sent, errors).
fn send_announcements(
    announcer: &Announcer,
    ifindex: u32,
    mac: [u8; 6],
    vips: &[IpAddr],
    source6: Option<Ipv6Addr>,
) -> (u64, u64) {
    let (mut sent, mut errors) = (0, 0);
    for vip in vips {
        let result = match vip {
            IpAddr::V4(v4) => announcer.gratuitous_arp(ifindex, mac, *v4),
            IpAddr::V6(v6) => announcer.unsolicited_na(ifindex, mac, *v6, source6),
        };
        match result {
            Ok(()) => sent += 1,
            Err(error) => {
                errors += 1;
                tracing::debug!(%error, %vip, "announcement failed");
            }
        }
    }
    (sent, errors)
}

fn is_link_local(address: Ipv6Addr) -> bool {
    address.segments()[0] & 0xffc0 == 0xfe80
}
