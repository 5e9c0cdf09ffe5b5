//! What "ready to serve" means: the database answers and its schema matches this binary.

use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Each reason says what is wrong and what the operator can do.
    NotReady(Vec<String>),
}

pub async fn readiness(store: &Store) -> Readiness {
    if let Err(e) = store.health.ping().await {
        return Readiness::NotReady(vec![format!("database unreachable: {e}")]);
    }
    match store.health.schema_status().await {
        Err(e) => Readiness::NotReady(vec![format!("cannot read the schema version: {e}")]),
        Ok(status) if !status.is_current() => Readiness::NotReady(vec![format!(
            "database schema not current: {} of {} migrations applied; run `tongdai migrate`",
            status.applied, status.expected
        )]),
        Ok(_) => Readiness::Ready,
    }
}
