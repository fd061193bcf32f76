//! Virtual-time simulations: 2-3 virtual routers on one LAN (a hub that delivers every sent
//! advertisement to the others, through the codec), checking elections, failover timings
//! against RFC 5798 §6.1's Master_Down_Interval and Skew_Time, preemption, the owner,
//! effective priority, fault, VRRPv2 and VRRPv3.

mod hub;
mod scenarios;
