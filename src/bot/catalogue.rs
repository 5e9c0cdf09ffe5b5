//! The branch catalogue: the departments and numbered branches a deployment offers, their
//! duties, keywords and abbreviations, loaded from TOML data and validated before use.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

use crate::bot::matcher::MatchIndex;
use crate::bot::text::{fold, tokens};

/// The reference deployment's catalogue (Hậu Giang), compiled into the binary.
pub const DEFAULT_CATALOGUE: &str = include_str!("../../deploy/hau-giang/branches.toml");

/// Name used in error messages about [`DEFAULT_CATALOGUE`].
pub const DEFAULT_CATALOGUE_NAME: &str = "deploy/hau-giang/branches.toml";

/// Longest short title accepted, in characters: it is written on a chat button.
pub const MAX_SHORT_TITLE_CHARS: usize = 30;

/// A department (Sở, ngành, association) that owns one or more branches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Short code branches refer to, e.g. `SNV`.
    pub code: String,
    /// Name shown to citizens, e.g. "Sở Nội vụ".
    pub name: String,
    /// The department's own phone number, if it publishes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hotline: Option<String>,
    /// Office hours as free text, shown as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub office_hours: Option<String>,
}

/// Optional contact facts of one branch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One numbered branch of the switchboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// What citizens type to pick it: 1..=N.
    pub number: u8,
    /// The branch's name as the plan gives it.
    pub title: String,
    /// Button label, at most [`MAX_SHORT_TITLE_CHARS`] characters.
    pub short_title: String,
    /// Code of the owning [`Department`].
    pub department: String,
    /// What the branch handles, one duty per entry.
    pub duties: Vec<String>,
    /// Words and phrases citizens type to reach it (matched folded, with typo tolerance).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Contact facts specific to this branch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
}

/// A validated catalogue, with the folded search index the matcher uses.
///
/// Only [`parse_catalogue`] builds one, so the index always agrees with the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalogue {
    hotline: String,
    departments: Vec<Department>,
    /// Sorted by number, so branch `n` sits at index `n - 1`.
    branches: Vec<Branch>,
    abbreviations: BTreeMap<String, String>,
    #[serde(skip)]
    index: MatchIndex,
}

/// The file layout: `hotline`, `[abbreviations]`, `[[department]]`, `[[branch]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogueFile {
    hotline: String,
    #[serde(default)]
    abbreviations: BTreeMap<String, String>,
    #[serde(default, rename = "department")]
    departments: Vec<Department>,
    #[serde(default, rename = "branch")]
    branches: Vec<Branch>,
}

/// Why a catalogue was rejected; every message names the file and the entry at fault.
#[derive(Debug, Error)]
pub enum CatalogueError {
    #[error("{source_name}: not a valid branch catalogue: {error}")]
    Toml {
        source_name: String,
        #[source]
        error: Box<toml::de::Error>,
    },
    #[error("{source_name}: {entry}: `{field}` must not be empty")]
    EmptyField { source_name: String, entry: String, field: &'static str },
    #[error("{source_name}: department code `{code}` is defined twice")]
    DuplicateDepartment { source_name: String, code: String },
    #[error("{source_name}: abbreviation `{abbreviation}` must be one word of letters or digits")]
    InvalidAbbreviation { source_name: String, abbreviation: String },
    #[error("{source_name}: abbreviation `{abbreviation}` is defined twice (case and diacritics are ignored)")]
    DuplicateAbbreviation { source_name: String, abbreviation: String },
    #[error("{source_name}: the catalogue has no [[branch]] entries")]
    NoBranches { source_name: String },
    #[error("{source_name}: branch number {number} is used twice")]
    DuplicateBranchNumber { source_name: String, number: u8 },
    #[error("{source_name}: branch numbers must run 1, 2, … {expected_last} without gaps; found {found:?}")]
    BranchNumbersNotContiguous { source_name: String, expected_last: usize, found: Vec<u8> },
    #[error("{source_name}: branch {branch}: unknown department code `{code}`")]
    UnknownDepartment { source_name: String, branch: u8, code: String },
    #[error(
        "{source_name}: branch {branch}: short_title \"{short_title}\" has {chars} characters, at most {max} fit on a button"
    )]
    ShortTitleTooLong { source_name: String, branch: u8, short_title: String, chars: usize, max: usize },
    #[error("{source_name}: branch {branch}: no duties listed")]
    NoDuties { source_name: String, branch: u8 },
    #[error("{source_name}: branch {branch}: duty #{position} is empty")]
    EmptyDuty { source_name: String, branch: u8, position: usize },
    #[error("{source_name}: branch {branch}: keyword #{position} ({keyword:?}) is empty once punctuation is ignored")]
    EmptyKeyword { source_name: String, branch: u8, position: usize, keyword: String },
}

/// Parses and validates a catalogue; `source_name` (usually the file path) goes into errors.
pub fn parse_catalogue(toml_text: &str, source_name: &str) -> Result<Catalogue, CatalogueError> {
    let file: CatalogueFile = toml::from_str(toml_text)
        .map_err(|error| CatalogueError::Toml { source_name: source_name.to_owned(), error: Box::new(error) })?;
    let validator = Validator { source_name };
    validator.check_hotline(&file.hotline)?;
    validator.check_departments(&file.departments)?;
    validator.check_abbreviations(&file.abbreviations)?;
    for branch in &file.branches {
        validator.check_branch(branch, &file.departments)?;
    }
    let mut branches = file.branches;
    validator.check_numbering(&branches)?;
    branches.sort_by_key(|branch| branch.number);
    let index = MatchIndex::build(&branches, &file.departments, &file.abbreviations);
    Ok(Catalogue {
        hotline: file.hotline,
        departments: file.departments,
        branches,
        abbreviations: file.abbreviations,
        index,
    })
}

/// The reference deployment's catalogue ([`DEFAULT_CATALOGUE`]).
pub fn default_catalogue() -> Result<Catalogue, CatalogueError> {
    parse_catalogue(DEFAULT_CATALOGUE, DEFAULT_CATALOGUE_NAME)
}

impl Catalogue {
    /// The switchboard's phone number.
    pub fn hotline(&self) -> &str {
        &self.hotline
    }

    /// All departments, in file order.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// All branches, ordered by number.
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// Abbreviations as written in the file (abbreviation → expansion).
    pub fn abbreviations(&self) -> &BTreeMap<String, String> {
        &self.abbreviations
    }

    /// How many branches there are; valid branch numbers are `1..=branch_count()`.
    pub fn branch_count(&self) -> u8 {
        // Validation guarantees numbers 1..=N in a u8, so N fits.
        u8::try_from(self.branches.len()).unwrap_or(u8::MAX)
    }

    /// The branch with this number.
    pub fn branch(&self, number: u8) -> Option<&Branch> {
        let position = usize::from(number).checked_sub(1)?;
        self.branches.get(position)
    }

    /// The department with this code (exact, case-sensitive).
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|department| department.code == code)
    }

    /// The branches a department owns, by number.
    pub fn branches_of_department<'a>(&'a self, code: &'a str) -> impl Iterator<Item = &'a Branch> + 'a {
        self.branches.iter().filter(move |branch| branch.department == code)
    }

    /// The department owning branch `number`.
    pub fn department_of_branch(&self, number: u8) -> Option<&Department> {
        self.department(&self.branch(number)?.department)
    }

    /// The number to call about branch `number`: its own contact phone, else its
    /// department's hotline, else the switchboard hotline. `None` for an unknown branch.
    pub fn phone_for_branch(&self, number: u8) -> Option<&str> {
        let branch = self.branch(number)?;
        let own_phone = branch.contact.as_ref().and_then(|contact| contact.phone.as_deref());
        let department_phone = self.department(&branch.department).and_then(|department| department.hotline.as_deref());
        Some(own_phone.or(department_phone).unwrap_or(&self.hotline))
    }

    pub(crate) fn match_index(&self) -> &MatchIndex {
        &self.index
    }
}

/// Validation rules, each returning the first problem found with the file's name attached.
struct Validator<'a> {
    source_name: &'a str,
}

impl Validator<'_> {
    fn empty_field(&self, entry: String, field: &'static str) -> CatalogueError {
        CatalogueError::EmptyField { source_name: self.source_name.to_owned(), entry, field }
    }

    fn check_hotline(&self, hotline: &str) -> Result<(), CatalogueError> {
        if hotline.trim().is_empty() {
            return Err(self.empty_field("top level".to_owned(), "hotline"));
        }
        Ok(())
    }

    fn check_departments(&self, departments: &[Department]) -> Result<(), CatalogueError> {
        let mut seen = BTreeSet::new();
        for (position, department) in departments.iter().enumerate() {
            if department.code.trim().is_empty() {
                let entry = format!("department #{}", position + 1);
                return Err(self.empty_field(entry, "code"));
            }
            if department.name.trim().is_empty() {
                let entry = format!("department {}", department.code);
                return Err(self.empty_field(entry, "name"));
            }
            if !seen.insert(department.code.as_str()) {
                return Err(CatalogueError::DuplicateDepartment {
                    source_name: self.source_name.to_owned(),
                    code: department.code.clone(),
                });
            }
        }
        Ok(())
    }

    fn check_abbreviations(&self, abbreviations: &BTreeMap<String, String>) -> Result<(), CatalogueError> {
        let mut seen = BTreeSet::new();
        for (abbreviation, expansion) in abbreviations {
            let folded = fold(abbreviation);
            if tokens(&folded).len() != 1 {
                return Err(CatalogueError::InvalidAbbreviation {
                    source_name: self.source_name.to_owned(),
                    abbreviation: abbreviation.clone(),
                });
            }
            if !seen.insert(folded) {
                return Err(CatalogueError::DuplicateAbbreviation {
                    source_name: self.source_name.to_owned(),
                    abbreviation: abbreviation.clone(),
                });
            }
            if fold(expansion).is_empty() {
                let entry = format!("abbreviation {abbreviation}");
                return Err(self.empty_field(entry, "expansion"));
            }
        }
        Ok(())
    }

    fn check_branch(&self, branch: &Branch, departments: &[Department]) -> Result<(), CatalogueError> {
        let entry = || format!("branch {}", branch.number);
        if branch.title.trim().is_empty() {
            return Err(self.empty_field(entry(), "title"));
        }
        if branch.short_title.trim().is_empty() {
            return Err(self.empty_field(entry(), "short_title"));
        }
        self.check_short_title_length(branch)?;
        if !departments.iter().any(|department| department.code == branch.department) {
            return Err(CatalogueError::UnknownDepartment {
                source_name: self.source_name.to_owned(),
                branch: branch.number,
                code: branch.department.clone(),
            });
        }
        self.check_duties(branch)?;
        self.check_keywords(branch)
    }

    fn check_short_title_length(&self, branch: &Branch) -> Result<(), CatalogueError> {
        // Counted in composed form, so decomposed diacritics do not count twice.
        let chars = branch.short_title.trim().nfc().count();
        if chars > MAX_SHORT_TITLE_CHARS {
            return Err(CatalogueError::ShortTitleTooLong {
                source_name: self.source_name.to_owned(),
                branch: branch.number,
                short_title: branch.short_title.clone(),
                chars,
                max: MAX_SHORT_TITLE_CHARS,
            });
        }
        Ok(())
    }

    fn check_duties(&self, branch: &Branch) -> Result<(), CatalogueError> {
        if branch.duties.is_empty() {
            return Err(CatalogueError::NoDuties { source_name: self.source_name.to_owned(), branch: branch.number });
        }
        if let Some(position) = branch.duties.iter().position(|duty| duty.trim().is_empty()) {
            return Err(CatalogueError::EmptyDuty {
                source_name: self.source_name.to_owned(),
                branch: branch.number,
                position: position + 1,
            });
        }
        Ok(())
    }

    fn check_keywords(&self, branch: &Branch) -> Result<(), CatalogueError> {
        let empty = branch.keywords.iter().enumerate().find(|(_, keyword)| fold(keyword).is_empty());
        if let Some((position, keyword)) = empty {
            return Err(CatalogueError::EmptyKeyword {
                source_name: self.source_name.to_owned(),
                branch: branch.number,
                position: position + 1,
                keyword: keyword.clone(),
            });
        }
        Ok(())
    }

    fn check_numbering(&self, branches: &[Branch]) -> Result<(), CatalogueError> {
        if branches.is_empty() {
            return Err(CatalogueError::NoBranches { source_name: self.source_name.to_owned() });
        }
        let mut seen = BTreeSet::new();
        for branch in branches {
            if !seen.insert(branch.number) {
                return Err(CatalogueError::DuplicateBranchNumber {
                    source_name: self.source_name.to_owned(),
                    number: branch.number,
                });
            }
        }
        let contiguous = seen.iter().zip(1..).all(|(number, expected)| usize::from(*number) == expected);
        if !contiguous {
            return Err(CatalogueError::BranchNumbersNotContiguous {
                source_name: self.source_name.to_owned(),
                expected_last: branches.len(),
                found: seen.into_iter().collect(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED_BRANCHES: [(u8, &str, &str); 8] = [
        (1, "Công tác chỉ đạo điều hành", "SNV"),
        (2, "Doanh nghiệp", "HHDN"),
        (3, "Công tác xây dựng và tổ chức triển khai văn bản", "STP"),
        (4, "Cải cách TTHC", "VPUBND"),
        (5, "Tổ chức bộ máy và đào tạo", "SNV"),
        (6, "Tài chính công", "STC"),
        (7, "Ứng dụng công nghệ thông tin", "STTTT"),
        (8, "ISO", "SKHCN"),
    ];

    fn default() -> Catalogue {
        default_catalogue().expect("the default catalogue parses")
    }

    #[test]
    fn default_catalogue_has_the_eight_branches_of_the_plan() {
        let catalogue = default();
        assert_eq!(catalogue.hotline(), "0939015599");
        assert_eq!(catalogue.branch_count(), 8);
        for (number, title, department) in EXPECTED_BRANCHES {
            let branch = catalogue.branch(number).expect("branch exists");
            assert_eq!(branch.number, number);
            assert_eq!(branch.title, title, "title of branch {number}");
            assert_eq!(branch.department, department, "department of branch {number}");
            assert!(!branch.duties.is_empty(), "duties of branch {number}");
            assert!(branch.short_title.chars().count() <= MAX_SHORT_TITLE_CHARS);
        }
        assert!(catalogue.branch(0).is_none());
        assert!(catalogue.branch(9).is_none());
    }

    #[test]
    fn default_catalogue_departments_and_owners() {
        let catalogue = default();
        let expected = [
            ("SNV", "Sở Nội vụ"),
            ("HHDN", "Hiệp hội doanh nghiệp"),
            ("STP", "Sở Tư pháp"),
            ("VPUBND", "Văn phòng UBND tỉnh"),
            ("STC", "Sở Tài chính"),
            ("STTTT", "Sở Thông tin và Truyền thông"),
            ("SKHCN", "Sở Khoa học và Công nghệ"),
        ];
        assert_eq!(catalogue.departments().len(), expected.len());
        for (code, name) in expected {
            let department = catalogue.department(code).expect("department exists");
            assert_eq!(department.name, name);
        }
        let owned_by_snv: Vec<u8> = catalogue.branches_of_department("SNV").map(|branch| branch.number).collect();
        assert_eq!(owned_by_snv, vec![1, 5]);
        assert_eq!(catalogue.department_of_branch(7).map(|d| d.name.as_str()), Some("Sở Thông tin và Truyền thông"));
        assert!(catalogue.department("XYZ").is_none());
        assert_eq!(catalogue.branches_of_department("XYZ").count(), 0);
    }

    #[test]
    fn default_catalogue_duties_follow_the_plan() {
        let catalogue = default();
        let duty_counts = [(1, 5), (2, 2), (3, 4), (4, 4), (5, 4), (6, 4), (7, 2), (8, 2)];
        for (number, count) in duty_counts {
            let branch = catalogue.branch(number).expect("branch exists");
            assert_eq!(branch.duties.len(), count, "duties of branch {number}");
        }
        let branch_2 = catalogue.branch(2).expect("branch 2");
        assert_eq!(
            branch_2.duties,
            vec!["Tiếp nhận các thông tin phản ánh từ doanh nghiệp", "Tư vấn hỗ trợ doanh nghiệp"]
        );
        assert!(catalogue.branch(4).expect("branch 4").duties[0].contains("cơ chế một cửa, cơ chế một cửa liên thông"));
    }

    #[test]
    fn default_catalogue_abbreviations_and_phone_fallback() {
        let catalogue = default();
        let abbreviations = catalogue.abbreviations();
        assert_eq!(abbreviations["TTHC"], "thủ tục hành chính");
        assert_eq!(abbreviations["CCHC"], "cải cách hành chính");
        assert_eq!(abbreviations["CNTT"], "công nghệ thông tin");
        assert_eq!(abbreviations["DN"], "doanh nghiệp");
        assert_eq!(catalogue.phone_for_branch(3), Some("0939015599"));
        assert_eq!(catalogue.phone_for_branch(9), None);
    }

    const VALID: &str = r#"
hotline = "1900 0000"
[abbreviations]
TTHC = "thủ tục hành chính"
[[department]]
code = "A"
name = "Sở A"
hotline = "0123"
office_hours = "Thứ Hai – Thứ Sáu"
[[department]]
code = "B"
name = "Sở B"
[[branch]]
number = 2
title = "Hai"
short_title = "Hai"
department = "B"
duties = ["Việc hai"]
keywords = ["chung", "riêng hai"]
[branch.contact]
phone = "0999"
[[branch]]
number = 1
title = "Một"
short_title = "Một"
department = "A"
duties = ["Việc một"]
keywords = ["chung"]
"#;

    #[test]
    fn small_catalogue_parses_sorted_with_shared_keyword_and_contacts() {
        let catalogue = parse_catalogue(VALID, "test.toml").expect("valid");
        let numbers: Vec<u8> = catalogue.branches().iter().map(|b| b.number).collect();
        assert_eq!(numbers, vec![1, 2]);
        assert_eq!(catalogue.phone_for_branch(1), Some("0123"));
        assert_eq!(catalogue.phone_for_branch(2), Some("0999"));
        assert_eq!(catalogue.department("A").and_then(|d| d.office_hours.as_deref()), Some("Thứ Hai – Thứ Sáu"));
    }

    fn error_of(toml_text: &str) -> String {
        match parse_catalogue(toml_text, "tinh-x/branches.toml") {
            Ok(_) => panic!("expected an error for:\n{toml_text}"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn validation_errors_name_the_source_and_the_entry() {
        let cases: Vec<(String, &str)> = vec![
            (VALID.replace("number = 1", "number = 2"), "branch number 2 is used twice"),
            (VALID.replace("number = 1", "number = 3"), "branch numbers must run 1, 2, … 2 without gaps; found [2, 3]"),
            (VALID.replace("department = \"A\"", "department = \"Z\""), "branch 1: unknown department code `Z`"),
            (VALID.replace("code = \"B\"", "code = \"A\""), "department code `A` is defined twice"),
            (VALID.replace("\ntitle = \"Một\"", "\ntitle = \"  \""), "branch 1: `title` must not be empty"),
            (VALID.replace("short_title = \"Hai\"", "short_title = \"\""), "branch 2: `short_title` must not be empty"),
            (
                VALID.replace("short_title = \"Hai\"", "short_title = \"Cải cách thủ tục hành chính tỉnh\""),
                "branch 2: short_title \"Cải cách thủ tục hành chính tỉnh\" has 32 characters, at most 30",
            ),
            (VALID.replace("duties = [\"Việc một\"]", "duties = []"), "branch 1: no duties listed"),
            (VALID.replace("duties = [\"Việc một\"]", "duties = [\"Việc\", \" \"]"), "branch 1: duty #2 is empty"),
            (
                VALID.replace("keywords = [\"chung\"]", "keywords = [\"chung\", \"?!\"]"),
                "branch 1: keyword #2 (\"?!\") is empty",
            ),
            (VALID.replace("keywords = [\"chung\"]", "keywords = [\"\"]"), "branch 1: keyword #1 (\"\") is empty"),
            (VALID.replace("code = \"B\"", "code = \"\""), "department #2: `code` must not be empty"),
            (VALID.replace("name = \"Sở A\"", "name = \"\""), "department A: `name` must not be empty"),
            (VALID.replace("hotline = \"1900 0000\"", "hotline = \" \""), "top level: `hotline` must not be empty"),
            (VALID.replace("TTHC = ", "\"TT HC\" = "), "abbreviation `TT HC` must be one word"),
            (
                VALID.replace("TTHC = \"thủ tục hành chính\"", "TTHC = \"...\""),
                "abbreviation TTHC: `expansion` must not be empty",
            ),
            (VALID.replace("[abbreviations]", "[abbreviations]\ntthc = \"x\""), "abbreviation `tthc` is defined twice"),
            (VALID.replace("keywords = [\"chung\"]", "keywrods = [\"chung\"]"), "not a valid branch catalogue"),
            (VALID.replace("number = 1", "number = 300"), "not a valid branch catalogue"),
            (
                "hotline = \"1\"\n[[department]]\ncode = \"A\"\nname = \"A\"\n".to_owned(),
                "the catalogue has no [[branch]] entries",
            ),
        ];
        for (toml_text, expected) in &cases {
            let message = error_of(toml_text);
            assert!(message.starts_with("tinh-x/branches.toml: "), "{message:?} names the source");
            assert!(message.contains(expected), "{message:?} should contain {expected:?}");
        }
    }

    #[test]
    fn short_title_length_counts_composed_characters() {
        // 30 characters when composed, more code points when decomposed: still accepted.
        let title: String = "Ứng dụng công nghệ thông tin 1".nfd().collect();
        assert!(title.chars().count() > MAX_SHORT_TITLE_CHARS);
        let toml_text = VALID.replace("short_title = \"Hai\"", &format!("short_title = \"{title}\""));
        assert!(parse_catalogue(&toml_text, "t.toml").is_ok());
    }
}
