//! Reload (SIGHUP) and stop (SIGTERM): instances kept, restarted or shut down.

use super::*;

impl Daemon {
    pub(super) async fn reload(&mut self, config: VrrpdConfig) {
        let now = Instant::now();
        // Trackers: restarted when their definition changed.
        let mut old_trackers = std::mem::take(&mut self.trackers);
        for spec in config.trackers.clone() {
            let old = old_trackers.remove(&spec.name);
            // A changed tracker of the same kind keeps its verdict until its probes say
            // otherwise: a reload must not fault the instances that follow it.
            let was_up = old.as_ref().is_some_and(|tracker| {
                tracker.is_up() && std::mem::discriminant(&tracker.spec.kind) == std::mem::discriminant(&spec.kind)
            });
            let kept = old.filter(|tracker| tracker.spec == spec);
            let mut tracker = kept.unwrap_or_else(|| Tracker::start_with(spec.clone(), self.reports.clone(), was_up));
            if let Some(name) = tracker.interface().map(str::to_string) {
                tracker.set_link(self.links.by_name(&name).map(|link| link.is_operational()), now);
            }
            self.trackers.insert(spec.name.clone(), tracker);
        }
        drop(old_trackers);

        // Instances: kept (reconfigured) when their identity is the same, else stopped and
        // started again.
        let mut old: Vec<Instance> = std::mem::take(&mut self.instances);
        let mut kept: Vec<Instance> = Vec::new();
        for spec in config.instances.clone() {
            let same = old.iter().position(|instance| {
                instance.spec.interface == spec.interface
                    && instance.spec.vrid == spec.vrid
                    && instance.spec.is_ipv6() == spec.is_ipv6()
                    && instance.spec.vmac == spec.vmac
                    && instance.spec.addresses == spec.addresses
                    && instance.spec.version == spec.version
            });
            match same {
                Some(position) => {
                    let mut instance = old.remove(position);
                    // Announce addresses the new configuration drops go now; the ones it adds
                    // come with the next sync.
                    let dropped: Vec<(IpAddr, u8)> = instance
                        .spec
                        .announce_addresses
                        .iter()
                        .filter(|address| !spec.announce_addresses.contains(address))
                        .copied()
                        .collect();
                    let interface = instance.spec.announce_interface.clone();
                    self.delete_addresses(&interface, &dropped).await;
                    // A handover forwards for the addresses it started with.
                    if instance.spec.announce_addresses != spec.announce_addresses
                        && let Some(handover) = instance.handover.take()
                    {
                        self.remove_handover_table(handover.table().to_string()).await;
                    }
                    instance.spec = spec;
                    kept.push(instance);
                }
                None => kept.push(Instance::new(spec, now)),
            }
        }
        // Gone or changed beyond reconfiguration: shut down (priority 0, VIPs removed), with
        // their hooks; their sync groups are going too.
        self.instances = old;
        let groups = std::mem::take(&mut self.groups);
        for index in 0..self.instances.len() {
            self.shutdown(index, now).await;
        }
        self.after_transitions().await;
        self.groups = groups;
        for instance in std::mem::take(&mut self.instances) {
            if instance.spec.vmac
                && !kept
                    .iter()
                    .any(|other| other.spec.vmac && other.spec.vmac_name() == instance.spec.vmac_name())
                && let Err(error) = vmac::remove_vmac(&self.netlink, &instance.spec.vmac_name()).await
            {
                tracing::warn!(%error, "removing a virtual MAC interface failed");
            }
        }
        self.instances = kept;
        self.config = config;
        let non_accept = self.config.instances.iter().any(|spec| !spec.accept);
        self.accept.prepare(non_accept).await;
        for index in 0..self.instances.len() {
            let spec = self.instances[index].spec.clone();
            // The password first: a Master re-advertises at once.
            set_auth(&mut self.instances[index].router, &spec);
            let outputs = self.instances[index]
                .router
                .reconfigure(router_config(&spec, spec.priority), now);
            // The trackers' priority is told again by the refresh below.
            self.instances[index].forget_told_priority();
            self.carry_out(index, outputs, now).await;
        }
        self.build_groups();
        // The groups start afresh: tell them the faults their members already have.
        let mut inputs = Vec::new();
        for index in 0..self.instances.len() {
            if let (Some(fault), Some((group, member))) = (self.instances[index].fault.clone(), self.group_of(index)) {
                let group_inputs_now = self.groups[group].0.member_fault(member, Some(fault));
                inputs.extend(group_inputs(Some((group, member)), group_inputs_now, &self.groups));
            }
        }
        self.feed_all(inputs).await;
        self.refresh_all().await;
        tracing::info!(instances = self.instances.len(), "configuration reloaded");
    }

    pub(super) async fn shutdown(&mut self, index: usize, now: Instant) {
        let outputs = self.instances[index].router.handle(okapi_vrrp::Input::Shutdown, now);
        self.carry_out(index, outputs, now).await;
        if self.instances[index].vips_installed {
            self.remove_vips(index).await;
        }
        self.sync_announced(index).await;
    }

    /// RFC 5798 §6.4.3 Shutdown: Masters send priority 0 so that a Backup takes over after
    /// Skew_Time; VIPs removed; macvlans removed; hooks told.
    pub(super) async fn stop(&mut self) {
        let now = Instant::now();
        tracing::info!("stopping");
        for index in 0..self.instances.len() {
            self.shutdown(index, now).await;
        }
        self.after_transitions().await;
        for instance in &self.instances {
            if instance.spec.vmac
                && let Err(error) = vmac::remove_vmac(&self.netlink, &instance.spec.vmac_name()).await
            {
                tracing::warn!(%error, "removing a virtual MAC interface failed");
            }
        }
        for index in 0..self.instances.len() {
            self.stop_handover(index, "stopping").await;
        }
        for (_, burst) in self.bursts.drain() {
            burst.abort();
        }
        self.trackers.clear();
        self.accept.remove().await;
        self.notifier.drain(STOP_HOOKS_LIMIT).await;
    }
}
