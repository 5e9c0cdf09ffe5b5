//! Who sees which figures. Users and API keys bound to a department see that department's
//! complaints and the survey answers of its agencies (`[stats] department_agencies`); others see
//! everything; officers without a department see nothing. Applied in the store's queries.

use crate::auth::api_keys::ApiKeyRecord;
use crate::auth::users::{Principal, TicketScope};
use crate::tickets::filter::Scope;

use super::query::StatsQuery;
use super::settings::StatsConfig;

/// What a caller may see of the statistics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsScope {
    /// Tickets counted; `None` = no complaint figures at all.
    pub tickets: Option<Scope>,
    /// Agencies whose survey answers are counted; `None` = every agency.
    pub agencies: Option<Vec<String>>,
    /// The department the caller is bound to.
    pub department: Option<String>,
}

impl StatsScope {
    /// Everything.
    pub fn everything() -> Self {
        Self { tickets: Some(Scope::All), agencies: None, department: None }
    }

    /// One department's figures.
    pub fn department(code: &str, config: &StatsConfig) -> Self {
        Self {
            tickets: Some(Scope::Department(code.to_owned())),
            agencies: Some(config.agencies_of(code)),
            department: Some(code.to_owned()),
        }
    }

    /// A console user's scope.
    pub fn of_user(principal: &Principal, config: &StatsConfig) -> Self {
        match principal.stats_scope() {
            TicketScope::Department(code) => Self::department(&code, config),
            TicketScope::None => Self { tickets: None, agencies: Some(Vec::new()), department: None },
            TicketScope::All | TicketScope::MisconductOnly => Self::everything(),
        }
    }

    /// An API key's scope.
    pub fn of_api_key(key: &ApiKeyRecord, config: &StatsConfig) -> Self {
        match &key.department_code {
            Some(code) => Self::department(code, config),
            None => Self::everything(),
        }
    }

    /// Limits a survey query to the scope's agencies. Asking for an agency outside them is an
    /// error (the message says so).
    pub fn restrict(&self, query: &mut StatsQuery) -> Result<(), String> {
        let Some(agencies) = &self.agencies else { return Ok(()) };
        if let Some(agency) = &query.filter.agency {
            if !agencies.contains(agency) {
                return Err(format!("agency `{agency}` is outside the figures you may see"));
            }
        }
        query.filter.agencies = Some(agencies.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::users::Role;
    use crate::stats::settings::DepartmentAgencies;

    fn principal(role: Role, department: Option<&str>) -> Principal {
        Principal { user_id: 1, username: "u".into(), role, department: department.map(str::to_owned) }
    }

    #[test]
    fn department_users_see_their_agencies_only() {
        let config = StatsConfig {
            department_agencies: vec![DepartmentAgencies { department: "STP".into(), agencies: vec!["H27.01".into()] }],
            ..StatsConfig::default()
        };
        let viewer = StatsScope::of_user(&principal(Role::Viewer, Some("STP")), &config);
        assert_eq!(viewer.tickets, Some(Scope::Department("STP".into())));
        let params = |agency: Option<&str>| {
            let mut p = vec![
                ("survey".to_owned(), "s".to_owned()),
                ("from".to_owned(), "2026-01-01".to_owned()),
                ("to".to_owned(), "2026-01-31".to_owned()),
            ];
            p.extend(agency.map(|a| ("agency".to_owned(), a.to_owned())));
            StatsQuery::from_params(&p).expect("valid")
        };
        let mut query = params(None);
        viewer.restrict(&mut query).expect("allowed");
        assert_eq!(query.filter.agencies, Some(vec!["H27.01".to_owned()]));
        assert!(viewer.restrict(&mut params(Some("H27.12"))).is_err());

        let coordinator = StatsScope::of_user(&principal(Role::Coordinator, None), &config);
        let mut query = params(Some("H27.12"));
        coordinator.restrict(&mut query).expect("allowed");
        assert_eq!(query.filter.agencies, None);
        let unlisted = StatsScope::of_user(&principal(Role::Viewer, Some("SNV")), &config);
        assert_eq!(unlisted.agencies, Some(Vec::new()));
        let lost = StatsScope::of_user(&principal(Role::Officer, None), &config);
        assert_eq!(lost.tickets, None);
    }
}
