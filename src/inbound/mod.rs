//! Webhook intake: verify Zalo's signature on the raw bytes, parse, and make the event durable
//! (deduplicated by its event key) before it is acknowledged; processing happens afterwards in
//! the conversation worker, one citizen's events in order.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::store::{InboundStore, InsertOutcome, NewInboundEvent, OA_EVENTS};
use crate::zalo::events::{event_key, is_registration_probe, parse_event};
use crate::zalo::signature::{body_timestamp, verify_signature};

pub mod group_commit;
pub mod processor;
pub mod turn_writer;
pub mod worker;
pub mod writer;

/// What the webhook needs to verify Zalo's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSecrets {
    pub app_id: String,
    /// The OA Secret Key of the app's Webhook page (not the app secret).
    pub oa_secret_key: String,
    /// Our OA id, when known: resolves the direction of receipts.
    pub oa_id: Option<String>,
}

/// What happened to an accepted request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// Stored; it will be processed.
    Stored(i64),
    /// Seen before (Zalo retry or duplicate); not processed again.
    Duplicate,
    /// The registration probe (empty object or no event name): acknowledged, not processed.
    Probe,
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("missing X-ZEvent-Signature header")]
    Unsigned,
    #[error("the X-ZEvent-Signature does not match this app's OA secret key")]
    BadSignature,
    #[error("the signed body is not a valid Zalo event: {0}")]
    Malformed(String),
    #[error("Zalo is not configured (zalo.app_id and zalo.oa_secret_key)")]
    NotConfigured,
    #[error("storing the event failed: {0}")]
    Storage(String),
}

/// The intake service used by `POST /webhooks/zalo`.
pub struct Intake {
    secrets: Option<WebhookSecrets>,
    store: Arc<dyn InboundStore>,
    clock: crate::clock::SharedClock,
    writer: writer::GroupWriter,
    /// Wakes the conversation worker of this process when something new arrived.
    wake: Arc<Notify>,
}

impl Intake {
    pub fn new(
        secrets: Option<WebhookSecrets>,
        store: Arc<dyn InboundStore>,
        clock: crate::clock::SharedClock,
        wake: Arc<Notify>,
    ) -> Self {
        let writer = writer::GroupWriter::spawn(store.clone(), clock.clone(), 1000);
        Self { secrets, store, clock, writer, wake }
    }

    /// What wakes this process's conversation worker (for other sources of conversation input,
    /// such as an officer ending a chat in the console).
    pub fn worker_wake(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Verifies, parses and durably stores one webhook request body.
    pub async fn accept(&self, raw: &[u8], signature: Option<&str>, num_retry: i32) -> Result<Acceptance, IntakeError> {
        let Some(signature) = signature else {
            return if is_registration_probe(raw) { Ok(Acceptance::Probe) } else { Err(IntakeError::Unsigned) };
        };
        let secrets = self.secrets.as_ref().ok_or(IntakeError::NotConfigured)?;
        let timestamp = body_timestamp(raw).unwrap_or_default();
        if !verify_signature(&secrets.app_id, raw, &timestamp, &secrets.oa_secret_key, signature) {
            return Err(IntakeError::BadSignature);
        }
        if is_registration_probe(raw) {
            return Ok(Acceptance::Probe);
        }
        let event = match parse_event(raw) {
            Ok(event) => event,
            Err(e) => {
                let reason = e.to_string();
                self.store
                    .record_rejected(raw, &reason, self.clock.now())
                    .await
                    .map_err(|e| IntakeError::Storage(e.to_string()))?;
                return Err(IntakeError::Malformed(reason));
            }
        };
        let citizen = event.citizen_user_id(secrets.oa_id.as_deref()).unwrap_or(OA_EVENTS).to_owned();
        let record = NewInboundEvent {
            event_key: event_key(raw, &event),
            event_name: event.event_name.clone(),
            citizen_id: citizen,
            raw_body: raw.to_vec(),
            num_retry,
        };
        match self.writer.write(record).await.map_err(IntakeError::Storage)? {
            InsertOutcome::Inserted(id) => {
                self.wake.notify_one();
                Ok(Acceptance::Stored(id))
            }
            InsertOutcome::Duplicate => Ok(Acceptance::Duplicate),
        }
    }
}
