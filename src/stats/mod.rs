//! Satisfaction statistics (SIPAS-style): the store's answer counts for a survey and a period,
//! turned into distributions, means, satisfied percentages, element and overall indices, response
//! rates and their JSON/CSV exports.

pub mod cli;
pub mod compute;
pub mod csv_export;
pub mod model;
pub mod query;
pub mod report;
