//! Loading survey and scale files into a validated [`SurveyCatalog`], from a directory, from
//! in-memory strings, or from the defaults embedded in the binary. Every error names the file,
//! the line and column, and the problem.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;

use super::definition::{ScalesFile, SurveyCatalog, SurveyDefinition};
use super::validate;

/// Default files compiled into the binary, named as they are in the repository.
const EMBEDDED_FILES: [(&str, &str); 5] = [
    ("surveys/scales.toml", include_str!("../../surveys/scales.toml")),
    ("surveys/sipas-2017.toml", include_str!("../../surveys/sipas-2017.toml")),
    ("surveys/sipas-2022-service.toml", include_str!("../../surveys/sipas-2022-service.toml")),
    ("surveys/chat-short.toml", include_str!("../../surveys/chat-short.toml")),
    ("surveys/danh-gia-3-muc.toml", include_str!("../../surveys/danh-gia-3-muc.toml")),
];

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// Position of byte `offset` in `content` (clamped to the content, rounded down to a char).
    pub fn of_offset(content: &str, offset: usize) -> Self {
        let mut end = offset.min(content.len());
        while !content.is_char_boundary(end) {
            end -= 1;
        }
        let before = &content[..end];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position { line: before.matches('\n').count() + 1, column: before[line_start..].chars().count() + 1 }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// What is wrong in a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("cannot read: {0}")]
    Io(String),
    #[error("invalid TOML: {0}")]
    Syntax(String),
    #[error("file is neither a survey (no `id`) nor a scales file (no `scales`)")]
    UnknownFileKind,
    #[error("file has both a survey `id` and `scales`; put scales in their own file")]
    MixedFileKind,
    #[error("survey id \"{id}\" is already defined at {first}")]
    DuplicateSurveyId { id: String, first: String },
    #[error("scale id \"{id}\" is already defined at {first}")]
    DuplicateScaleId { id: String, first: String },
    #[error("code \"{code}\" is already used at line {first_line}")]
    DuplicateCode { code: String, first_line: usize },
    #[error("a code must not be empty")]
    EmptyCode,
    #[error("survey \"{id}\" has no elements")]
    NoElements { id: String },
    #[error("element \"{element}\" has no questions")]
    EmptyElement { element: String },
    #[error("\"{code}\" has no text")]
    EmptyText { code: String },
    #[error("question \"{code}\" text has {chars} characters, more than the {max} allowed")]
    QuestionTooLong { code: String, chars: usize, max: usize },
    #[error("question \"{question}\" refers to unknown element \"{element}\"")]
    UnknownElement { question: String, element: String },
    #[error("question \"{question}\" refers to unknown scale \"{scale}\"")]
    UnknownScale { question: String, scale: String },
    #[error("free-text item \"{code}\" has max_length 0")]
    ZeroMaxLength { code: String },
    #[error("free-text item \"{code}\" has both `required = true` and `required_if`")]
    RequiredAndRequiredIf { code: String },
    #[error("required_if of \"{item}\" refers to unknown question \"{question}\"")]
    RequiredIfUnknownQuestion { item: String, question: String },
    #[error("required_if of \"{item}\" lists no values")]
    RequiredIfNoValues { item: String },
    #[error("required_if of \"{item}\": value {value} is not in scale \"{scale}\" of question \"{question}\"")]
    RequiredIfValueNotInScale { item: String, question: String, scale: String, value: i64 },
    #[error("scale \"{scale}\" has no options")]
    NoOptions { scale: String },
    #[error("scale \"{scale}\" has value {value} more than once")]
    DuplicateScaleValue { scale: String, value: i64 },
    #[error("scale \"{scale}\": option {value} has an empty {field}")]
    EmptyLabel { scale: String, value: i64, field: &'static str },
    #[error("scale \"{scale}\": short_label \"{label}\" has {chars} characters, more than {max}")]
    ShortLabelTooLong { scale: String, label: String, chars: usize, max: usize },
    #[error("scale \"{scale}\": satisfied value {value} is not in the scale")]
    SatisfiedNotInScale { scale: String, value: i64 },
    #[error("scale \"{scale}\" measures satisfaction but lists no satisfied values")]
    NoSatisfiedValues { scale: String },
    #[error("scale \"{scale}\" has `measures_satisfaction = false` but lists satisfied values")]
    SatisfiedOnNonSatisfactionScale { scale: String },
    #[error("scale \"{scale}\": alias \"{alias}\" contains no letters or digits")]
    EmptyAlias { scale: String, alias: String },
    #[error("scale \"{scale}\": \"{phrase}\" would select both {first_value} and {value}")]
    AmbiguousPhrase { scale: String, phrase: String, first_value: i64, value: i64 },
}

/// A problem with its file and, when known, its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub file: String,
    pub position: Option<Position>,
    pub problem: Problem,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(position) => write!(f, "{}:{position}: {}", self.file, self.problem),
            None => write!(f, "{}: {}", self.file, self.problem),
        }
    }
}

impl std::error::Error for LoadError {}

/// A file being loaded: its name and content, to turn byte spans into positioned errors.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SourceFile<'a> {
    pub(crate) name: &'a str,
    pub(crate) content: &'a str,
}

impl SourceFile<'_> {
    pub(crate) fn error_at(&self, span: &Range<usize>, problem: Problem) -> LoadError {
        LoadError { file: self.name.to_owned(), position: Some(Position::of_offset(self.content, span.start)), problem }
    }

    pub(crate) fn error_without_position(&self, problem: Problem) -> LoadError {
        LoadError { file: self.name.to_owned(), position: None, problem }
    }

    pub(crate) fn line_of(&self, span: &Range<usize>) -> usize {
        Position::of_offset(self.content, span.start).line
    }

    /// "file:line:column" of a span, to mention an earlier definition.
    pub(crate) fn locate(&self, span: &Range<usize>) -> String {
        format!("{}:{}", self.name, Position::of_offset(self.content, span.start))
    }

    fn toml_error(&self, error: &toml::de::Error) -> LoadError {
        let problem = Problem::Syntax(error.message().trim().replace('\n', " "));
        match error.span() {
            Some(span) => self.error_at(&span, problem),
            None => self.error_without_position(problem),
        }
    }
}

/// Reads every `*.toml` file of `dir` (in name order) and loads them as one catalog.
pub fn load_dir(dir: &Path) -> Result<SurveyCatalog, Vec<LoadError>> {
    let files = read_toml_files(dir)?;
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(name, content)| (name.as_str(), content.as_str())).collect();
    load_from_strs(&borrowed)
}

/// Loads `(file name, content)` pairs as one catalog; all errors of all files are returned.
pub fn load_from_strs(files: &[(&str, &str)]) -> Result<SurveyCatalog, Vec<LoadError>> {
    let mut errors = Vec::new();
    let mut surveys = Vec::new();
    let mut scale_files = Vec::new();
    for &(name, content) in files {
        let source = SourceFile { name, content };
        match parse_file(source) {
            Ok(ParsedFile::Survey(def)) => surveys.push((source, *def)),
            Ok(ParsedFile::Scales(scales)) => scale_files.push((source, scales)),
            Err(error) => errors.push(*error),
        }
    }
    let mut catalog = SurveyCatalog::default();
    collect_scales(&mut catalog, scale_files, &mut errors);
    collect_surveys(&mut catalog, surveys, &mut errors);
    if errors.is_empty() {
        Ok(catalog)
    } else {
        errors.sort_by(|a, b| (&a.file, a.position).cmp(&(&b.file, b.position)));
        Err(errors)
    }
}

/// The catalog built from the default files shipped in `surveys/`.
pub fn embedded() -> Result<SurveyCatalog, Vec<LoadError>> {
    load_from_strs(&EMBEDDED_FILES)
}

/// Names of the embedded default files.
pub fn embedded_file_names() -> Vec<&'static str> {
    EMBEDDED_FILES.iter().map(|(name, _)| *name).collect()
}

fn read_toml_files(dir: &Path) -> Result<Vec<(String, String)>, Vec<LoadError>> {
    let io_error = |path: &Path, error: &std::io::Error| {
        vec![LoadError { file: path.display().to_string(), position: None, problem: Problem::Io(error.to_string()) }]
    };
    let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, &e))?.path();
        if path.is_file() && path.extension().is_some_and(|ext| ext == "toml") {
            paths.push(path);
        }
    }
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    let mut errors = Vec::new();
    for path in paths {
        match std::fs::read_to_string(&path) {
            Ok(content) => files.push((path.display().to_string(), content)),
            Err(e) => errors.extend(io_error(&path, &e)),
        }
    }
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

enum ParsedFile {
    Survey(Box<SurveyDefinition>),
    Scales(ScalesFile),
}

/// Just enough of a file to tell a survey from a scales file.
#[derive(Deserialize)]
struct FileKindProbe {
    id: Option<toml::Value>,
    scales: Option<toml::Value>,
}

/// Parses one file; the error is boxed to keep the `Ok` path small.
fn parse_file(source: SourceFile<'_>) -> Result<ParsedFile, Box<LoadError>> {
    let boxed = |error: LoadError| Box::new(error);
    let probe: FileKindProbe = toml::from_str(source.content).map_err(|e| boxed(source.toml_error(&e)))?;
    match (probe.id.is_some(), probe.scales.is_some()) {
        (true, false) => toml::from_str(source.content)
            .map(|def| ParsedFile::Survey(Box::new(def)))
            .map_err(|e| boxed(source.toml_error(&e))),
        (false, true) => {
            toml::from_str(source.content).map(ParsedFile::Scales).map_err(|e| boxed(source.toml_error(&e)))
        }
        (true, true) => Err(boxed(source.error_without_position(Problem::MixedFileKind))),
        (false, false) => Err(boxed(source.error_without_position(Problem::UnknownFileKind))),
    }
}

fn collect_scales(
    catalog: &mut SurveyCatalog,
    scale_files: Vec<(SourceFile<'_>, ScalesFile)>,
    errors: &mut Vec<LoadError>,
) {
    let mut first_seen: BTreeMap<String, String> = BTreeMap::new();
    for (source, file) in scale_files {
        for scale in file.scales {
            errors.extend(validate::check_scale(&scale, source));
            let id = scale.id().to_owned();
            if let Some(first) = first_seen.get(&id) {
                let problem = Problem::DuplicateScaleId { id, first: first.clone() };
                errors.push(source.error_at(&scale.id.span(), problem));
                continue;
            }
            first_seen.insert(id.clone(), source.locate(&scale.id.span()));
            catalog.scales.insert(id, scale);
        }
    }
}

fn collect_surveys(
    catalog: &mut SurveyCatalog,
    surveys: Vec<(SourceFile<'_>, SurveyDefinition)>,
    errors: &mut Vec<LoadError>,
) {
    let mut first_seen: BTreeMap<String, String> = BTreeMap::new();
    for (source, def) in surveys {
        errors.extend(validate::check_survey(&def, &catalog.scales, source));
        let id = def.id().to_owned();
        if let Some(first) = first_seen.get(&id) {
            let problem = Problem::DuplicateSurveyId { id, first: first.clone() };
            errors.push(source.error_at(&def.id.span(), problem));
            continue;
        }
        first_seen.insert(id.clone(), source.locate(&def.id.span()));
        catalog.surveys.insert(id, def);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::definition::Question;

    const SCALES: &str = r#"[[scales]]
id = "s5"
name = "Năm mức"
measures_satisfaction = true
satisfied = [4, 5]
[[scales.options]]
value = 1
label = "Rất không hài lòng"
short_label = "Rất không hài lòng"
[[scales.options]]
value = 2
label = "Không hài lòng"
short_label = "Không hài lòng"
[[scales.options]]
value = 3
label = "Bình thường"
short_label = "Bình thường"
[[scales.options]]
value = 4
label = "Hài lòng"
short_label = "Hài lòng"
[[scales.options]]
value = 5
label = "Rất hài lòng"
short_label = "Rất hài lòng"
aliases = ["tốt lắm"]
"#;

    const SURVEY: &str = r#"id = "t"
version = 1
year = 2024
title = "Thử"
description = "Khảo sát thử"
source = "test"
[[elements]]
code = "E1"
name = "Một"
[[questions]]
code = "Q1"
text = "Ông/Bà hài lòng không?"
element = "E1"
scale = "s5"
[[free_text]]
code = "LY_DO"
text = "Lý do"
max_length = 200
required_if = { question = "Q1", values = [1, 2] }
"#;

    /// Loads the two test files, with `edit` applied to `which` of them, and returns the rendered
    /// errors.
    fn errors_after(which: &str, from: &str, to: &str) -> Vec<String> {
        let edit = |name: &str, content: &str| {
            if name == which {
                assert!(content.contains(from), "test edit {from:?} does not apply");
                content.replacen(from, to, 1)
            } else {
                content.to_owned()
            }
        };
        let scales = edit("scales.toml", SCALES);
        let survey = edit("t.toml", SURVEY);
        match load_from_strs(&[("scales.toml", &scales), ("t.toml", &survey)]) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }

    fn assert_single_error(which: &str, from: &str, to: &str, expected: &str) {
        let errors = errors_after(which, from, to);
        assert_eq!(errors, [expected.to_owned()], "edit {from:?} -> {to:?}");
    }

    #[test]
    fn valid_test_files_load() {
        let catalog = load_from_strs(&[("scales.toml", SCALES), ("t.toml", SURVEY)]).expect("test files are valid");
        assert_eq!(catalog.ids(), ["t"]);
        assert_eq!(catalog.scale_ids(), ["s5"]);
        assert!(catalog.get("t").is_some());
        assert!(catalog.scale("s5").is_some());
        assert!(catalog.get("missing").is_none());
    }

    #[test]
    fn position_counts_lines_and_characters() {
        let content = "a = 1\nbé = \"x\"\n";
        let offset = content.find("\"x\"").expect("present");
        assert_eq!(Position::of_offset(content, offset), Position { line: 2, column: 6 });
        assert_eq!(Position::of_offset(content, 0), Position { line: 1, column: 1 });
        assert_eq!(Position::of_offset(content, 10_000).line, 3);
    }

    #[test]
    fn reports_toml_syntax_error_with_position() {
        assert_single_error(
            "t.toml",
            "year = 2024",
            "year = = 2024",
            "t.toml:3:8: invalid TOML: invalid string expected `\"`, `'`",
        );
    }

    #[test]
    fn reports_unknown_field_with_position() {
        let errors = errors_after("t.toml", "element = \"E1\"", "elemnt = \"E1\"");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("t.toml:13:1: invalid TOML: unknown field `elemnt`"), "{errors:?}");
    }

    #[test]
    fn reports_missing_text_field() {
        let errors = errors_after("t.toml", "text = \"Ông/Bà hài lòng không?\"\n", "");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("t.toml:") && errors[0].contains("missing field `text`"), "{errors:?}");
    }

    #[test]
    fn reports_each_survey_problem_at_its_place() {
        let cases = [
            (
                "element = \"E1\"",
                "element = \"E9\"",
                vec![
                    "t.toml:8:8: element \"E1\" has no questions",
                    "t.toml:13:11: question \"Q1\" refers to unknown element \"E9\"",
                ],
            ),
            ("scale = \"s5\"", "scale = \"s7\"", vec!["t.toml:14:9: question \"Q1\" refers to unknown scale \"s7\""]),
            ("text = \"Ông/Bà hài lòng không?\"", "text = \"  \"", vec!["t.toml:12:8: \"Q1\" has no text"]),
            ("max_length = 200", "max_length = 0", vec!["t.toml:18:14: free-text item \"LY_DO\" has max_length 0"]),
            (
                "question = \"Q1\", values",
                "question = \"Q2\", values",
                vec!["t.toml:19:28: required_if of \"LY_DO\" refers to unknown question \"Q2\""],
            ),
            (
                "values = [1, 2]",
                "values = [1, 7]",
                vec!["t.toml:19:47: required_if of \"LY_DO\": value 7 is not in scale \"s5\" of question \"Q1\""],
            ),
            ("values = [1, 2]", "values = []", vec!["t.toml:19:28: required_if of \"LY_DO\" lists no values"]),
            (
                "max_length = 200",
                "max_length = 200\nrequired = true",
                vec!["t.toml:20:28: free-text item \"LY_DO\" has both `required = true` and `required_if`"],
            ),
            ("code = \"LY_DO\"", "code = \"Q1\"", vec!["t.toml:16:8: code \"Q1\" is already used at line 11"]),
            (
                "[[free_text]]",
                "[[elements]]\ncode = \"E1\"\nname = \"Lặp\"\n[[free_text]]",
                vec!["t.toml:16:8: code \"E1\" is already used at line 8"],
            ),
            (
                "[[free_text]]",
                "[[questions]]\ncode = \"Q1\"\ntext = \"Lặp\"\nscale = \"s5\"\n[[free_text]]",
                vec!["t.toml:16:8: code \"Q1\" is already used at line 11"],
            ),
            (
                "[[elements]]\ncode = \"E1\"\nname = \"Một\"\n",
                "",
                vec![
                    "t.toml:1:6: survey \"t\" has no elements",
                    "t.toml:10:11: question \"Q1\" refers to unknown element \"E1\"",
                ],
            ),
            (
                "source = \"test\"",
                "source = \"test\"\nmax_question_chars = 10",
                vec!["t.toml:13:8: question \"Q1\" text has 22 characters, more than the 10 allowed"],
            ),
            (
                "code = \"Q1\"",
                "code = \"\"",
                vec![
                    "t.toml:11:8: a code must not be empty",
                    "t.toml:19:28: required_if of \"LY_DO\" refers to unknown question \"Q1\"",
                ],
            ),
        ];
        for (from, to, expected) in cases {
            let expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
            assert_eq!(errors_after("t.toml", from, to), expected, "edit {from:?} -> {to:?}");
        }
    }

    #[test]
    fn reports_each_scale_problem_at_its_place() {
        let cases = [
            (
                "value = 3",
                "value = 1",
                vec!["scales.toml:15:9: scale \"s5\" has value 1 more than once"],
            ),
            (
                "satisfied = [4, 5]",
                "satisfied = [4, 6]",
                vec!["scales.toml:5:17: scale \"s5\": satisfied value 6 is not in the scale"],
            ),
            (
                "satisfied = [4, 5]",
                "satisfied = []",
                vec!["scales.toml:2:6: scale \"s5\" measures satisfaction but lists no satisfied values"],
            ),
            (
                "measures_satisfaction = true",
                "measures_satisfaction = false",
                vec!["scales.toml:5:14: scale \"s5\" has `measures_satisfaction = false` but lists satisfied values"],
            ),
            (
                "short_label = \"Bình thường\"",
                "short_label = \"Bình thường, tạm chấp nhận\"",
                vec!["scales.toml:17:15: scale \"s5\": short_label \"Bình thường, tạm chấp nhận\" has 26 characters, more than 20"],
            ),
            (
                "label = \"Hài lòng\"",
                "label = \"\"",
                vec!["scales.toml:20:9: scale \"s5\": option 4 has an empty label"],
            ),
            (
                "aliases = [\"tốt lắm\"]",
                "aliases = [\"tốt lắm\", \"hai long\"]",
                vec!["scales.toml:26:23: scale \"s5\": \"hai long\" would select both 4 and 5"],
            ),
            (
                "aliases = [\"tốt lắm\"]",
                "aliases = [\"?!\"]",
                vec!["scales.toml:26:12: scale \"s5\": alias \"?!\" contains no letters or digits"],
            ),
        ];
        for (from, to, expected) in cases {
            let expected: Vec<String> = expected.into_iter().map(str::to_owned).collect();
            assert_eq!(errors_after("scales.toml", from, to), expected, "edit {from:?} -> {to:?}");
        }
    }

    #[test]
    fn reports_scale_without_options() {
        let content = "[[scales]]\nid = \"empty\"\nname = \"Rỗng\"\nmeasures_satisfaction = false\noptions = []\n";
        let errors = load_from_strs(&[("x.toml", content)]).expect_err("no options");
        assert_eq!(errors[0].to_string(), "x.toml:2:6: scale \"empty\" has no options");
    }

    #[test]
    fn reports_duplicate_ids_across_files() {
        let errors = load_from_strs(&[("a.toml", SCALES), ("b.toml", SCALES), ("c.toml", SURVEY), ("d.toml", SURVEY)])
            .expect_err("duplicates");
        let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            rendered,
            [
                "b.toml:2:6: scale id \"s5\" is already defined at a.toml:2:6",
                "d.toml:1:6: survey id \"t\" is already defined at c.toml:1:6",
            ]
        );
    }

    #[test]
    fn reports_files_of_unknown_or_mixed_kind() {
        let errors = load_from_strs(&[("none.toml", "title = \"x\"\n"), ("both.toml", "id = \"x\"\nscales = []\n")])
            .expect_err("bad kinds");
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].problem, Problem::MixedFileKind);
        assert_eq!(errors[0].file, "both.toml");
        assert_eq!(errors[1].problem, Problem::UnknownFileKind);
        assert!(errors[1].to_string().starts_with("none.toml: file is neither"));
    }

    fn surveys_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("surveys")
    }

    #[test]
    fn loads_every_file_in_surveys_dir_with_the_scales() {
        let dir = surveys_dir();
        let scales_path = dir.join("scales.toml");
        let scales = std::fs::read_to_string(&scales_path).expect("scales.toml");
        let mut checked = 0;
        for entry in std::fs::read_dir(&dir).expect("surveys dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|ext| ext != "toml") || path == scales_path {
                continue;
            }
            let name = path.display().to_string();
            let content = std::fs::read_to_string(&path).expect("readable");
            let result = load_from_strs(&[("surveys/scales.toml", &scales), (&name, &content)]);
            if let Err(errors) = &result {
                let rendered: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("{name} does not load:\n{}", rendered.join("\n"));
            }
            checked += 1;
        }
        assert!(checked >= 4, "only {checked} survey files found");
    }

    #[test]
    fn load_dir_and_embedded_agree() {
        let from_dir = load_dir(&surveys_dir()).expect("surveys dir loads");
        let embedded = embedded().expect("embedded loads");
        assert_eq!(from_dir.ids(), embedded.ids(), "add new files to EMBEDDED_FILES");
        assert_eq!(from_dir.scale_ids(), embedded.scale_ids());
        let mut on_disk: Vec<String> = std::fs::read_dir(surveys_dir())
            .expect("surveys dir")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|name| name.ends_with(".toml"))
            .map(|name| format!("surveys/{name}"))
            .collect();
        on_disk.sort();
        let mut listed = embedded_file_names();
        listed.sort_unstable();
        assert_eq!(on_disk, listed, "EMBEDDED_FILES must list every file in surveys/");
        assert_eq!(embedded.ids(), ["chat-short", "danh-gia-3-muc", "sipas-2017", "sipas-2022-service"]);
        assert_eq!(embedded.scale_ids(), ["expectation-3", "satisfaction-5", "three-level", "yes-no"]);
    }

    /// Number of questions per element code, in element order.
    fn questions_per_element(def: &SurveyDefinition) -> Vec<(String, usize)> {
        def.elements.iter().map(|e| (e.code().to_owned(), def.questions_in(e.code()).count())).collect()
    }

    fn counts(pairs: &[(&str, usize)]) -> Vec<(String, usize)> {
        pairs.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect()
    }

    #[test]
    fn sipas_2017_has_22_criteria_over_5_elements() {
        let catalog = embedded().expect("embedded loads");
        let def = catalog.get("sipas-2017").expect("sipas-2017");
        assert_eq!(def.questions.len(), 22);
        assert_eq!(questions_per_element(def), counts(&[("YT1", 4), ("YT2", 5), ("YT3", 6), ("YT4", 3), ("YT5", 4)]));
        assert!(def.questions.iter().all(|q| q.scale() == "satisfaction-5" && q.required));
        assert_eq!(def.questions[0].code(), "TC1.1");
        assert_eq!(def.free_text.len(), 1);
        assert!(!def.free_text[0].required);
    }

    #[test]
    fn sipas_2022_service_has_statements_15_to_33_and_expectations() {
        let catalog = embedded().expect("embedded loads");
        let def = catalog.get("sipas-2022-service").expect("sipas-2022-service");
        let statements: Vec<&str> =
            def.questions.iter().filter(|q| q.scale() == "satisfaction-5").map(Question::code).collect();
        let expected: Vec<String> = (15..=33).map(|n| format!("C9.{n}")).collect();
        assert_eq!(statements, expected);
        assert_eq!(questions_per_element(def), counts(&[("TC", 4), ("TTHC", 4), ("CC", 5), ("KQ", 3), ("PAKN", 3)]));
        let expectations: Vec<&Question> = def.questions.iter().filter(|q| q.scale() == "expectation-3").collect();
        assert_eq!(expectations.len(), 9, "items 1-7, 9, 10 (item 8 unknown)");
        assert!(expectations.iter().all(|q| q.element().is_none() && !q.required));
        assert!(def.question("C10.8").is_none());
        assert_eq!(def.questions.len(), 19 + 9);
        assert!(def.free_text_item("Y_KIEN_KHAC").is_some());
        let scale = catalog.scale("expectation-3").expect("scale");
        assert!(!scale.measures_satisfaction);
    }

    #[test]
    fn chat_short_fits_a_phone() {
        let catalog = embedded().expect("embedded loads");
        let def = catalog.get("chat-short").expect("chat-short");
        assert_eq!(def.elements.len(), 5);
        assert_eq!(def.questions.len(), 6);
        assert!(def.elements.iter().all(|e| def.questions_in(e.code()).count() == 1));
        let overall: Vec<&str> = def.questions.iter().filter(|q| q.element().is_none()).map(Question::code).collect();
        assert_eq!(overall, ["Q_CHUNG"]);
        assert!(def.questions.iter().all(|q| q.text().chars().count() <= 120));
        assert!(def.free_text.iter().all(|f| !f.required));
        let scale = catalog.scale("satisfaction-5").expect("scale");
        assert!(scale.options.iter().all(|o| o.short_label().chars().count() <= 20));
    }

    #[test]
    fn danh_gia_3_muc_requires_reason_for_khong_hai_long() {
        let catalog = embedded().expect("embedded loads");
        let def = catalog.get("danh-gia-3-muc").expect("danh-gia-3-muc");
        assert_eq!(def.questions.len(), 1);
        let question = &def.questions[0];
        let scale = catalog.scale(question.scale()).expect("scale");
        let labels: Vec<(i64, &str)> = scale.options.iter().map(|o| (o.value(), o.label())).collect();
        assert_eq!(labels, [(3, "Rất hài lòng"), (2, "Hài lòng"), (1, "Không hài lòng")]);
        let reason = def.free_text_item("LY_DO").expect("reason");
        let condition = reason.required_if.as_ref().expect("required_if");
        assert_eq!(condition.question(), question.code());
        assert!(condition.triggered_by(1));
        assert!(!condition.triggered_by(2));
    }

    #[test]
    fn load_dir_reports_missing_directory() {
        let errors = load_dir(Path::new("surveys/does-not-exist")).expect_err("missing dir");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].file, "surveys/does-not-exist");
        assert!(matches!(errors[0].problem, Problem::Io(_)));
    }
}
