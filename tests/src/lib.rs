//! Helpers shared by the lab tests (being written).
