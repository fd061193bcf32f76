//! Whether each instance can run, and at what priority: interfaces and their addresses,
//! virtual MACs, multicast memberships, trackers, sync groups; the netlink and tracker events
//! that change them.

use super::*;

impl Daemon {
    pub(super) fn start_trackers(&mut self) {
        let now = Instant::now();
        for spec in self.config.trackers.clone() {
            let mut tracker = Tracker::start(spec, self.reports.clone());
            if let Some(name) = tracker.interface().map(str::to_string) {
                tracker.set_link(self.links.by_name(&name).map(|link| link.is_operational()), now);
            }
            self.trackers.insert(tracker.spec.name.clone(), tracker);
        }
    }

    /// The sync groups of the configuration, over the current instances.
    pub(super) fn build_groups(&mut self) {
        self.groups = self
            .config
            .sync_groups
            .iter()
            .map(|group| {
                let members: Vec<usize> = group
                    .instances
                    .iter()
                    .filter_map(|name| self.instances.iter().position(|instance| &instance.spec.name == name))
                    .collect();
                let names = members
                    .iter()
                    .map(|index| self.instances[*index].spec.name.clone())
                    .collect();
                (SyncGroup::with_member_names(group.name.clone(), names), members)
            })
            .collect();
    }

    /// Removes VIPs of ours found on the interfaces at start (left by a crash): no instance
    /// is Master yet.
    pub(super) async fn remove_leftover_vips(&mut self) {
        for index in 0..self.instances.len() {
            let instance = &self.instances[index];
            // An address owner's VIPs are the interface's own addresses (RFC 5798 §6.1).
            if instance.spec.priority == okapi_vrrp::router::PRIORITY_OWNER {
                continue;
            }
            let mut names = vec![instance.spec.interface.clone()];
            if instance.spec.vmac {
                names.push(instance.spec.vmac_name());
            }
            for name in names {
                let Some(link) = self.links.by_name(&name) else {
                    continue;
                };
                let ifindex = link.ifindex();
                let present: Vec<(IpAddr, u8)> = link
                    .addresses
                    .iter()
                    .filter(|address| instance.spec.vips().contains(&address.address))
                    .map(|address| (address.address, address.prefix_len))
                    .collect();
                for (address, len) in present {
                    tracing::info!(%address, interface = %name, "removing a virtual address left from an earlier run");
                    if let Err(error) = self.netlink.address_delete(ifindex, address, len).await {
                        tracing::warn!(%error, "removing a leftover virtual address failed");
                    }
                }
            }
        }
    }

    pub(super) async fn refresh_all(&mut self) {
        for index in 0..self.instances.len() {
            self.refresh(index).await;
        }
        // After the refresh: it may have created a macvlan.
        self.sync_multicast();
        self.after_transitions().await;
    }

    /// Re-evaluates an instance against the interfaces and trackers and tells its router.
    pub(super) async fn refresh(&mut self, index: usize) {
        let now = Instant::now();
        let (interface_fault, ifindex, local_address) = self.interface_state(index);
        self.instances[index].ifindex = ifindex;
        // An address that just went is still the source of the priority-0 advert a Master
        // sends on its way to Fault (RFC 5798 §6.4.3); cleared once the fault is in.
        if local_address.is_some() {
            self.instances[index].local_address = local_address;
        }
        let mut fault = interface_fault;
        if fault.is_none() && self.instances[index].spec.vmac {
            fault = self.ensure_vmac(index).await.err();
        }
        let mut tracks = Vec::new();
        for track in &self.instances[index].spec.track {
            let up = self.trackers.get(&track.name).is_some_and(Tracker::is_up);
            if track.weight.is_none() && !up && fault.is_none() {
                fault = Some(format!("tracker {} down", track.name));
            }
            tracks.push((track.weight, up));
        }
        let drained = self.drained;
        let instance = &mut self.instances[index];
        instance.fault = fault;
        instance.effective_priority = if drained {
            DRAIN_PRIORITY
        } else {
            effective_priority(instance.spec.priority, &tracks)
        };
        let (outputs, fault_change) = instance.sync(now);
        self.carry_out(index, outputs, now).await;
        if let Some(fault) = fault_change {
            let inputs = match self.group_of(index) {
                Some((group, member)) => self.groups[group].0.member_fault(member, fault),
                None => vec![(index, okapi_vrrp::Input::Fault(fault))],
            };
            self.feed_all(group_inputs(self.group_of(index), inputs, &self.groups))
                .await;
        }
        if local_address.is_none() && self.instances[index].local_address.is_some() {
            self.instances[index].local_address = None;
            let (outputs, _) = self.instances[index].sync(now);
            self.carry_out(index, outputs, now).await;
        }
    }

    /// The sync group of instance `index` and its position in it.
    pub(super) fn group_of(&self, index: usize) -> Option<(usize, usize)> {
        self.groups.iter().enumerate().find_map(|(group, (_, members))| {
            members
                .iter()
                .position(|member| *member == index)
                .map(|position| (group, position))
        })
    }

    /// Feeds inputs to instances (by index), carrying out what they cause.
    pub(super) async fn feed_all(&mut self, inputs: Vec<(usize, okapi_vrrp::Input)>) {
        let now = Instant::now();
        for (index, input) in inputs {
            let Some(instance) = self.instances.get_mut(index) else {
                continue;
            };
            let mut outputs = instance.router.handle(input, now);
            outputs.extend(instance.start_if_due(now));
            self.carry_out(index, outputs, now).await;
        }
    }

    /// The interface's fault (missing, down, no address), ifindex and primary address.
    pub(super) fn interface_state(&self, index: usize) -> (Option<String>, Option<u32>, Option<IpAddr>) {
        let spec = &self.instances[index].spec;
        let Some(link) = self.links.by_name(&spec.interface) else {
            return (Some(format!("interface {} missing", spec.interface)), None, None);
        };
        let ifindex = Some(link.ifindex());
        let vips = spec.vips();
        // RFC 5798 §5.1.1.1 (IPv4: the primary address of the interface) and §5.1.2.1 (IPv6:
        // the link-local address of the interface).
        let local = if spec.is_ipv6() {
            self.link_local(link.ifindex()).map(IpAddr::V6)
        } else {
            link.addresses_of(IpFamily::V4)
                .map(|address| address.address)
                .find(|address| !vips.contains(address))
        };
        if !link.is_operational() {
            return (Some(format!("interface {} down", spec.interface)), ifindex, local);
        }
        if local.is_none() {
            let what = if spec.is_ipv6() { "IPv6 link-local" } else { "IPv4" };
            return (Some(format!("no {what} address on {}", spec.interface)), ifindex, None);
        }
        (None, ifindex, local)
    }

    pub(super) async fn ensure_vmac(&mut self, index: usize) -> Result<(), String> {
        let instance = &self.instances[index];
        let name = instance.spec.vmac_name();
        let Some(parent) = instance.ifindex else {
            return Err("no parent interface for the virtual MAC".into());
        };
        if let Some(existing) = self.links.by_name(&name)
            && Some(existing.ifindex()) == instance.vmac_ifindex
        {
            return Ok(());
        }
        let mac = vmac::vmac_address(instance.spec.vrid, instance.is_ipv6());
        match vmac::ensure_vmac(&self.netlink, &name, parent, mac).await {
            Ok(ifindex) => {
                self.instances[index].vmac_ifindex = Some(ifindex);
                Ok(())
            }
            Err(error) => {
                tracing::error!(%error, vmac = %name, "cannot create the virtual MAC interface");
                self.instances[index].vmac_ifindex = None;
                Err(format!("virtual MAC {name}: {error}"))
            }
        }
    }

    /// Joins the VRRP group on each interface with a multicast instance.
    pub(super) fn sync_multicast(&mut self) {
        let mut want4 = BTreeSet::new();
        let mut want6 = BTreeSet::new();
        for instance in &self.instances {
            if !instance.spec.unicast_peers.is_empty() {
                continue;
            }
            // With a virtual MAC, the peer's adverts come from the same MAC as our macvlan,
            // and the kernel hands such frames to the macvlan alone (private mode): listen on
            // both (keepalived does too).
            let parent = self.links.by_name(&instance.spec.interface).map(|link| link.ifindex());
            for ifindex in parent.into_iter().chain(instance.vmac_ifindex) {
                if instance.is_ipv6() {
                    want6.insert(ifindex);
                } else {
                    want4.insert(ifindex);
                }
            }
        }
        for ifindex in want4.difference(&self.joined4.clone()) {
            match self.socket4.join_multicast(VRRP_GROUP_V4, *ifindex) {
                Ok(()) => {
                    self.joined4.insert(*ifindex);
                }
                Err(error) => tracing::warn!(%error, ifindex, "joining 224.0.0.18 failed"),
            }
        }
        for ifindex in self.joined4.difference(&want4).copied().collect::<Vec<_>>() {
            let _ = self.socket4.leave_multicast(VRRP_GROUP_V4, ifindex);
            self.joined4.remove(&ifindex);
        }
        for ifindex in want6.difference(&self.joined6.clone()) {
            match self.socket6.join_multicast(VRRP_GROUP_V6, *ifindex) {
                Ok(()) => {
                    self.joined6.insert(*ifindex);
                }
                Err(error) => tracing::warn!(%error, ifindex, "joining ff02::12 failed"),
            }
        }
        for ifindex in self.joined6.difference(&want6).copied().collect::<Vec<_>>() {
            let _ = self.socket6.leave_multicast(VRRP_GROUP_V6, ifindex);
            self.joined6.remove(&ifindex);
        }
    }

    pub(super) async fn netlink_event(&mut self, event: NetlinkEvent) {
        let removed_ifindex = match &event {
            NetlinkEvent::LinkRemoved { ifindex, .. } => Some(*ifindex),
            _ => None,
        };
        if !self.links.apply(&event) {
            return;
        }
        if let Some(ifindex) = removed_ifindex {
            // A vanished interface takes its memberships with it.
            self.joined4.remove(&ifindex);
            self.joined6.remove(&ifindex);
            for instance in &mut self.instances {
                if instance.vmac_ifindex == Some(ifindex) {
                    instance.vmac_ifindex = None;
                }
            }
        }
        let now = Instant::now();
        for tracker in self.trackers.values_mut() {
            if let Some(name) = tracker.interface().map(str::to_string) {
                let up = self.links.by_name(&name).map(|link| link.is_operational());
                if tracker.set_link(up, now) {
                    tracing::info!(tracker = %tracker.spec.name, up = tracker.is_up(), "tracked interface changed");
                }
            }
        }
        self.refresh_all().await;
    }

    pub(super) async fn tracker_report(&mut self, report: Report) {
        let now = Instant::now();
        let Some(tracker) = self.trackers.get_mut(&report.tracker) else {
            return;
        };
        if !tracker.record(&report.outcome, now) {
            return;
        }
        let up = tracker.is_up();
        if up {
            tracing::info!(tracker = %report.tracker, "tracker up");
        } else {
            tracing::warn!(tracker = %report.tracker, outcome = %report.outcome.view(), "tracker down");
        }
        let affected: Vec<usize> = self
            .instances
            .iter()
            .enumerate()
            .filter(|(_, instance)| instance.spec.track.iter().any(|track| track.name == report.tracker))
            .map(|(index, _)| index)
            .collect();
        for index in affected {
            self.refresh(index).await;
        }
        self.after_transitions().await;
    }

    /// keepalived's sync groups (okapi_vrrp::SyncGroup): the members of a group follow a
    /// member that falls back: a fault puts the others in Fault until every member's own
    /// fault has cleared; a Master that becomes Backup takes the group's other Masters to
    /// Backup (with priority 0, so the peer takes over at once).
    pub(super) async fn follow_sync_group(&mut self, index: usize, from: State, to: State) {
        let Some((group, member)) = self.group_of(index) else {
            return;
        };
        let inputs = self.groups[group].0.on_transition(member, from, to);
        self.feed_all(group_inputs(Some((group, member)), inputs, &self.groups))
            .await;
    }
}

/// A sync group's inputs (by member position) as inputs by instance index.
pub(super) fn group_inputs(
    group: Option<(usize, usize)>,
    inputs: Vec<(usize, okapi_vrrp::Input)>,
    groups: &[(SyncGroup, Vec<usize>)],
) -> Vec<(usize, okapi_vrrp::Input)> {
    match group {
        None => inputs,
        Some((group, _)) => inputs
            .into_iter()
            .filter_map(|(member, input)| Some((*groups[group].1.get(member)?, input)))
            .collect(),
    }
}
