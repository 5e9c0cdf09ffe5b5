//! The survey store contract: every `SurveyStore` method, the same story on SQLite and PostgreSQL.

use std::sync::Mutex;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::json;
use tongdai::jobs::{JobState, NewJob};
use tongdai::surveys::model::Dossier;
use tongdai::surveys::model::{
    AnswerChannel, ChatStepRecord, ContactHistory, DossierChannel, DossierOutcome, InstancePlan, InstanceState, Level,
    NewAnswer, SendDecision, SkipReason, Submission, SubmitOutcome, UnmatchedFeedback,
};
use tongdai::surveys::AnswerValue;

use crate::support::{on_both_backends, TestDb};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).unwrap()
}

pub fn dossier(code: &str, user: Option<&str>, phone: Option<&str>) -> Dossier {
    Dossier {
        code: code.into(),
        procedure_code: "1.001766".into(),
        procedure_name: "Đăng ký khai sinh".into(),
        field: "Hộ tịch".into(),
        agency_code: "H27.12".into(),
        agency_name: "UBND phường I".into(),
        level: Level::Xa,
        received_at: t0() - Duration::days(4),
        completed_at: t0() - Duration::days(1),
        channel: DossierChannel::TrucTiep,
        citizen_name: Some("Nguyễn Văn An".into()),
        phone: phone.map(str::to_owned),
        zalo_user_id: user.map(str::to_owned),
    }
}

fn scheduled(token: &str, due_at: DateTime<Utc>) -> InstancePlan {
    InstancePlan::Scheduled { token: token.into(), due_at }
}

fn send(id: i64, now: DateTime<Utc>) -> SendDecision {
    SendDecision::Send {
        job: NewJob::new("zalo.send", json!({"instance": id}), 3).unique(format!("survey:{id}:first")),
        reminder_at: Some(now + Duration::days(2)),
        expires_at: now + Duration::days(7),
        first_step: Some("Q1".into()),
    }
}

async fn dossiers_are_stored_once_per_code(db: TestDb) {
    let surveys = &db.store.surveys;
    let seen = Mutex::new(Vec::<(String, ContactHistory)>::new());
    let plan = |d: &Dossier, h: &ContactHistory| {
        seen.lock().unwrap().push((d.code.clone(), *h));
        if d.code == "B" {
            InstancePlan::Skipped { token: format!("tok-{}", d.code), reason: SkipReason::NotSampled }
        } else {
            scheduled(&format!("tok-{}", d.code), t0() + Duration::hours(1))
        }
    };
    let batch = [
        dossier("A", Some("111"), Some("84912345678")),
        dossier("B", None, None),
        dossier("C", None, Some("84912345678")),
    ];
    let outcomes = surveys.store_dossiers(&batch, &plan, t0()).await.unwrap();
    assert!(matches!(outcomes[0], DossierOutcome::Created { state: InstanceState::Scheduled, .. }));
    assert!(matches!(outcomes[1], DossierOutcome::Created { state: InstanceState::Skipped, .. }));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen[0].1, ContactHistory::default());
        assert_eq!(
            seen[2].1,
            ContactHistory { opted_out: false, last_survey_at: Some(t0() + Duration::hours(1)) },
            "a batch sees its own earlier rows: same phone as A"
        );
    }
    let a = surveys.instance_by_dossier("A").await.unwrap().unwrap();
    assert_eq!(
        (a.state, a.token.as_str(), a.due_at),
        (InstanceState::Scheduled, "tok-A", Some(t0() + Duration::hours(1)))
    );
    assert_eq!((a.zalo_user_id.as_deref(), a.phone.as_deref()), (Some("111"), Some("84912345678")));
    let b = surveys.instance_by_token("tok-B").await.unwrap().unwrap();
    assert_eq!((b.state, b.skip_reason, b.due_at), (InstanceState::Skipped, Some(SkipReason::NotSampled), None));
    assert_eq!(surveys.dossier("A").await.unwrap().unwrap(), batch[0]);
    assert_eq!(surveys.dossier("Z").await.unwrap(), None);
    assert_eq!(surveys.instance_by_token("nope").await.unwrap(), None);

    seen.lock().unwrap().clear();
    let mut changed = batch[0].clone();
    changed.zalo_user_id = Some("222".into());
    changed.agency_name = "UBND phường II".into();
    let outcomes = surveys.store_dossiers(&[batch[1].clone(), changed.clone()], &plan, t0()).await.unwrap();
    assert_eq!(outcomes, [DossierOutcome::Unchanged, DossierOutcome::Updated]);
    assert!(seen.lock().unwrap().is_empty(), "no second survey decision for a known code");
    assert_eq!(surveys.dossier("A").await.unwrap().unwrap(), changed);
    let again = surveys.instance_by_dossier("A").await.unwrap().unwrap();
    assert_eq!((again.id, again.token.as_str()), (a.id, "tok-A"), "never a second instance");
    assert_eq!(again.zalo_user_id.as_deref(), Some("222"), "a scheduled instance follows the new contact");
    assert_eq!(surveys.count_instances(InstanceState::Scheduled).await.unwrap(), 2);
    assert_eq!(surveys.count_instances(InstanceState::Skipped).await.unwrap(), 1);
}

async fn dispatch_reminders_and_expiry(db: TestDb) {
    let surveys = &db.store.surveys;
    let due = t0() + Duration::hours(1);
    let plan = |d: &Dossier, _: &ContactHistory| scheduled(&format!("tok-{}", d.code), due);
    let batch =
        [dossier("A", Some("111"), None), dossier("B", Some("111"), None), dossier("C", None, Some("84987654321"))];
    surveys.store_dossiers(&batch, &plan, t0()).await.unwrap();
    let never = |_: &tongdai::surveys::model::DueInstance| -> SendDecision { panic!("nothing is due yet") };
    assert_eq!(surveys.dispatch_due(due - Duration::seconds(1), 10, &never).await.unwrap().claimed, 0);

    let seen = Mutex::new(Vec::new());
    let decide = |item: &tongdai::surveys::model::DueInstance| {
        seen.lock().unwrap().push((item.dossier.code.clone(), item.opted_out, item.other_sent_at));
        if item.dossier.code == "B" {
            SendDecision::Skip(SkipReason::FrequencyCap)
        } else {
            send(item.instance.id, due)
        }
    };
    let report = surveys.dispatch_due(due, 2, &decide).await.unwrap();
    assert_eq!((report.claimed, report.sent, report.skipped), (2, 1, 1), "the limit holds");
    let report = surveys.dispatch_due(due, 10, &decide).await.unwrap();
    assert_eq!((report.claimed, report.sent), (1, 1));
    assert_eq!(surveys.dispatch_due(due, 10, &decide).await.unwrap().claimed, 0, "nothing is dispatched twice");
    assert_eq!(seen.lock().unwrap()[0], ("A".to_owned(), false, None));

    let a = surveys.instance_by_dossier("A").await.unwrap().unwrap();
    assert_eq!(a.state, InstanceState::Sent);
    assert_eq!(
        (a.sent_at, a.reminder_at, a.expires_at),
        (Some(due), Some(due + Duration::days(2)), Some(due + Duration::days(7)))
    );
    assert_eq!(a.chat_step.as_deref(), Some("Q1"));
    let b = surveys.instance_by_dossier("B").await.unwrap().unwrap();
    assert_eq!((b.state, b.skip_reason), (InstanceState::Skipped, Some(SkipReason::FrequencyCap)));
    let jobs = db.store.jobs.list(JobState::Available, 10).await.unwrap();
    let mut keys: Vec<String> = jobs.iter().filter_map(|j| j.unique_key.clone()).collect();
    keys.sort();
    let c = surveys.instance_by_dossier("C").await.unwrap().unwrap();
    assert_eq!(keys, [format!("survey:{}:first", a.id), format!("survey:{}:first", c.id)]);

    // A later instance of the same citizen sees A's send time.
    let plan_d = |d: &Dossier, _: &ContactHistory| scheduled(&format!("tok-{}", d.code), due + Duration::hours(1));
    surveys.store_dossiers(&[dossier("D", Some("111"), None)], &plan_d, t0()).await.unwrap();
    seen.lock().unwrap().clear();
    surveys
        .dispatch_due(due + Duration::hours(1), 10, &|item| {
            seen.lock().unwrap().push((item.dossier.code.clone(), item.opted_out, item.other_sent_at));
            SendDecision::Skip(SkipReason::FrequencyCap)
        })
        .await
        .unwrap();
    assert_eq!(seen.lock().unwrap()[0], ("D".to_owned(), false, Some(due)));

    let reminder = |item: &tongdai::surveys::model::DueInstance| {
        NewJob::new("zalo.send", json!({}), 3).unique(format!("survey:{}:reminder", item.instance.id))
    };
    assert_eq!(surveys.remind_due(due + Duration::days(2) - Duration::seconds(1), 10, &reminder).await.unwrap(), 0);
    assert_eq!(surveys.remind_due(due + Duration::days(2), 1, &reminder).await.unwrap(), 1);
    assert_eq!(surveys.remind_due(due + Duration::days(2), 10, &reminder).await.unwrap(), 1);
    assert_eq!(surveys.remind_due(due + Duration::days(3), 10, &reminder).await.unwrap(), 0, "one reminder only");
    let a = surveys.instance_by_dossier("A").await.unwrap().unwrap();
    assert_eq!(a.reminded_at, Some(due + Duration::days(2)));
    assert_eq!(db.store.jobs.list(JobState::Available, 10).await.unwrap().len(), 4);

    assert_eq!(surveys.expire_due(due + Duration::days(7) - Duration::seconds(1)).await.unwrap(), 0);
    assert_eq!(surveys.expire_due(due + Duration::days(7)).await.unwrap(), 2);
    assert_eq!(surveys.instance_by_dossier("A").await.unwrap().unwrap().state, InstanceState::Expired);
    assert_eq!(surveys.count_instances(InstanceState::Expired).await.unwrap(), 2);
}

async fn sent_instance(db: &TestDb, code: &str, user: &str, sent_at: DateTime<Utc>) -> i64 {
    let plan = |d: &Dossier, _: &ContactHistory| scheduled(&format!("tok-{}", d.code), sent_at);
    db.store.surveys.store_dossiers(&[dossier(code, Some(user), None)], &plan, sent_at).await.unwrap();
    db.store.surveys.dispatch_due(sent_at, 100, &|item| send(item.instance.id, sent_at)).await.unwrap();
    db.store.surveys.instance_by_dossier(code).await.unwrap().unwrap().id
}

fn step(
    id: i64,
    expected: &str,
    answer: Option<(&str, AnswerValue)>,
    next: Option<&str>,
    completes: bool,
) -> ChatStepRecord {
    ChatStepRecord {
        instance_id: id,
        survey_id: "chat-short".into(),
        survey_version: 1,
        expected_step: expected.into(),
        answer: answer.map(|(code, value)| NewAnswer { question_code: code.into(), value }),
        next_step: next.map(str::to_owned),
        completes,
    }
}

async fn chat_steps_and_submissions(db: TestDb) {
    let surveys = &db.store.surveys;
    let now = t0();
    let id = sent_instance(&db, "A", "111", now).await;
    let active = surveys.active_chat_instance("111", now, now).await.unwrap().unwrap();
    assert_eq!(active.id, id);
    assert_eq!(surveys.active_chat_instance("999", now, now).await.unwrap(), None);
    assert_eq!(surveys.active_chat_instance("111", now + Duration::days(7), now).await.unwrap(), None, "expired");

    assert!(
        !surveys
            .record_chat_step(&step(id, "Q2", Some(("Q2", AnswerValue::Score(4))), Some("Q3"), false), now)
            .await
            .unwrap(),
        "stale step"
    );
    assert!(surveys.answers(id).await.unwrap().is_empty());
    assert!(surveys
        .record_chat_step(&step(id, "Q1", Some(("Q1", AnswerValue::Score(4))), Some("Q2"), false), now)
        .await
        .unwrap());
    assert!(
        !surveys
            .record_chat_step(&step(id, "Q1", Some(("Q1", AnswerValue::Score(1))), Some("Q2"), false), now)
            .await
            .unwrap(),
        "a repeated tap changes nothing"
    );
    let instance = surveys.instance_by_token("tok-A").await.unwrap().unwrap();
    assert_eq!((instance.state, instance.chat_step.as_deref()), (InstanceState::Answering, Some("Q2")));
    assert!(surveys
        .record_chat_step(&step(id, "Q2", Some(("Q2", AnswerValue::Score(5))), Some("GOP_Y"), true), now)
        .await
        .unwrap());
    let instance = surveys.instance_by_token("tok-A").await.unwrap().unwrap();
    assert_eq!(
        (instance.state, instance.answer_channel, instance.answered_at),
        (InstanceState::Answered, Some(AnswerChannel::Chat), Some(now))
    );
    assert_eq!(
        surveys.active_chat_instance("111", now, now).await.unwrap().map(|i| i.id),
        Some(id),
        "suggestion pending"
    );
    assert_eq!(
        surveys.active_chat_instance("111", now, now + Duration::seconds(1)).await.unwrap(),
        None,
        "suggestion window over"
    );
    assert!(surveys
        .record_chat_step(&step(id, "GOP_Y", Some(("GOP_Y", AnswerValue::Text("Tốt".into()))), None, false), now)
        .await
        .unwrap());
    assert_eq!(surveys.active_chat_instance("111", now, now).await.unwrap(), None);

    let answers = surveys.answers(id).await.unwrap();
    let values: Vec<(&str, &AnswerValue)> = answers.iter().map(|a| (a.question_code.as_str(), &a.value)).collect();
    assert_eq!(
        values,
        [("Q1", &AnswerValue::Score(4)), ("Q2", &AnswerValue::Score(5)), ("GOP_Y", &AnswerValue::Text("Tốt".into()))]
    );
    let first = &answers[0];
    assert_eq!(
        (first.dossier_code.as_str(), first.survey_id.as_str(), first.survey_version, first.channel),
        ("A", "chat-short", 1, AnswerChannel::Chat)
    );
    assert_eq!(
        (first.agency_code.as_str(), first.agency_name.as_str(), first.level, first.field.as_str()),
        ("H27.12", "UBND phường I", Level::Xa, "Hộ tịch")
    );
    assert_eq!(
        (first.procedure_code.as_str(), first.procedure_name.as_str(), first.dossier_channel),
        ("1.001766", "Đăng ký khai sinh", DossierChannel::TrucTiep)
    );
    assert_eq!((first.completed_at, first.answered_at), (t0() - Duration::days(1), now));

    let submission = |instance_id: i64, channel| Submission {
        instance_id,
        survey_id: "sipas-2022-service".into(),
        survey_version: 1,
        channel,
        answers: vec![NewAnswer { question_code: "C9.15".into(), value: AnswerValue::Score(3) }],
    };
    assert_eq!(surveys.submit(&submission(id, AnswerChannel::Web), now).await.unwrap(), SubmitOutcome::AlreadyAnswered);
    let web = sent_instance(&db, "B", "222", now).await;
    assert_eq!(surveys.submit(&submission(web, AnswerChannel::Web), now).await.unwrap(), SubmitOutcome::Stored);
    assert_eq!(
        surveys.submit(&submission(web, AnswerChannel::Web), now).await.unwrap(),
        SubmitOutcome::AlreadyAnswered
    );
    let stored = surveys.answers(web).await.unwrap();
    assert_eq!((stored.len(), stored[0].channel), (1, AnswerChannel::Web));
    let b = surveys.instance_by_token("tok-B").await.unwrap().unwrap();
    assert_eq!((b.state, b.answer_channel, b.chat_step), (InstanceState::Answered, Some(AnswerChannel::Web), None));
    assert!(
        !surveys
            .record_chat_step(&step(web, "Q1", Some(("Q1", AnswerValue::Score(4))), Some("Q2"), false), now)
            .await
            .unwrap(),
        "answered on the web: chat closed"
    );
    let late = sent_instance(&db, "C", "333", now).await;
    assert_eq!(
        surveys.submit(&submission(late, AnswerChannel::Zns), now + Duration::days(7)).await.unwrap(),
        SubmitOutcome::Closed
    );
    assert!(surveys.answers(late).await.unwrap().is_empty());
}

async fn opt_outs_and_unmatched_feedback(db: TestDb) {
    let surveys = &db.store.surveys;
    let now = t0();
    let later = now + Duration::days(1);
    let plan = |d: &Dossier, _: &ContactHistory| scheduled(&format!("tok-{}", d.code), later);
    let batch = [
        dossier("A", Some("111"), Some("84912345678")),
        dossier("B", None, Some("84912345678")),
        dossier("C", Some("999"), None),
    ];
    surveys.store_dossiers(&batch, &plan, now).await.unwrap();
    let sent = sent_instance(&db, "S", "111", now).await;
    assert!(!surveys.is_opted_out(Some("111"), None).await.unwrap());

    let report = surveys.opt_out(Some("111"), None, "chat", now).await.unwrap();
    assert_eq!((report.skipped, report.reminders_cancelled), (2, 1), "A by user id, B by the phone found on A");
    assert!(surveys.is_opted_out(Some("111"), None).await.unwrap());
    assert!(surveys.is_opted_out(None, Some("84912345678")).await.unwrap());
    assert!(!surveys.is_opted_out(Some("999"), None).await.unwrap());
    for code in ["A", "B"] {
        let instance = surveys.instance_by_dossier(code).await.unwrap().unwrap();
        assert_eq!(
            (instance.state, instance.skip_reason),
            (InstanceState::Skipped, Some(SkipReason::OptedOut)),
            "{code}"
        );
    }
    assert_eq!(surveys.instance_by_dossier("C").await.unwrap().unwrap().state, InstanceState::Scheduled);
    let s = surveys.instance_by_token("tok-S").await.unwrap().unwrap();
    assert_eq!(
        (s.id, s.state, s.reminder_at),
        (sent, InstanceState::Sent, None),
        "sent stays sent; its reminder is cancelled"
    );
    let again = surveys.opt_out(Some("111"), Some("84912345678"), "web", now).await.unwrap();
    assert_eq!(again, Default::default(), "opting out twice is harmless");

    let history = Mutex::new(None);
    surveys
        .store_dossiers(
            &[dossier("D", None, Some("84912345678"))],
            &|_, h| {
                *history.lock().unwrap() = Some(*h);
                InstancePlan::Skipped { token: "tok-D".into(), reason: SkipReason::OptedOut }
            },
            now,
        )
        .await
        .unwrap();
    assert!(history.lock().unwrap().unwrap().opted_out, "the history of a new dossier says opted out");

    let feedback =
        UnmatchedFeedback { tracking_id: Some("zzz".into()), msg_id: Some("m1".into()), rate: Some(5), note: None };
    surveys.record_unmatched_feedback(&feedback, now).await.unwrap();
    assert_eq!(surveys.list_unmatched_feedback(10).await.unwrap(), [feedback]);
}

on_both_backends!(
    dossiers_are_stored_once_per_code,
    dispatch_reminders_and_expiry,
    chat_steps_and_submissions,
    opt_outs_and_unmatched_feedback,
);
