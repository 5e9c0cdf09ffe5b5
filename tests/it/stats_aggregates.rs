//! The maintained aggregates against a raw recomputation, on random data and on both backends.
//!
//! Each case stores random dossiers through the real survey store — sent or not, answered on the
//! web form, in the chat (partly or to the end), in the chat and then on the web, some dossiers
//! changed before sending or after answering (agency, completion time), completion times packed
//! around local midnights and month starts — then asks random slices (any dates, filters, one
//! grouping) and checks that the store's counts and the whole report equal those recomputed in
//! Rust from the raw rows read back (dossiers, instances, answers). Then it rebuilds the
//! aggregates (the migration's backfill) and checks again.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use chrono::{DateTime, Datelike as _, Duration, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::json;

use tongdai::jobs::NewJob;
use tongdai::stats::compute::AggregationRules;
use tongdai::stats::model::{
    local_offset, AnswerCount, Dimension, InstanceCounts, SeedDossier, StatsSlice, StatsStore,
};
use tongdai::stats::query::StatsQuery;
use tongdai::stats::report::survey_report;
use tongdai::store::{BackendKind, StoreResult};
use tongdai::surveys::model::{
    AnswerChannel, ChatStepRecord, ContactHistory, Dossier, DossierChannel, DueInstance, InstancePlan, InstanceState,
    Level, NewAnswer, SendDecision, StoredAnswer, Submission, SurveyInstance,
};
use tongdai::surveys::AnswerValue;

use crate::support::{on_both_backends, TestDb};

const SURVEYS: [&str; 2] = ["sipas-2017", "chat-short"];
const QUESTIONS: [&str; 3] = ["TC1.1", "TC1.2", "TC2.1"];
/// 80 days of completions from 20 January 2026 (local).
const DAYS: i64 = 80;

fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 20).unwrap()
}

/// Local midnight starting `date`, as UTC.
fn midnight(date: NaiveDate) -> DateTime<Utc> {
    local_offset().from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).unwrap().with_timezone(&Utc)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 3, 0, 0).unwrap()
}

#[derive(Debug, Clone)]
enum Fate {
    Unsent,
    Sent,
    Web,
    /// This many chat steps (1–2), not finished.
    ChatPartial(usize),
    ChatDone,
    /// Some chat steps, then the web form.
    ChatThenWeb(usize),
}

#[derive(Debug, Clone)]
struct Update {
    agency: usize,
    minute: i64,
    after_answers: bool,
}

#[derive(Debug, Clone)]
struct Spec {
    agency: usize,
    procedure: usize,
    field: usize,
    level: usize,
    online: bool,
    minute: i64,
    survey: usize,
    fate: Fate,
    values: [Option<i64>; 3],
    text: bool,
    update: Option<Update>,
}

#[derive(Debug, Clone)]
struct Ask {
    survey: usize,
    from: NaiveDate,
    to: NaiveDate,
    agency: Option<usize>,
    level: Option<usize>,
    field: Option<usize>,
    procedure: Option<usize>,
    online: Option<bool>,
    group_by: Option<Dimension>,
}

/// Minutes since the start, often within 90 minutes of a local month start or midnight.
fn minute() -> impl Strategy<Value = i64> {
    let boundaries: Vec<i64> = [(2026, 2, 1), (2026, 3, 1), (2026, 4, 1), (2026, 1, 31)]
        .into_iter()
        .map(|(y, m, d)| (NaiveDate::from_ymd_opt(y, m, d).unwrap() - start_date()).num_minutes())
        .collect();
    prop_oneof![
        0..DAYS * 1440,
        (proptest::sample::select(boundaries), -90i64..90).prop_map(|(b, delta)| (b + delta).max(0)),
    ]
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        1 => Just(Fate::Unsent),
        1 => Just(Fate::Sent),
        3 => Just(Fate::Web),
        1 => (1usize..3).prop_map(Fate::ChatPartial),
        2 => Just(Fate::ChatDone),
        1 => (1usize..3).prop_map(Fate::ChatThenWeb),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    let update = proptest::option::weighted(
        0.2,
        (0usize..3, minute(), any::<bool>()).prop_map(|(agency, minute, after_answers)| Update {
            agency,
            minute,
            after_answers,
        }),
    );
    (
        (0usize..3, 0usize..3, 0usize..2, 0usize..3, any::<bool>()),
        minute(),
        0usize..2,
        fate(),
        proptest::array::uniform3(proptest::option::weighted(0.85, 1i64..=5)),
        any::<bool>(),
        update,
    )
        .prop_map(|((agency, procedure, field, level, online), minute, survey, fate, values, text, update)| Spec {
            agency,
            procedure,
            field,
            level,
            online,
            minute,
            survey,
            fate,
            values,
            text,
            update,
        })
}

fn ask() -> impl Strategy<Value = Ask> {
    let month_starts =
        [(2026, 1, 1), (2026, 2, 1), (2026, 3, 1)].map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap());
    let dates = prop_oneof![
        (0i64..DAYS, 0i64..70).prop_map(|(from, len)| {
            let from = start_date() - Duration::days(5) + Duration::days(from);
            (from, from + Duration::days(len))
        }),
        (proptest::sample::select(month_starts.to_vec()), 1u32..4).prop_map(|(from, months)| {
            let to = from.checked_add_months(chrono::Months::new(months)).unwrap() - Duration::days(1);
            (from, to)
        }),
    ];
    let sometimes = |n: usize| proptest::option::weighted(0.2, 0..n);
    let group = proptest::option::of(proptest::sample::select(Dimension::ALL.to_vec()));
    (
        0usize..2,
        dates,
        sometimes(3),
        sometimes(3),
        sometimes(2),
        sometimes(3),
        proptest::option::weighted(0.2, any::<bool>()),
        group,
    )
        .prop_map(|(survey, (from, to), agency, level, field, procedure, online, group_by)| Ask {
            survey,
            from,
            to,
            agency,
            level,
            field,
            procedure,
            online,
            group_by,
        })
}

const LEVELS: [Level; 3] = [Level::Tinh, Level::Huyen, Level::Xa];

fn channel(online: bool) -> DossierChannel {
    if online {
        DossierChannel::TrucTuyen
    } else {
        DossierChannel::TrucTiep
    }
}

fn dossier(index: usize, spec: &Spec, agency: usize, minute: i64) -> Dossier {
    let completed_at = midnight(start_date()) + Duration::minutes(minute);
    Dossier {
        code: format!("HS-{index:03}"),
        procedure_code: format!("P{}", spec.procedure),
        procedure_name: format!("Thủ tục {}", spec.procedure),
        field: format!("Lĩnh vực {}", spec.field),
        agency_code: format!("A{agency}"),
        agency_name: format!("Cơ quan {agency}"),
        level: LEVELS[spec.level],
        received_at: completed_at - Duration::days(2),
        completed_at,
        channel: channel(spec.online),
        citizen_name: None,
        phone: None,
        zalo_user_id: Some(format!("u{index}")),
    }
}

fn score(question: &str, value: i64) -> NewAnswer {
    NewAnswer { question_code: question.to_owned(), value: AnswerValue::Score(value) }
}

/// Stores the specs through the survey store.
async fn seed(db: &TestDb, specs: &[Spec]) {
    let surveys = &db.store.surveys;
    let dossiers: Vec<Dossier> = specs.iter().enumerate().map(|(i, s)| dossier(i, s, s.agency, s.minute)).collect();
    let unsent: BTreeSet<String> = specs
        .iter()
        .zip(&dossiers)
        .filter(|(s, _)| matches!(s.fate, Fate::Unsent))
        .map(|(_, d)| d.code.clone())
        .collect();
    let plan = |d: &Dossier, _: &ContactHistory| {
        let due_at = if unsent.contains(&d.code) { now() + Duration::days(30) } else { now() };
        InstancePlan::Scheduled { token: format!("tok-{}", d.code), due_at }
    };
    surveys.store_dossiers(&dossiers, &plan, now()).await.unwrap();

    let update = |after: bool| -> Vec<Dossier> {
        specs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.update.as_ref().filter(|u| u.after_answers == after).map(|u| dossier(i, s, u.agency, u.minute))
            })
            .collect()
    };
    surveys.store_dossiers(&update(false), &plan, now()).await.unwrap();

    let chats: BTreeSet<String> = specs
        .iter()
        .zip(&dossiers)
        .filter(|(s, _)| matches!(s.fate, Fate::ChatPartial(_) | Fate::ChatDone | Fate::ChatThenWeb(_)))
        .map(|(_, d)| d.code.clone())
        .collect();
    let decide = |item: &DueInstance| SendDecision::Send {
        job: NewJob::new("zalo.send", json!({}), 3).unique(format!("survey:{}", item.instance.id)),
        reminder_at: None,
        expires_at: now() + Duration::days(7),
        first_step: chats.contains(&item.dossier.code).then(|| "q0".to_owned()),
    };
    surveys.dispatch_due(now(), 1000, &decide).await.unwrap();

    for (spec, d) in specs.iter().zip(&dossiers) {
        let instance = surveys.instance_by_dossier(&d.code).await.unwrap().unwrap();
        let survey_id = SURVEYS[spec.survey].to_owned();
        let chat_steps = |steps: usize, finish: bool| {
            let survey_id = survey_id.clone();
            (0..steps).map(move |step| ChatStepRecord {
                instance_id: instance.id,
                survey_id: survey_id.clone(),
                survey_version: 1,
                expected_step: format!("q{step}"),
                answer: spec.values[step].map(|v| score(QUESTIONS[step], v)),
                next_step: (!(finish && step + 1 == steps)).then(|| format!("q{}", step + 1)),
                completes: finish && step + 1 == steps,
            })
        };
        let web = || {
            let mut answers: Vec<NewAnswer> =
                QUESTIONS.iter().zip(spec.values).filter_map(|(q, v)| v.map(|v| score(q, v))).collect();
            if spec.text {
                answers.push(NewAnswer { question_code: "GOP_Y".into(), value: AnswerValue::Text("Ý kiến".into()) });
            }
            Submission {
                instance_id: instance.id,
                survey_id: survey_id.clone(),
                survey_version: 1,
                channel: AnswerChannel::Web,
                answers,
            }
        };
        match spec.fate {
            Fate::Unsent | Fate::Sent => {}
            Fate::Web => {
                surveys.submit(&web(), now()).await.unwrap();
            }
            Fate::ChatPartial(steps) | Fate::ChatThenWeb(steps) => {
                for step in chat_steps(steps, false) {
                    assert!(surveys.record_chat_step(&step, now()).await.unwrap());
                }
                if matches!(spec.fate, Fate::ChatThenWeb(_)) {
                    surveys.submit(&web(), now()).await.unwrap();
                }
            }
            Fate::ChatDone => {
                for step in chat_steps(3, true) {
                    assert!(surveys.record_chat_step(&step, now()).await.unwrap());
                }
            }
        }
    }
    surveys.store_dossiers(&update(true), &plan, now()).await.unwrap();
}

/// The raw rows read back from the store, counted in Rust.
struct RawRecount {
    instances: Vec<(Dossier, SurveyInstance)>,
    answers: Vec<StoredAnswer>,
}

impl RawRecount {
    async fn read(db: &TestDb, count: usize) -> Self {
        let mut instances = Vec::new();
        let mut answers = Vec::new();
        for i in 0..count {
            let code = format!("HS-{i:03}");
            let dossier = db.store.surveys.dossier(&code).await.unwrap().unwrap();
            let instance = db.store.surveys.instance_by_dossier(&code).await.unwrap().unwrap();
            answers.extend(db.store.surveys.answers(instance.id).await.unwrap());
            instances.push((dossier, instance));
        }
        Self { instances, answers }
    }
}

/// The dimensions of an answer or a dossier.
struct Dims<'a> {
    agency: &'a str,
    agency_name: &'a str,
    level: &'a str,
    field: &'a str,
    procedure: &'a str,
    procedure_name: &'a str,
    channel: &'a str,
    completed_at: DateTime<Utc>,
}

impl Dims<'_> {
    fn of_dossier(d: &Dossier) -> Dims<'_> {
        Dims {
            agency: &d.agency_code,
            agency_name: &d.agency_name,
            level: d.level.as_str(),
            field: &d.field,
            procedure: &d.procedure_code,
            procedure_name: &d.procedure_name,
            channel: d.channel.as_str(),
            completed_at: d.completed_at,
        }
    }

    fn of_answer(a: &StoredAnswer) -> Dims<'_> {
        Dims {
            agency: &a.agency_code,
            agency_name: &a.agency_name,
            level: a.level.as_str(),
            field: &a.field,
            procedure: &a.procedure_code,
            procedure_name: &a.procedure_name,
            channel: a.dossier_channel.as_str(),
            completed_at: a.completed_at,
        }
    }

    fn in_slice(&self, slice: &StatsSlice) -> bool {
        let f = &slice.filter;
        let ok = |filter: &Option<String>, value: &str| filter.as_deref().is_none_or(|v| v == value);
        self.completed_at >= slice.from
            && self.completed_at < slice.to
            && ok(&f.agency, self.agency)
            && ok(&f.level, self.level)
            && ok(&f.field, self.field)
            && ok(&f.procedure, self.procedure)
            && ok(&f.channel, self.channel)
    }

    fn group(&self, dimension: Option<Dimension>) -> Option<String> {
        let local = self.completed_at.with_timezone(&local_offset()).date_naive();
        Some(match dimension? {
            Dimension::Agency => self.agency.to_owned(),
            Dimension::Level => self.level.to_owned(),
            Dimension::Field => self.field.to_owned(),
            Dimension::Procedure => self.procedure.to_owned(),
            Dimension::Channel => self.channel.to_owned(),
            Dimension::Month => local.format("%Y-%m").to_string(),
            Dimension::Quarter => format!("{}-Q{}", local.year(), local.month0() / 3 + 1),
            Dimension::Year => local.year().to_string(),
        })
    }

    fn name(&self, dimension: Option<Dimension>) -> Option<String> {
        match dimension {
            Some(Dimension::Agency) => Some(self.agency_name.to_owned()),
            Some(Dimension::Procedure) => Some(self.procedure_name.to_owned()),
            _ => None,
        }
    }
}

#[async_trait]
impl StatsStore for RawRecount {
    async fn answer_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<AnswerCount>> {
        let mut counts: BTreeMap<(Option<String>, String, i64), i64> = BTreeMap::new();
        for answer in &self.answers {
            let dims = Dims::of_answer(answer);
            if let (true, true, AnswerValue::Score(value)) =
                (answer.survey_id == slice.survey_id, dims.in_slice(slice), &answer.value)
            {
                *counts.entry((dims.group(slice.group_by), answer.question_code.clone(), *value)).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((group, question, value), count)| AnswerCount { group, question, value, count })
            .collect())
    }

    async fn instance_counts(&self, slice: &StatsSlice) -> StoreResult<Vec<InstanceCounts>> {
        let mut groups: BTreeMap<Option<String>, InstanceCounts> = BTreeMap::new();
        for (dossier, instance) in &self.instances {
            let dims = Dims::of_dossier(dossier);
            if !dims.in_slice(slice) {
                continue;
            }
            let group = dims.group(slice.group_by);
            let entry = groups.entry(group.clone()).or_insert_with(|| InstanceCounts { group, ..Default::default() });
            entry.sent += i64::from(instance.sent_at.is_some());
            entry.answered += i64::from(instance.state == InstanceState::Answered);
            entry.group_name = entry.group_name.clone().max(dims.name(slice.group_by));
        }
        let mut responding: BTreeMap<Option<String>, (BTreeSet<i64>, Option<String>)> = BTreeMap::new();
        for answer in self.answers.iter().filter(|a| a.survey_id == slice.survey_id) {
            let dims = Dims::of_answer(answer);
            if dims.in_slice(slice) {
                let entry = responding.entry(dims.group(slice.group_by)).or_default();
                entry.0.insert(answer.instance_id);
                entry.1 = entry.1.clone().max(dims.name(slice.group_by));
            }
        }
        for (group, (instances, name)) in responding {
            let entry = groups.entry(group.clone()).or_insert_with(|| InstanceCounts {
                group,
                group_name: name,
                ..Default::default()
            });
            entry.responses += i64::try_from(instances.len()).unwrap();
        }
        Ok(groups.into_values().collect())
    }

    async fn rebuild_aggregates(&self) -> StoreResult<()> {
        Ok(())
    }

    /// Not compared here (the raw pages have their own test in `stats_export.rs`).
    async fn raw_answers(
        &self,
        _slice: &StatsSlice,
        _after_instance: i64,
        _limit: u32,
    ) -> StoreResult<Vec<tongdai::stats::model::RawAnswer>> {
        Ok(Vec::new())
    }

    async fn seed_answered(&self, _batch: &[SeedDossier]) -> StoreResult<()> {
        Ok(())
    }

    async fn ticket_rows(
        &self,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
        _scope: &tongdai::tickets::filter::Scope,
    ) -> StoreResult<Vec<tongdai::stats::tickets::TicketStatRow>> {
        Ok(Vec::new())
    }
}

fn query(ask: &Ask) -> StatsQuery {
    let mut params = vec![
        ("survey".to_owned(), SURVEYS[ask.survey].to_owned()),
        ("from".to_owned(), ask.from.to_string()),
        ("to".to_owned(), ask.to.to_string()),
    ];
    let mut add = |key: &str, value: Option<String>| params.extend(value.map(|v| (key.to_owned(), v)));
    add("agency", ask.agency.map(|a| format!("A{a}")));
    add("level", ask.level.map(|l| LEVELS[l].as_str().to_owned()));
    add("field", ask.field.map(|f| format!("Lĩnh vực {f}")));
    add("procedure", ask.procedure.map(|p| format!("P{p}")));
    add("channel", ask.online.map(|o| channel(o).as_str().to_owned()));
    add("group_by", ask.group_by.map(|g| g.as_str().to_owned()));
    StatsQuery::from_params(&params).unwrap()
}

async fn compare(db: &TestDb, raw: &RawRecount, asks: &[Ask], stage: &str) -> Result<(), TestCaseError> {
    let catalog = tongdai::surveys::settings::load_catalog(&tongdai::config::Config::default().survey).unwrap();
    let rules = AggregationRules::default();
    for ask in asks {
        let query = query(ask);
        let slice = query.slice();
        let stats = db.store.stats.as_ref();
        prop_assert_eq!(
            stats.answer_counts(&slice).await.unwrap(),
            raw.answer_counts(&slice).await.unwrap(),
            "answers, {}: {:?}",
            stage,
            ask
        );
        prop_assert_eq!(
            stats.instance_counts(&slice).await.unwrap(),
            raw.instance_counts(&slice).await.unwrap(),
            "instances, {}: {:?}",
            stage,
            ask
        );
        let from_aggregates = survey_report(stats, &catalog, &query, &rules).await.unwrap();
        let recomputed = survey_report(raw, &catalog, &query, &rules).await.unwrap();
        prop_assert_eq!(
            serde_json::to_value(&from_aggregates).unwrap(),
            serde_json::to_value(&recomputed).unwrap(),
            "report, {}: {:?}",
            stage,
            ask
        );
        // Read just after the last completion, as the service reads "today": a period reaching
        // past that moment is read to the end of its month, and no figure changes.
        // (Answers keep their dossier's completion as it was when they were given.)
        let completions = raw.instances.iter().map(|(d, _)| d.completed_at);
        if let Some(latest) = completions.chain(raw.answers.iter().map(|a| a.completed_at)).max() {
            let today = StatsQuery { read_at: Some(latest + Duration::milliseconds(1)), ..query.clone() };
            let read_today = survey_report(stats, &catalog, &today, &rules).await.unwrap();
            prop_assert_eq!(
                serde_json::to_value(&read_today).unwrap(),
                serde_json::to_value(&recomputed).unwrap(),
                "report read at the last completion, {}: {:?}",
                stage,
                ask
            );
        }
    }
    Ok(())
}

async fn one_case(kind: BackendKind, specs: Vec<Spec>, asks: Vec<Ask>) -> Result<(), TestCaseError> {
    let db = match kind {
        BackendKind::Sqlite => TestDb::sqlite().await,
        BackendKind::Postgres => TestDb::postgres().await,
    };
    seed(&db, &specs).await;
    let raw = RawRecount::read(&db, specs.len()).await;
    compare(&db, &raw, &asks, "maintained").await?;
    db.store.stats.rebuild_aggregates().await.unwrap();
    compare(&db, &raw, &asks, "rebuilt").await
}

/// Random data and random slices: aggregates (maintained, then rebuilt) equal the raw recount.
async fn aggregates_equal_raw_recount(db: TestDb) {
    let kind = db.store.kind;
    drop(db);
    let mut runner =
        TestRunner::new(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() });
    let strategy = (proptest::collection::vec(spec(), 1..30), proptest::collection::vec(ask(), 8));
    let result = tokio::task::block_in_place(|| {
        let handle = tokio::runtime::Handle::current();
        runner.run(&strategy, |(specs, asks)| handle.block_on(one_case(kind, specs, asks)))
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// The bulk seeding path of the benchmark, then a rebuild, gives the same figures as the raw rows.
async fn seeded_then_rebuilt(db: TestDb) {
    let at = midnight(start_date()) + Duration::hours(10);
    let batch: Vec<SeedDossier> = (0..40)
        .map(|i| {
            let spec = Spec {
                agency: i % 3,
                procedure: i % 2,
                field: 0,
                level: i % 3,
                online: i % 2 == 0,
                minute: i64::try_from(i).unwrap() * 2000,
                survey: 0,
                fate: Fate::Web,
                values: [None; 3],
                text: false,
                update: None,
            };
            let dossier = dossier(i, &spec, spec.agency, spec.minute);
            let answers = QUESTIONS.iter().map(|q| ((*q).to_owned(), i64::try_from(i % 5).unwrap() + 1)).collect();
            SeedDossier { dossier, survey_id: SURVEYS[0].to_owned(), survey_version: 1, answered_at: at, answers }
        })
        .collect();
    db.store.stats.seed_answered(&batch).await.unwrap();
    db.store.stats.rebuild_aggregates().await.unwrap();
    let raw = RawRecount::read(&db, batch.len()).await;
    assert_eq!(raw.answers.len(), 120);
    let month = |m| NaiveDate::from_ymd_opt(2026, m, 1).unwrap();
    let asks: Vec<Ask> = [None, Some(Dimension::Agency), Some(Dimension::Month), Some(Dimension::Procedure)]
        .into_iter()
        .map(|group_by| Ask {
            survey: 0,
            from: month(1),
            to: month(4) - Duration::days(1),
            agency: None,
            level: None,
            field: None,
            procedure: None,
            online: None,
            group_by,
        })
        .collect();
    compare(&db, &raw, &asks, "seeded").await.unwrap();
    let report = survey_report(
        db.store.stats.as_ref(),
        &tongdai::surveys::settings::load_catalog(&tongdai::config::Config::default().survey).unwrap(),
        &query(&asks[0]),
        &AggregationRules::default(),
    )
    .await
    .unwrap();
    assert_eq!((report.sent, report.answered, report.responses), (40, 40, 40));
}

on_both_backends!(aggregates_equal_raw_recount, seeded_then_rebuilt);
