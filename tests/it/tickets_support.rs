//! Shared pieces of the ticket tests: times, drafts, a configured service, job inspection.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use tongdai::config::Config;
use tongdai::jobs::{Job, JobState};
use tongdai::tickets::code::CodeSource;
use tongdai::tickets::draft::{ComplaintDraft, Consent, Evidence};
use tongdai::tickets::service::TicketService;

use crate::support::TestDb;

/// A local (Asia/Ho_Chi_Minh) time.
pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    chrono_tz::Asia::Ho_Chi_Minh.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap().with_timezone(&Utc)
}

/// Monday 02/03/2026 10:00 local.
pub fn t0() -> DateTime<Utc> {
    local(2026, 3, 2, 10, 0)
}

pub fn service(db: &TestDb) -> TicketService {
    TicketService::from_config(&Config::default(), db.store.tickets.clone()).unwrap()
}

/// A draft for branch 3 (Sở Tư pháp) with consent given, a name and a phone.
pub fn draft(text: &str) -> ComplaintDraft {
    let mut d = ComplaintDraft::new(3, t0());
    d.content = vec![text.to_owned()];
    d.place = Some("Bộ phận một cửa".into());
    d.procedure = Some("Chứng thực bản sao".into());
    d.citizen_name = Some("Nguyễn Văn A".into());
    d.phone = Some("84912345678".into());
    d.consent = Consent::Given { text_version: "v1".into(), at: t0() };
    d
}

pub fn draft_with_evidence(text: &str, urls: &[&str]) -> ComplaintDraft {
    let mut d = draft(text);
    d.evidence = urls.iter().map(|u| Evidence::Image { url: (*u).to_owned(), msg_id: None }).collect();
    d
}

/// Available jobs of a kind.
pub async fn jobs_of(db: &TestDb, kind: &str) -> Vec<Job> {
    let mut jobs: Vec<Job> =
        db.store.jobs.list(JobState::Available, 1000).await.unwrap().into_iter().filter(|j| j.kind == kind).collect();
    jobs.sort_by_key(|j| j.id);
    jobs
}

/// Codes handed out in a fixed order.
pub struct ScriptedCodes(pub Mutex<VecDeque<String>>);

impl ScriptedCodes {
    pub fn new(codes: &[&str]) -> Arc<Self> {
        Arc::new(Self(Mutex::new(codes.iter().map(|c| (*c).to_owned()).collect())))
    }
}

impl CodeSource for ScriptedCodes {
    fn next_code(&self, _year: i32) -> String {
        self.0.lock().unwrap().pop_front().expect("the script has enough codes")
    }
}
