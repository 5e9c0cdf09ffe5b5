//! Understands what a citizen typed at the menu: a branch number ("4", "nhánh số bốn"), a
//! branch's title or keywords (with or without diacritics, abbreviations, small typos), or one
//! of the commands that work anywhere in the chat ("menu", "trợ giúp", "quay lại", "hủy").

use std::collections::{BTreeMap, BTreeSet};

use crate::bot::catalogue::{Branch, Catalogue, Department};
use crate::bot::text::{fold, tokens, typo_budget, word_matches};

/// What a message says about the branch the citizen wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BranchMatch {
    /// One branch, by number.
    Exact(u8),
    /// Several branches fit about equally well: ask which one. Best first.
    Ambiguous(Vec<u8>),
    /// Not a branch choice (chit-chat, an unknown number, unrelated words).
    NoMatch,
}

/// Commands that work from anywhere in the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GlobalCommand {
    /// Back to the main menu of branches.
    Menu,
    /// How to use the bot.
    Help,
    /// One step back.
    Back,
    /// Abandon what is in progress.
    Cancel,
}

/// Whole messages (folded) that are global commands. A command must be the entire message:
/// "tôi muốn hủy hồ sơ đất" is a sentence about a dossier, not a Cancel.
const GLOBAL_COMMANDS: &[(&str, GlobalCommand)] = &[
    ("menu", GlobalCommand::Menu),
    ("menu chinh", GlobalCommand::Menu),
    ("ve menu", GlobalCommand::Menu),
    ("0", GlobalCommand::Menu),
    ("trang chu", GlobalCommand::Menu),
    ("ve trang chu", GlobalCommand::Menu),
    ("bat dau", GlobalCommand::Menu),
    ("bat dau lai", GlobalCommand::Menu),
    ("start", GlobalCommand::Menu),
    ("tro giup", GlobalCommand::Help),
    ("giup", GlobalCommand::Help),
    ("giup do", GlobalCommand::Help),
    ("giup toi", GlobalCommand::Help),
    ("help", GlobalCommand::Help),
    ("huong dan", GlobalCommand::Help),
    ("huong dan su dung", GlobalCommand::Help),
    ("quay lai", GlobalCommand::Back),
    ("tro lai", GlobalCommand::Back),
    ("tro ve", GlobalCommand::Back),
    ("back", GlobalCommand::Back),
    ("huy", GlobalCommand::Cancel),
    ("huy bo", GlobalCommand::Cancel),
    ("thoat", GlobalCommand::Cancel),
    ("cancel", GlobalCommand::Cancel),
];

/// Recognises a global command when it is the whole message, ignoring case, diacritics,
/// punctuation, spacing and a polite ending ("menu nhé", "hủy đi"). A message of question marks
/// only ("?", "??") asks for help.
pub fn is_global_command(input: &str) -> Option<GlobalCommand> {
    let trimmed = input.trim();
    if !trimmed.is_empty() && trimmed.chars().all(|c| matches!(c, '?' | '？')) {
        return Some(GlobalCommand::Help);
    }
    let folded = fold(input);
    let words = tokens(&folded);
    let command = strip_trailing_politeness(&words).join(" ");
    GLOBAL_COMMANDS.iter().find(|(phrase, _)| *phrase == command).map(|(_, command)| *command)
}

// ---------------------------------------------------------------------------------------------
// Branch numbers

/// Vietnamese number words (folded). Nine and ten are here so that "nhánh chín" is understood
/// as a number that does not exist rather than as words.
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("mot", 1),
    ("hai", 2),
    ("ba", 3),
    ("bon", 4),
    ("tu", 4),
    ("nam", 5),
    ("sau", 6),
    ("bay", 7),
    ("tam", 8),
    ("chin", 9),
    ("muoi", 10),
];

/// Words that may come before a bare choice: "tôi chọn 4", "xin gặp 2", "vào 7".
const LEADING_FILLER: &[&str] =
    &["toi", "em", "minh", "muon", "xin", "cho", "chon", "bam", "nhan", "gap", "vao", "xem"];

/// Words naming a menu entry: "nhánh 4", "phím 4", "mục 4".
const CHOICE_NOUNS: &[&str] = &["nhanh", "phim", "muc"];

/// Words between the noun and the number: "nhánh số 4", "nhánh thứ tư".
const NUMBER_MARKERS: &[&str] = &["so", "thu"];

/// Polite endings that do not change a choice: "4 ạ", "nhánh 2 nhé".
const TRAILING_POLITENESS: &[&str] = &["a", "ah", "nhe", "nha", "nhen", "di", "voi", "ha"];

/// Longest run of digits read as a number; longer runs are phone numbers or codes.
const MAX_NUMBER_DIGITS: usize = 3;

/// The number a digit run or a number word stands for.
fn number_value(word: &str) -> Option<u32> {
    if word.chars().all(|c| c.is_ascii_digit()) {
        if word.len() > MAX_NUMBER_DIGITS {
            return None;
        }
        return word.parse().ok();
    }
    NUMBER_WORDS.iter().find(|(name, _)| *name == word).map(|(_, value)| *value)
}

fn is_digits(word: &str) -> bool {
    !word.is_empty() && word.chars().all(|c| c.is_ascii_digit())
}

/// Splits "nhanh4" into "nhanh" and "4", as people often forget the space.
fn split_letters_from_digits(word: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut previous_is_digit = None;
    for (offset, c) in word.char_indices() {
        let is_digit = c.is_ascii_digit();
        if previous_is_digit.is_some_and(|previous| previous != is_digit) {
            parts.push(&word[start..offset]);
            start = offset;
        }
        previous_is_digit = Some(is_digit);
    }
    if start < word.len() {
        parts.push(&word[start..]);
    }
    parts
}

fn strip_leading<'a, 'b>(mut words: &'a [&'b str], fillers: &[&str]) -> &'a [&'b str] {
    while let Some((first, rest)) = words.split_first() {
        if !fillers.contains(first) {
            break;
        }
        words = rest;
    }
    words
}

fn strip_one<'a, 'b>(words: &'a [&'b str], candidates: &[&str]) -> &'a [&'b str] {
    match words.split_first() {
        Some((first, rest)) if candidates.contains(first) => rest,
        _ => words,
    }
}

fn strip_trailing_politeness<'a, 'b>(mut words: &'a [&'b str]) -> &'a [&'b str] {
    while let Some((last, rest)) = words.split_last() {
        if !TRAILING_POLITENESS.contains(last) || rest.is_empty() {
            break;
        }
        words = rest;
    }
    words
}

/// A message that is nothing but a choice: "4", "số 4", "nhánh số bốn", "tôi chọn nhánh 4 ạ".
fn whole_message_number(words: &[&str]) -> Option<u32> {
    let words = strip_trailing_politeness(words);
    let words = strip_leading(words, LEADING_FILLER);
    let words = strip_one(words, CHOICE_NOUNS);
    let words = strip_one(words, NUMBER_MARKERS);
    match words {
        [number] => number_value(number),
        _ => None,
    }
}

/// Choices named inside a longer message: "cho tôi hỏi nhánh 4 về hồ sơ". After the noun a
/// digit counts anywhere; a number word counts after "số"/"thứ" or at the end of the message,
/// so that "nhanh hai ngày" (quickly, two days) is not read as branch 2.
fn numbers_after_choice_noun(words: &[&str]) -> Vec<u32> {
    let words = strip_trailing_politeness(words);
    let mut found = Vec::new();
    for (position, word) in words.iter().enumerate() {
        if !CHOICE_NOUNS.contains(word) {
            continue;
        }
        let after_noun = &words[position + 1..];
        let marked = after_noun.first().is_some_and(|next| NUMBER_MARKERS.contains(next));
        let candidates = if marked { &after_noun[1..] } else { after_noun };
        let Some((candidate, rest)) = candidates.split_first() else {
            continue;
        };
        let counts = is_digits(candidate) || marked || rest.is_empty();
        if let Some(number) = number_value(candidate).filter(|_| counts) {
            if !found.contains(&number) {
                found.push(number);
            }
        }
    }
    found
}

/// Turns requested numbers into a match: numbers outside 1..=`branch_count` are ignored.
fn match_from_numbers(numbers: &[u32], branch_count: u8) -> BranchMatch {
    let valid: Vec<u8> = numbers
        .iter()
        .filter_map(|number| u8::try_from(*number).ok())
        .filter(|number| (1..=branch_count).contains(number))
        .collect();
    match valid.as_slice() {
        [] => BranchMatch::NoMatch,
        [single] => BranchMatch::Exact(*single),
        _ => BranchMatch::Ambiguous(valid),
    }
}

// ---------------------------------------------------------------------------------------------
// Titles and keywords

/// Weight of a phrase from a branch's title or short title: what the menu shows, so the
/// strongest evidence.
const TITLE_WEIGHT: f32 = 1.5;
/// Weight of a phrase from a branch's keywords.
const KEYWORD_WEIGHT: f32 = 1.0;
/// Weight of the owning department's name ("Sở Tư pháp"): weaker, a department may own
/// several branches.
const DEPARTMENT_WEIGHT: f32 = 0.8;
/// Each matched word beyond the first adds this fraction to a phrase's score, so the more
/// specific "phần mềm dùng chung" beats "phần mềm" when both match fully.
const SPECIFICITY_BONUS_PER_WORD: f32 = 0.25;
/// Factor for a phrase whose words are found apart or out of order in the message: "văn phòng
/// ủy ban" contains "văn" and "ban" but is not about "văn bản".
const SCATTERED_FACTOR: f32 = 0.6;
/// A partly matched phrase needs at least this many of its words in the message.
const MIN_PARTIAL_WORDS: usize = 2;
/// Below this best score the message is not a branch choice. Two words of a four-word keyword
/// ("cải cách" of "cải cách thể chế") score 0.3125 and just pass.
const MIN_SCORE: f32 = 0.3;
/// A runner-up scoring at least this fraction of the best makes the match ambiguous.
const AMBIGUITY_RATIO: f32 = 0.85;
/// Only the first words of a message are scored: a branch choice is short, and a pasted
/// complaint must not cost much.
const MAX_INPUT_WORDS: usize = 60;

/// Folded words too common in administrative Vietnamese to show, on their own, which branch is
/// meant ("công tác", "thông tin", "tổ chức", "hỗ trợ"…). A partly matched phrase fires only if
/// at least one matched word is not in this list; a fully matched phrase always fires.
const GENERIC_WORDS: &[&str] = &[
    "ban", "bo", "ca", "cac", "cho", "chuc", "chung", "co", "cong", "cua", "dan", "dia", "duoc", "dung", "giai", "ho",
    "hien", "huong", "ket", "khai", "khong", "la", "lien", "ly", "mot", "nganh", "nguoi", "nha", "nhan", "nhung",
    "nuoc", "phan", "phuong", "qua", "quan", "quyet", "so", "tac", "thong", "thuc", "tiep", "tin", "tinh", "to",
    "trien", "tro", "trong", "tu", "uy", "va", "van", "ve", "viec", "voi",
];

/// Where a phrase of the index comes from; decides its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PhraseKind {
    Title,
    Keyword,
    Department,
}

impl PhraseKind {
    fn weight(self) -> f32 {
        match self {
            PhraseKind::Title => TITLE_WEIGHT,
            PhraseKind::Keyword => KEYWORD_WEIGHT,
            PhraseKind::Department => DEPARTMENT_WEIGHT,
        }
    }
}

/// One searchable phrase: folded, abbreviations expanded.
#[derive(Debug, Clone, PartialEq)]
struct IndexedPhrase {
    branch: u8,
    kind: PhraseKind,
    words: Vec<String>,
    /// Each pair of neighbouring words run together ("doanhnghiep"), as people type them.
    joined_pairs: Vec<Joined>,
}

/// Two neighbouring phrase words run together, with its length in characters.
#[derive(Debug, Clone, PartialEq)]
struct Joined {
    text: String,
    chars: usize,
}

/// The catalogue's phrases folded and expanded once, when the catalogue is loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct MatchIndex {
    /// Folded abbreviation → folded words of its expansion.
    abbreviations: BTreeMap<String, Vec<String>>,
    phrases: Vec<IndexedPhrase>,
    /// Every word of every phrase: a typed word found here is taken as meant, never as a typo
    /// of another word nor as two words run together.
    vocabulary: BTreeSet<String>,
    branch_count: u8,
}

impl MatchIndex {
    pub(crate) fn build(
        branches: &[Branch],
        departments: &[Department],
        abbreviations: &BTreeMap<String, String>,
    ) -> Self {
        let abbreviations = abbreviations
            .iter()
            .map(|(abbreviation, expansion)| (fold(abbreviation), folded_words(expansion)))
            .collect();
        let mut index = MatchIndex {
            abbreviations,
            phrases: Vec::new(),
            vocabulary: BTreeSet::new(),
            branch_count: u8::try_from(branches.len()).unwrap_or(u8::MAX),
        };
        for branch in branches {
            index.add(branch.number, PhraseKind::Title, &branch.title);
            index.add(branch.number, PhraseKind::Title, &branch.short_title);
            for keyword in &branch.keywords {
                index.add(branch.number, PhraseKind::Keyword, keyword);
            }
            let owner = departments.iter().find(|department| department.code == branch.department);
            if let Some(department) = owner {
                index.add(branch.number, PhraseKind::Department, &department.name);
            }
        }
        index
    }

    /// Adds a phrase unless the branch already has the same words (the first, stronger kind
    /// wins: titles are added before keywords).
    fn add(&mut self, branch: u8, kind: PhraseKind, text: &str) {
        let words = self.expand(&fold(text));
        let duplicate = self.phrases.iter().any(|phrase| phrase.branch == branch && phrase.words == words);
        if !words.is_empty() && !duplicate {
            self.vocabulary.extend(words.iter().cloned());
            let joined_pairs = words
                .windows(2)
                .map(|pair| {
                    let text = format!("{}{}", pair[0], pair[1]);
                    let chars = text.chars().count();
                    Joined { text, chars }
                })
                .collect();
            self.phrases.push(IndexedPhrase { branch, kind, words, joined_pairs });
        }
    }

    /// Words of folded text with every abbreviation replaced by its expansion.
    fn expand(&self, folded: &str) -> Vec<String> {
        let mut words = Vec::new();
        for word in tokens(folded) {
            match self.abbreviations.get(word) {
                Some(expansion) => words.extend(expansion.iter().cloned()),
                None => words.push(word.to_owned()),
            }
        }
        words
    }

    /// The message's folded words, abbreviations expanded, each marked known or not.
    fn typed_message(&self, folded_words: &[&str]) -> TypedMessage {
        let words = self.expand(&folded_words.join(" "));
        let known = words.iter().map(|word| self.vocabulary.contains(word)).collect();
        let chars = words.iter().map(|word| word.chars().count()).collect();
        TypedMessage { words, known, chars }
    }

    /// Best phrase score of every branch that has a phrase firing for `input`.
    fn branch_scores(&self, input: &TypedMessage) -> Vec<(u8, f32)> {
        let mut best: BTreeMap<u8, f32> = BTreeMap::new();
        for phrase in &self.phrases {
            let Some(score) = phrase_score(phrase, input) else {
                continue;
            };
            let entry = best.entry(phrase.branch).or_insert(0.0);
            *entry = entry.max(score);
        }
        best.into_iter().collect()
    }
}

/// The folded words of `text`, owned.
fn folded_words(text: &str) -> Vec<String> {
    tokens(&fold(text)).into_iter().map(str::to_owned).collect()
}

/// A message ready for scoring.
struct TypedMessage {
    words: Vec<String>,
    /// Whether each word is in the index's vocabulary.
    known: Vec<bool>,
    /// Length of each word in characters.
    chars: Vec<usize>,
}

impl TypedMessage {
    /// Whether typed word `j`, not itself a known word, is `joined` up to the typo budget.
    fn is_joined_pair(&self, j: usize, joined: &Joined) -> bool {
        let length = self.chars[j];
        let budget = typo_budget(length.min(joined.chars));
        !self.known[j] && length.abs_diff(joined.chars) <= budget && word_matches(&self.words[j], &joined.text)
    }
}

/// How a phrase's words were found in the message.
#[derive(Debug, Default)]
struct PhraseHit {
    /// Phrase words found.
    matched: usize,
    /// Matches unlikely to be chance: exact words, or two phrase words typed as one.
    anchors: usize,
    /// Whether a found word is not in [`GENERIC_WORDS`].
    significant: bool,
    /// Whether the found words sit next to each other in the message, in the phrase's order.
    contiguous: bool,
}

/// Matches a phrase's words against the message's words, each message word used once:
/// exact words first, then a message word that is two phrase words run together
/// ("doanhnghiep"), then words within the typo budget. Only typed words outside the vocabulary
/// are tried as typos or run-together pairs. `None` when nothing anchors the phrase (no exact
/// word, no joined pair): typos alone never make a match, so they are not looked for.
fn find_phrase_words(phrase: &IndexedPhrase, input: &TypedMessage) -> Option<PhraseHit> {
    let words = &phrase.words;
    let typed = &input.words;
    let unknown = |j: usize| !input.known[j];
    // Most phrases share no word with a message: find that out before allocating anything.
    let may_anchor = words.iter().any(|word| typed.contains(word))
        || phrase.joined_pairs.iter().any(|joined| (0..typed.len()).any(|j| input.is_joined_pair(j, joined)));
    if !may_anchor {
        return None;
    }
    let mut input_used = vec![false; typed.len()];
    // Message position each phrase word was found at.
    let mut found_at: Vec<Option<usize>> = vec![None; words.len()];
    let mut hit = PhraseHit::default();
    for (i, word) in words.iter().enumerate() {
        found_at[i] = claim_input(&mut input_used, |j| typed[j] == *word);
        hit.anchors += usize::from(found_at[i].is_some());
    }
    for (i, joined) in phrase.joined_pairs.iter().enumerate() {
        if found_at[i].is_some() || found_at[i + 1].is_some() {
            continue;
        }
        let position = claim_input(&mut input_used, |j| input.is_joined_pair(j, joined));
        if position.is_some() {
            found_at[i] = position;
            found_at[i + 1] = position;
            hit.anchors += 1;
        }
    }
    if hit.anchors == 0 {
        return None;
    }
    for (i, word) in words.iter().enumerate() {
        if found_at[i].is_none() {
            found_at[i] = claim_input(&mut input_used, |j| unknown(j) && word_matches(&typed[j], word));
        }
    }
    for (word, position) in words.iter().zip(&found_at) {
        if position.is_some() {
            hit.matched += 1;
            hit.significant |= !GENERIC_WORDS.contains(&word.as_str());
        }
    }
    hit.contiguous = is_contiguous_run(&found_at);
    Some(hit)
}

/// Whether the found positions (in phrase order, a joined word counted once) follow each other
/// one by one in the message.
fn is_contiguous_run(found_at: &[Option<usize>]) -> bool {
    let mut positions: Vec<usize> = found_at.iter().flatten().copied().collect();
    positions.dedup();
    positions.windows(2).all(|pair| pair[1] == pair[0] + 1)
}

/// Claims the first unused message word whose position satisfies `predicate`; its position.
fn claim_input(used: &mut [bool], predicate: impl Fn(usize) -> bool) -> Option<usize> {
    let position = (0..used.len()).find(|&j| !used[j] && predicate(j))?;
    used[position] = true;
    Some(position)
}

/// Score of one phrase for the message, or `None` when it does not fire. A phrase fires when
/// at least one word matched exactly (two typos together are too likely to be chance) and
/// either all its words matched or at least [`MIN_PARTIAL_WORDS`] did, one of them not generic.
/// Score: weight × coverage² × (1 + bonus × (matched − 1)), coverage = matched / words,
/// times [`SCATTERED_FACTOR`] when the words are not together and in order in the message.
fn phrase_score(phrase: &IndexedPhrase, input: &TypedMessage) -> Option<f32> {
    let hit = find_phrase_words(phrase, input)?;
    let complete = hit.matched == phrase.words.len();
    let partial = hit.matched >= MIN_PARTIAL_WORDS && hit.significant;
    if !(complete || partial) {
        return None;
    }
    let coverage = hit.matched as f32 / phrase.words.len() as f32;
    let specificity = 1.0 + SPECIFICITY_BONUS_PER_WORD * (hit.matched - 1) as f32;
    let order = if hit.contiguous { 1.0 } else { SCATTERED_FACTOR };
    Some(phrase.kind.weight() * coverage * coverage * specificity * order)
}

/// Picks the answer from branch scores: nothing above [`MIN_SCORE`] → no match; the runners-up
/// within [`AMBIGUITY_RATIO`] of the best → ambiguous; otherwise the best.
fn decide(mut scored: Vec<(u8, f32)>) -> BranchMatch {
    scored.retain(|(_, score)| *score >= MIN_SCORE);
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let Some(&(best_branch, best_score)) = scored.first() else {
        return BranchMatch::NoMatch;
    };
    let close: Vec<u8> =
        scored.iter().filter(|(_, score)| *score >= best_score * AMBIGUITY_RATIO).map(|(branch, _)| *branch).collect();
    if close.len() > 1 {
        BranchMatch::Ambiguous(close)
    } else {
        BranchMatch::Exact(best_branch)
    }
}

/// Which branch the message asks for. Numbers ("4", "nhánh số bốn") decide on their own, and a
/// number outside the catalogue is no match; otherwise titles, keywords and department names
/// are scored against the message (see the constants above for how).
pub fn match_branch(catalogue: &Catalogue, input: &str) -> BranchMatch {
    let folded = fold(input);
    let words: Vec<&str> = tokens(&folded).into_iter().take(MAX_INPUT_WORDS).collect();
    if words.is_empty() {
        return BranchMatch::NoMatch;
    }
    let index = catalogue.match_index();
    let split: Vec<&str> = words.iter().flat_map(|word| split_letters_from_digits(word)).collect();
    if let Some(number) = whole_message_number(&split) {
        return match_from_numbers(&[number], index.branch_count);
    }
    let requested = numbers_after_choice_noun(&split);
    if !requested.is_empty() {
        return match_from_numbers(&requested, index.branch_count);
    }
    decide(index.branch_scores(&index.typed_message(&words)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bot::catalogue::default_catalogue;
    use BranchMatch::{Ambiguous, Exact, NoMatch};

    fn catalogue() -> Catalogue {
        default_catalogue().expect("default catalogue parses")
    }

    fn check_all(cases: &[(&str, BranchMatch)]) {
        let catalogue = catalogue();
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|(input, expected)| {
                let actual = match_branch(&catalogue, input);
                (actual != *expected).then(|| format!("{input:?}: expected {expected:?}, got {actual:?}"))
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn digits_and_numbered_phrases() {
        check_all(&[
            ("4", Exact(4)),
            (" 4 ", Exact(4)),
            ("4.", Exact(4)),
            ("1", Exact(1)),
            ("8", Exact(8)),
            ("nhánh 4", Exact(4)),
            ("nhanh 4", Exact(4)),
            ("NHANH 4", Exact(4)),
            ("nhanh4", Exact(4)),
            ("nhánh số 4", Exact(4)),
            ("nhanh so 4", Exact(4)),
            ("số 4", Exact(4)),
            ("so 7", Exact(7)),
            ("phím 2", Exact(2)),
            ("chọn nhánh 6 ạ", Exact(6)),
            ("Nhánh 4 ạ", Exact(4)),
            ("4 nhé", Exact(4)),
            ("tôi chọn 3", Exact(3)),
            ("cho tôi hỏi nhánh 5 về biên chế", Exact(5)),
            ("nhanh 1 hay nhanh 7", Ambiguous(vec![1, 7])),
        ]);
    }

    #[test]
    fn number_words_one_to_eight() {
        check_all(&[
            ("nhánh số bốn", Exact(4)),
            ("nhanh so bon", Exact(4)),
            ("nhanh tu", Exact(4)),
            ("nhánh thứ tư", Exact(4)),
            ("nhanh mot", Exact(1)),
            ("nhánh hai", Exact(2)),
            ("nhanh so ba", Exact(3)),
            ("nhanh nam", Exact(5)),
            ("nhánh sáu", Exact(6)),
            ("nhanh so bay", Exact(7)),
            ("nhánh tám", Exact(8)),
            ("bốn", Exact(4)),
            ("số tám", Exact(8)),
            ("lam nhanh hai ngay", NoMatch),
        ]);
    }

    #[test]
    fn numbers_outside_the_catalogue_are_no_match() {
        check_all(&[
            ("9", NoMatch),
            ("0", NoMatch),
            ("nhanh 12", NoMatch),
            ("nhánh số chín", NoMatch),
            ("so 99", NoMatch),
            ("0939015599", NoMatch),
            ("nhanh 9 doanh nghiep", NoMatch),
        ]);
    }

    #[test]
    fn the_eight_titles_without_diacritics_reach_their_branch() {
        check_all(&[
            ("cong tac chi dao dieu hanh", Exact(1)),
            ("doanh nghiep", Exact(2)),
            ("cong tac xay dung va to chuc trien khai van ban", Exact(3)),
            ("cai cach tthc", Exact(4)),
            ("to chuc bo may va dao tao", Exact(5)),
            ("tai chinh cong", Exact(6)),
            ("ung dung cong nghe thong tin", Exact(7)),
            ("iso", Exact(8)),
        ]);
    }

    #[test]
    fn titles_with_diacritics_any_case_and_noise() {
        check_all(&[
            ("Công tác chỉ đạo điều hành", Exact(1)),
            ("DOANH NGHIỆP!!!", Exact(2)),
            ("  Cải   cách TTHC ... ", Exact(4)),
            ("Tổ chức bộ máy & đào tạo", Exact(5)),
            ("tài chính công?", Exact(6)),
            ("Ứng dụng CNTT", Exact(7)),
            ("ISO", Exact(8)),
            ("Quản lý chất lượng ISO", Exact(8)),
            ("Xây dựng, triển khai văn bản", Exact(3)),
        ]);
    }

    #[test]
    fn keywords_and_abbreviations_both_ways() {
        check_all(&[
            ("tthc", Exact(4)),
            ("TTHC", Exact(4)),
            ("thu tuc hanh chinh", Exact(4)),
            ("cải cách thủ tục hành chính", Exact(4)),
            ("cai cach thu tuc", Exact(4)),
            ("một cửa", Exact(4)),
            ("mot cua lien thong", Exact(4)),
            ("hồ sơ trễ hẹn", Exact(4)),
            ("cchc", Exact(1)),
            ("cai cach hanh chinh", Exact(1)),
            ("cán bộ sách nhiễu", Exact(1)),
            ("cntt", Exact(7)),
            ("công nghệ thông tin", Exact(7)),
            ("phần mềm", Exact(7)),
            ("phan mem dung chung", Exact(7)),
            ("dn", Exact(2)),
            ("hỗ trợ doanh nghiệp", Exact(2)),
            ("thể chế", Exact(3)),
            ("pháp luật", Exact(3)),
            ("phổ biến pháp luật", Exact(3)),
            ("ngân sách", Exact(6)),
            ("ngan sach nha nuoc", Exact(6)),
            ("đào tạo bồi dưỡng", Exact(5)),
            ("dao tao boi duong cbccvc", Exact(5)),
            ("he thong quan ly chat luong", Exact(8)),
            ("Sở Tư pháp", Exact(3)),
            ("so tai chinh", Exact(6)),
            ("van phong ubnd", Exact(4)),
            ("tthc o dau", Exact(4)),
            ("hồ sơ của tôi bị trễ hẹn", Exact(4)),
            ("xin chào, tôi muốn hỏi về phần mềm một cửa", Exact(7)),
            ("email công vụ", Exact(7)),
            ("website bị lỗi", Exact(7)),
            ("khoa hoc cong nghe", Exact(8)),
            ("iso 9001", Exact(8)),
            ("tôi muốn phản ánh cán bộ xã gây khó khăn khi làm hồ sơ", Exact(1)),
        ]);
    }

    #[test]
    fn small_typos_are_tolerated() {
        check_all(&[
            ("cai cach thu tuch", Exact(4)),
            ("doan nghiep", Exact(2)),
            ("doanh ngheip", Exact(2)),
            ("doanhnghiep", Exact(2)),
            ("phanmem", Exact(7)),
            ("cong nghe thong tim", Exact(7)),
            ("boi duongg", Exact(5)),
            ("doanh nghiẹp", Exact(2)),
            ("tai chinhh cong", Exact(6)),
        ]);
    }

    #[test]
    fn vague_phrases_are_ambiguous() {
        let catalogue = catalogue();
        for input in ["cải cách", "cai cach", "Sở Nội vụ", "noi vu"] {
            match match_branch(&catalogue, input) {
                Ambiguous(branches) => {
                    assert!(branches.len() >= 2, "{input:?}: {branches:?}");
                    let mut sorted = branches.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    assert_eq!(sorted.len(), branches.len(), "{input:?}: no duplicates");
                }
                other => panic!("{input:?}: expected Ambiguous, got {other:?}"),
            }
        }
        assert_eq!(match_branch(&catalogue, "so noi vu"), Ambiguous(vec![1, 5]));
    }

    #[test]
    fn chit_chat_is_no_match() {
        check_all(&[
            ("xin chào", NoMatch),
            ("xin chao", NoMatch),
            ("chào bạn", NoMatch),
            ("cảm ơn", NoMatch),
            ("cam on ban nhieu", NoMatch),
            ("ok", NoMatch),
            ("OK!", NoMatch),
            ("alo", NoMatch),
            ("alo alo", NoMatch),
            ("hi", NoMatch),
            ("hello", NoMatch),
            ("vâng ạ", NoMatch),
            ("tôi cần hỗ trợ", NoMatch),
            ("cho tôi hỏi thông tin", NoMatch),
            ("bạn là ai", NoMatch),
            ("tạm biệt", NoMatch),
            ("dạ vâng", NoMatch),
            ("hôm nay", NoMatch),
            ("mang theo giấy tờ gì", NoMatch),
            ("", NoMatch),
            ("   ", NoMatch),
            ("😀", NoMatch),
            ("?", NoMatch),
        ]);
    }

    #[test]
    fn global_commands_on_the_whole_message() {
        use GlobalCommand::{Back, Cancel, Help, Menu};
        let cases = [
            ("menu", Some(Menu)),
            ("MENU", Some(Menu)),
            ("0", Some(Menu)),
            (" 0. ", Some(Menu)),
            ("trang chủ", Some(Menu)),
            ("trang chu", Some(Menu)),
            ("bắt đầu", Some(Menu)),
            ("bat dau", Some(Menu)),
            ("start", Some(Menu)),
            ("trợ giúp", Some(Help)),
            ("tro giup", Some(Help)),
            ("giúp", Some(Help)),
            ("help", Some(Help)),
            ("hướng dẫn", Some(Help)),
            ("huong dan", Some(Help)),
            ("?", Some(Help)),
            ("??", Some(Help)),
            ("quay lại", Some(Back)),
            ("quay lai", Some(Back)),
            ("trở lại", Some(Back)),
            ("back", Some(Back)),
            ("hủy", Some(Cancel)),
            ("huỷ", Some(Cancel)),
            ("Hu\u{309}y", Some(Cancel)),
            ("HỦY!", Some(Cancel)),
            ("huy", Some(Cancel)),
            ("hủy bỏ", Some(Cancel)),
            ("thoát", Some(Cancel)),
            ("thoat", Some(Cancel)),
            ("cancel", Some(Cancel)),
            ("menu nhé", Some(Menu)),
            ("hủy đi", Some(Cancel)),
            ("giúp với", Some(Help)),
            ("Quay lại ạ", Some(Back)),
            ("tôi muốn hủy hồ sơ đất", None),
            ("nhé", None),
            ("huy ho so", None),
            ("menu cua ban co gi", None),
            ("xin chào", None),
            ("4", None),
            ("", None),
            ("   ", None),
        ];
        let failures: Vec<String> = cases
            .iter()
            .filter(|(input, expected)| is_global_command(input) != *expected)
            .map(|(input, expected)| {
                let actual = is_global_command(input);
                format!("{input:?}: expected {expected:?}, got {actual:?}")
            })
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn shared_keyword_in_a_small_catalogue_is_ambiguous() {
        let toml_text = r#"
hotline = "1"
[[department]]
code = "A"
name = "Sở A"
[[branch]]
number = 1
title = "Đất đai"
short_title = "Đất đai"
department = "A"
duties = ["x"]
keywords = ["giấy phép"]
[[branch]]
number = 2
title = "Xây dựng"
short_title = "Xây dựng"
department = "A"
duties = ["y"]
keywords = ["giấy phép"]
"#;
        let catalogue = crate::bot::catalogue::parse_catalogue(toml_text, "t.toml").expect("valid");
        assert_eq!(match_branch(&catalogue, "giay phep"), Ambiguous(vec![1, 2]));
        assert_eq!(match_branch(&catalogue, "dat dai"), Exact(1));
        assert_eq!(match_branch(&catalogue, "3"), NoMatch);
        assert_eq!(match_branch(&catalogue, "nhanh hai"), Exact(2));
    }

    #[test]
    fn splitting_letters_from_digits() {
        assert_eq!(split_letters_from_digits("nhanh4"), vec!["nhanh", "4"]);
        assert_eq!(split_letters_from_digits("4"), vec!["4"]);
        assert_eq!(split_letters_from_digits("a1b22"), vec!["a", "1", "b", "22"]);
        assert!(split_letters_from_digits("").is_empty());
    }

    #[test]
    fn long_messages_are_scored_on_their_first_words() {
        let catalogue = catalogue();
        let filler = "xin chao ".repeat(200);
        assert_eq!(match_branch(&catalogue, &format!("phan mem {filler}")), Exact(7));
        assert_eq!(match_branch(&catalogue, &format!("{filler} phan mem")), NoMatch);
    }
}
