//! The answers to the control API's `GET /vrrp` (`POST /vrrp/drain` is in `maintenance`).

use super::*;

impl Daemon {
    pub(super) fn answer(&self, query: &Query) -> Result<Value, okapi_runtime::control::ApiError> {
        let now = Instant::now();
        let vrid = match query {
            Query::Vrrp { vrid } => vrid,
            Query::Drain { .. } => &None,
        };
        let instances: Vec<Value> = self
            .instances
            .iter()
            .filter(|instance| vrid.is_none_or(|vrid| instance.spec.vrid == vrid))
            .map(|instance| {
                let trackers: Vec<Value> = instance
                    .spec
                    .track
                    .iter()
                    .map(|track| {
                        json!({
                            "name": track.name,
                            "weight": track.weight,
                            "effect": match track.weight {
                                None => "fault".to_string(),
                                Some(weight) if weight < 0 => format!("priority {weight} while down"),
                                Some(weight) => format!("priority +{weight} while up"),
                            },
                            "up": self.trackers.get(&track.name).is_some_and(Tracker::is_up),
                        })
                    })
                    .collect();
                let interface = self.links.by_name(&instance.spec.interface).map(|link| link.name());
                instance.view(interface, Value::Array(trackers), now)
            })
            .collect();
        if let Some(vrid) = vrid
            && instances.is_empty()
        {
            return Err(okapi_runtime::control::ApiError::not_found(format!(
                "no VRRP instance has VRID {vrid}"
            )));
        }
        let trackers: Vec<Value> = self.trackers.values().map(|tracker| tracker.view(now)).collect();
        let groups: Vec<Value> = self
            .config
            .sync_groups
            .iter()
            .map(|group| {
                json!({
                    "name": group.name,
                    "instances": group.instances,
                    "states": group.instances.iter().map(|member| {
                        self.instances
                            .iter()
                            .find(|instance| &instance.spec.name == member)
                            .map(|instance| format!("{:?}", instance.state()))
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(json!({
            "instances": instances,
            "trackers": trackers,
            "sync_groups": groups,
            "garp_count": self.config.garp_count,
            "garp_interval_ms": self.config.garp_interval.as_millis(),
            "io": {
                "received": self.io.received,
                "sent": self.io.sent,
                "send_errors": self.io.send_errors,
                "receive_errors": self.io.receive_errors,
                "rejected": self.io.rejected,
                "announcements_sent": self.io.announcements_sent,
                "announcement_errors": self.io.announcement_errors,
                "address_errors": self.io.address_errors,
                "nftables_errors": self.accept.errors,
                "nftables_last_error": self.accept.last_error,
                "handover_errors": self.io.handover_errors,
                "last_error": self.io.last_error,
            },
            "hooks": self.notifier.view(),
            "drained": self.drained,
            "drain_seconds": self.drained_at.map(|at| now.saturating_duration_since(at).as_secs_f64()),
            "drain_timeout_ms": self.config.drain_timeout.as_millis(),
            "handover_idle_ms": self.config.handover_idle.as_millis(),
        }))
    }
}
