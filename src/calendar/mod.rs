//! Working-day calendar and time rules: Vietnamese public-sector holidays, deadline counting
//! (Civil Code Đ.147–148), office hours, human-readable durations and survey send times.

pub mod duration;
pub mod holidays;
pub mod schedule;
pub mod working;
