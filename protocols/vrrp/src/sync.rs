//! VRRP sync groups (keepalived's `vrrp_sync_group`), sans-IO: the members' state changes
//! go in, the inputs to feed the other members come out.
//!
//! What keepalived does (`vrrp_sync.c`) and what is chosen here:
//! - A member enters Fault: every other member is put in Fault too
//!   (`Input::Fault(Some("sync group NAME: member M in fault"))`). When no member is in a
//!   fault of its own any more, the members the group put in Fault are released
//!   (`Input::Fault(None)`). A member's own faults are learned from its transitions into
//!   Fault that the group did not cause, or told with [`SyncGroup::member_fault`] (which
//!   also keeps a member whose own tracker is down in Fault when the group is released).
//! - A member falls from Master to Backup (a peer preempted it, or it was forced): every
//!   other member that is Master gets `Input::ForceBackup`, so the whole group moves to the
//!   peer (their priority-0 advertisements hand over within Skew_Time).
//! - A member becomes Master: nothing is fed to the others. keepalived holds a member back
//!   until all members want MASTER; here each member elects on its own, which converges to
//!   the same place when the group's members have the same priorities on each node, and the
//!   Backup rule above pulls the group together on the way down.

use crate::router::{Input, State};

/// One sync group over members numbered `0..members` (the daemon maps them to its routers).
#[derive(Clone, Debug)]
pub struct SyncGroup {
    name: String,
    /// The members' names, for the reasons given to the others (their positions without).
    member_names: Vec<String>,
    states: Vec<State>,
    /// Members in a fault of their own (a tracker, the interface), with its reason.
    own_fault: Vec<Option<String>>,
    /// Members this group put in Fault.
    induced: Vec<bool>,
}

impl SyncGroup {
    pub fn new(name: impl Into<String>, members: usize) -> SyncGroup {
        SyncGroup {
            name: name.into(),
            member_names: Vec::new(),
            states: vec![State::Initialize; members],
            own_fault: vec![None; members],
            induced: vec![false; members],
        }
    }

    /// A group whose members have names (instance names), used in the reasons.
    pub fn with_member_names(name: impl Into<String>, member_names: Vec<String>) -> SyncGroup {
        let mut group = SyncGroup::new(name, member_names.len());
        group.member_names = member_names;
        group
    }

    fn member_name(&self, member: usize) -> String {
        self.member_names
            .get(member)
            .cloned()
            .unwrap_or_else(|| format!("member {member}"))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The members' states as last reported.
    pub fn states(&self) -> &[State] {
        &self.states
    }

    /// A member's own fault changed (its tracker or interface). Returns the inputs, for that
    /// member and the others, to feed in order; out-of-range members are ignored.
    pub fn member_fault(&mut self, member: usize, reason: Option<String>) -> Vec<(usize, Input)> {
        let Some(slot) = self.own_fault.get_mut(member) else {
            return Vec::new();
        };
        *slot = reason.clone();
        match reason {
            Some(reason) => vec![(member, Input::Fault(Some(reason)))],
            None if self.any_own_fault() => {
                // Still held in Fault by another member: its reason now.
                if let Some(induced) = self.induced.get_mut(member) {
                    *induced = true;
                }
                let other = self.own_fault.iter().position(Option::is_some).unwrap_or(0);
                let reason = format!("sync group {}: {} in fault", self.name, self.member_name(other));
                vec![(member, Input::Fault(Some(reason)))]
            }
            None => {
                let mut inputs = vec![(member, Input::Fault(None))];
                inputs.extend(self.release(Some(member)));
                inputs
            }
        }
    }

    /// A member's [`Output::Transition`](crate::Output::Transition). Returns the inputs to
    /// feed the other members (whose own transitions come back here in turn).
    pub fn on_transition(&mut self, member: usize, from: State, to: State) -> Vec<(usize, Input)> {
        let Some(state) = self.states.get_mut(member) else {
            return Vec::new();
        };
        *state = to;
        let mut inputs = Vec::new();
        if to == State::Fault {
            let induced = self.induced.get(member).copied().unwrap_or(false);
            if !induced && self.own_fault.get(member).is_some_and(Option::is_none) {
                // A fault the daemon fed the member directly.
                self.own_fault[member] = Some("fault".into());
            }
            let reason = format!("sync group {}: {} in fault", self.name, self.member_name(member));
            for other in 0..self.states.len() {
                if other != member && self.states[other] != State::Fault && !self.induced[other] {
                    self.induced[other] = true;
                    inputs.push((other, Input::Fault(Some(reason.clone()))));
                }
            }
        } else if from == State::Fault {
            self.induced[member] = false;
            self.own_fault[member] = None;
            if self.any_own_fault() {
                // Another member's fault still holds the group: back to Fault.
                self.induced[member] = true;
                let reason = format!("sync group {}: another member in fault", self.name);
                inputs.push((member, Input::Fault(Some(reason))));
            } else {
                inputs.extend(self.release(Some(member)));
            }
        } else if from == State::Master && to == State::Backup {
            let reason = format!(
                "sync group {}: {} Master -> Backup",
                self.name,
                self.member_name(member)
            );
            for (other, state) in self.states.iter().enumerate() {
                if other != member && *state == State::Master {
                    inputs.push((other, Input::ForceBackup(reason.clone())));
                }
            }
        }
        inputs
    }

    fn any_own_fault(&self) -> bool {
        self.own_fault.iter().any(Option::is_some)
    }

    /// Fault(None) for every member the group put in Fault (but `except`).
    fn release(&mut self, except: Option<usize>) -> Vec<(usize, Input)> {
        let mut inputs = Vec::new();
        for (member, induced) in self.induced.iter_mut().enumerate() {
            if *induced && Some(member) != except {
                *induced = false;
                inputs.push((member, Input::Fault(None)));
            }
        }
        inputs
    }
}
