//! Satisfaction statistics (SIPAS-style): the store's answer counts for a survey and a period,
//! turned into distributions, means, satisfied percentages, element and overall indices, response
//! rates and their JSON/CSV/XLSX exports (with the anonymised raw answers, free text scrubbed of
//! personal data); complaint (PAKN) figures. The counts come from aggregates the survey store
//! maintains (`aggregate` writes them, `plan` reads them).

pub mod aggregate;
pub mod charts;
pub mod cli;
pub mod compute;
pub mod csv_export;
pub mod dashboard;
pub mod export;
pub mod model;
pub mod plan;
pub mod query;
pub mod raw_export;
pub mod report;
pub mod scope;
pub mod scrub;
pub mod settings;
pub mod tickets;
pub mod xlsx;
