//! Sync groups: a fault spreads to the group and is released with the last own fault; a
//! member falling from Master pulls the other Masters to Backup.

use okapi_vrrp::{Input, State, SyncGroup};

#[test]
fn a_member_fault_faults_the_others_and_its_end_releases_them() {
    let mut group = SyncGroup::new("lb", 3);
    for member in 0..3 {
        group.on_transition(member, State::Initialize, State::Backup);
    }
    assert_eq!(
        group.member_fault(1, Some("haproxy down".into())),
        [(1, Input::Fault(Some("haproxy down".into())))]
    );
    let inputs = group.on_transition(1, State::Backup, State::Fault);
    assert_eq!(inputs.iter().map(|(member, _)| *member).collect::<Vec<_>>(), [0, 2]);
    assert!(inputs.iter().all(|(_, input)| matches!(input, Input::Fault(Some(_)))));
    assert!(group.on_transition(0, State::Backup, State::Fault).is_empty());
    assert!(group.on_transition(2, State::Backup, State::Fault).is_empty());
    // The fault ends: the member and the ones the group faulted leave Fault.
    assert_eq!(
        group.member_fault(1, None),
        [
            (1, Input::Fault(None)),
            (0, Input::Fault(None)),
            (2, Input::Fault(None))
        ]
    );
}

#[test]
fn a_member_with_its_own_fault_is_not_released_by_another() {
    let mut group = SyncGroup::new("lb", 2);
    group.member_fault(0, Some("a".into()));
    group.on_transition(0, State::Backup, State::Fault);
    group.member_fault(1, Some("b".into()));
    group.on_transition(1, State::Backup, State::Fault);
    assert_eq!(
        group.member_fault(0, None),
        [(0, Input::Fault(Some("sync group lb: member 1 in fault".into())))],
        "member 1's fault holds the group, and is the reason now"
    );
    assert_eq!(
        group.member_fault(1, None),
        [(1, Input::Fault(None)), (0, Input::Fault(None))]
    );
}

#[test]
fn a_fault_fed_directly_to_a_member_still_spreads() {
    let mut group = SyncGroup::new("lb", 2);
    let inputs = group.on_transition(0, State::Master, State::Fault);
    assert!(matches!(inputs.as_slice(), [(1, Input::Fault(Some(_)))]));
    group.on_transition(1, State::Master, State::Fault);
    let inputs = group.on_transition(0, State::Fault, State::Initialize);
    assert_eq!(inputs, [(1, Input::Fault(None))]);
}

#[test]
fn master_to_backup_forces_the_other_masters_to_backup() {
    let mut group = SyncGroup::new("lb", 3);
    group.on_transition(0, State::Backup, State::Master);
    group.on_transition(1, State::Backup, State::Master);
    group.on_transition(2, State::Initialize, State::Backup);
    let inputs = group.on_transition(0, State::Master, State::Backup);
    assert_eq!(inputs.len(), 1);
    assert!(matches!(&inputs[0], (1, Input::ForceBackup(_))));
    // Becoming Master feeds nothing.
    assert!(group.on_transition(2, State::Backup, State::Master).is_empty());
}
