//! Time rules of the service: human-written durations and (in later modules) the Vietnamese
//! working calendar, office hours and send windows.

pub mod duration;
