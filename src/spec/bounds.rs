//! The bounds of a job document, the same for YAML and JSON: its size (checked before
//! parsing), its number of values and its depth (counted by `tree`'s visitor as the tree is
//! built, so a YAML alias counts as often as it is used). serde-saphyr's own budget is set from
//! the same numbers, and every breach of either, ours or serde-saphyr's, gets a message that
//! says which bound it met (docs/RATIONALE.md, "Job documents").

use std::cell::Cell;

use serde::de;
use serde_saphyr::budget::{Budget, BudgetBreach};

/// The largest job document bolinho reads: 16 MiB. Job files are a few kilobytes; the largest
/// real ones carry a module inline, as a base64 `data:` URL, and 16 MiB leaves room for a
/// 12 MiB module that way. Larger modules belong in a local, URL or S3 source, which are
/// streamed and bounded on their own.
pub const MAX_DOCUMENT_BYTES: usize = 16 << 20;

/// The most values a document may hold: scalars, lists and maps, keys included, and each use
/// of a YAML alias counted again. A job holds a few hundred; this leaves room for generated
/// jobs with thousands of inputs or variables, and bounds the tree to tens of megabytes.
pub const MAX_VALUES: usize = 250_000;

/// The deepest nesting of lists and maps. A job nests about ten levels deep. Each level costs
/// tens of kilobytes of stack in a debug build (serde-saphyr's deserializer plus `Spanned`), so
/// serde-saphyr's default of 64 could overflow a 2 MiB thread, and serde_json's 128 more so.
pub const MAX_DEPTH: usize = 32;

pub(super) fn too_large(bytes: usize) -> String {
    format!(
        "the document is {bytes} bytes, more than {MAX_DOCUMENT_BYTES} (16 MiB), the most bolinho reads"
    )
}

fn too_many_values() -> String {
    format!("the document holds more than {MAX_VALUES} values, the most bolinho reads")
}

fn too_deep() -> String {
    format!(
        "the document nests lists and maps more than {MAX_DEPTH} levels deep, the most bolinho reads"
    )
}

/// What the document being parsed on this thread has used of its bounds. serde gives a
/// visitor no state of its own, so the count lives here; `parse` resets it for each document.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    values: usize,
    depth: usize,
    breach: Option<Breach>,
}

/// Which of our own bounds a document broke.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Breach {
    Values,
    Depth,
}

thread_local! {
    static TALLY: Cell<Tally> = const {
        Cell::new(Tally { values: 0, depth: 0, breach: None })
    };
}

/// Counts one more value, failing past `MAX_VALUES`.
pub(super) fn count_value<E: de::Error>() -> Result<(), E> {
    let mut tally = TALLY.get();
    tally.values += 1;
    if tally.values > MAX_VALUES {
        tally.breach = Some(Breach::Values);
        TALLY.set(tally);
        return Err(E::custom(too_many_values()));
    }
    TALLY.set(tally);
    Ok(())
}

/// Enters a list or a map, failing past `MAX_DEPTH`; `leave` undoes it.
pub(super) fn enter<E: de::Error>() -> Result<(), E> {
    let mut tally = TALLY.get();
    tally.depth += 1;
    if tally.depth > MAX_DEPTH {
        tally.breach = Some(Breach::Depth);
        TALLY.set(tally);
        return Err(E::custom(too_deep()));
    }
    TALLY.set(tally);
    Ok(())
}

pub(super) fn leave() {
    let mut tally = TALLY.get();
    tally.depth -= 1;
    TALLY.set(tally);
}

/// Starts counting a new document on this thread.
pub(super) fn start() {
    TALLY.set(Tally::default());
}

/// Our own breach, if the parser's error came from one: whether its line points at anything
/// (the depth does; the count is the whole document's), and its message.
pub(super) fn own_breach() -> Option<(bool, String)> {
    match TALLY.get().breach? {
        Breach::Values => Some((false, too_many_values())),
        Breach::Depth => Some((true, too_deep())),
    }
}

/// serde-saphyr's budget, from our bounds where it has the same ones. Its own limits for YAML
/// alone (anchors, aliases, merge keys) keep their defaults and are named in their messages.
pub(super) fn yaml_budget() -> Budget {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_nodes = MAX_VALUES;
    budget.max_total_scalar_bytes = MAX_DOCUMENT_BYTES;
    // The scanner's own bound on `[{` nesting; it looks ahead, so it can meet deep flow
    // collections before the budget sees them. Its error is reported as the depth bound.
    budget.flow_nesting_limit = MAX_DEPTH;
    // Every event is a value, the end of a list or map, or an alias: this bound is never the
    // first one met, so a breach is always reported as the bound the user can act on.
    budget.max_events = 2 * MAX_VALUES + budget.max_aliases + 8;
    budget
}

pub(super) fn several_documents() -> String {
    "a job file holds one YAML document, this one has several".to_string()
}

/// The message of a serde-saphyr error that is a bound rather than a syntax error, and whether
/// its line points at anything (only depth does). `None` for syntax errors.
pub(super) fn yaml_limit(
    e: &serde_saphyr::Error,
    budget: &Budget,
    bytes: usize,
) -> Option<(bool, String)> {
    let most = "the most bolinho reads";
    let message = match e {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => return Some((true, too_deep())),
            BudgetBreach::Nodes { .. } => too_many_values(),
            BudgetBreach::InputBytes { .. } => too_large(bytes),
            BudgetBreach::Documents { .. } => format!("invalid yaml: {}", several_documents()),
            BudgetBreach::Events { .. } => format!(
                "the document holds more than {} YAML events (values, ends of lists and maps, \
                 aliases), {most}",
                budget.max_events
            ),
            BudgetBreach::Aliases { .. } => format!(
                "the document uses more than {} aliases (`*name`), {most}",
                budget.max_aliases
            ),
            BudgetBreach::Anchors { .. } => format!(
                "the document defines more than {} anchors (`&name`), {most}",
                budget.max_anchors
            ),
            BudgetBreach::AliasAnchorRatio { aliases, anchors } => format!(
                "the document uses its anchors more than {} times each ({}, {}), {most}",
                budget.alias_anchor_ratio_multiplier,
                count(*aliases, "alias", "aliases"),
                count(*anchors, "anchor", "anchors"),
            ),
            BudgetBreach::RecordedAnchorEvents { .. } => format!(
                "the document's anchors hold more than {} values to repeat, {most}",
                budget.max_recorded_anchor_events
            ),
            BudgetBreach::RecordedAnchorBytes { .. } => format!(
                "the document's anchors hold more than {} bytes to repeat, {most}",
                budget.max_recorded_anchor_bytes
            ),
            BudgetBreach::ScalarBytes { .. } => format!(
                "the document's values hold more than {} bytes of text, {most}",
                budget.max_total_scalar_bytes
            ),
            BudgetBreach::MergeKeys { .. } => format!(
                "the document uses more than {} merge keys (`<<`), {most}",
                budget.max_merge_keys
            ),
            BudgetBreach::SequenceUnbalanced => {
                "invalid yaml: a list or a map ends that never began".to_string()
            }
            BudgetBreach::InclusionDepth { .. } => {
                "invalid yaml: `!include` is not supported".to_string()
            }
            BudgetBreach::PropertyExpansionDepth { .. }
            | BudgetBreach::PropertyInterpolationWork { .. } => {
                "invalid yaml: properties (`${name}`) are not supported".to_string()
            }
            // A bound serde-saphyr added after this was written.
            _ => format!("the document is larger or more complex than {most}"),
        },
        serde_saphyr::Error::AliasReplayLimitExceeded {
            max_total_replayed_events,
            ..
        } => format!(
            "the document's aliases repeat more than {max_total_replayed_events} YAML events, {most}"
        ),
        serde_saphyr::Error::AliasExpansionLimitExceeded {
            max_expansions_per_anchor,
            ..
        } => format!(
            "the document uses an anchor more than {max_expansions_per_anchor} times, {most}"
        ),
        serde_saphyr::Error::AliasReplayStackDepthExceeded { max_depth, .. } => format!(
            "the document nests aliases (an alias of an anchor holding aliases) more than \
             {max_depth} levels deep, {most}"
        ),
        serde_saphyr::Error::AliasReplayCounterOverflow { .. } => too_many_values(),
        // The scanner's `flow_nesting_limit` (and its own block limit): the error carries no
        // kind serde-saphyr exposes, only granit-parser's text, which a test pins.
        serde_saphyr::Error::ExternalMessage { msg, .. } if msg == "recursion limit exceeded" => {
            return Some((true, too_deep()));
        }
        _ => return None,
    };
    Some((false, message))
}

/// `1 anchor`, `2 anchors`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_serde_saphyr_bound_has_its_own_message() {
        use serde_saphyr::Location;
        let budget = yaml_budget();
        let message = |breach: BudgetBreach| {
            let e = serde_saphyr::Error::Budget {
                breach,
                location: Location::UNKNOWN,
            };
            yaml_limit(&e, &budget, 7).unwrap().1
        };
        let most = "the most bolinho reads";
        let table = [
            (
                BudgetBreach::Events { events: 1 },
                format!(
                    "the document holds more than 550008 YAML events (values, ends of lists and maps, aliases), {most}"
                ),
            ),
            (
                BudgetBreach::Aliases { aliases: 1 },
                format!("the document uses more than 50000 aliases (`*name`), {most}"),
            ),
            (
                BudgetBreach::Anchors { anchors: 1 },
                format!("the document defines more than 50000 anchors (`&name`), {most}"),
            ),
            (
                BudgetBreach::Depth { depth: 33 },
                format!("the document nests lists and maps more than 32 levels deep, {most}"),
            ),
            (
                BudgetBreach::InclusionDepth { depth: 1 },
                "invalid yaml: `!include` is not supported".to_string(),
            ),
            (
                BudgetBreach::Documents { documents: 2 },
                "invalid yaml: a job file holds one YAML document, this one has several"
                    .to_string(),
            ),
            (
                BudgetBreach::Nodes { nodes: 250_001 },
                format!("the document holds more than 250000 values, {most}"),
            ),
            (
                BudgetBreach::ScalarBytes {
                    total_scalar_bytes: 1,
                },
                format!("the document's values hold more than 16777216 bytes of text, {most}"),
            ),
            (
                BudgetBreach::MergeKeys { merge_keys: 1 },
                format!("the document uses more than 10000 merge keys (`<<`), {most}"),
            ),
            (
                BudgetBreach::AliasAnchorRatio {
                    aliases: 200,
                    anchors: 2,
                },
                format!(
                    "the document uses its anchors more than 10 times each (200 aliases, 2 anchors), {most}"
                ),
            ),
            (
                BudgetBreach::SequenceUnbalanced,
                "invalid yaml: a list or a map ends that never began".to_string(),
            ),
            (
                BudgetBreach::InputBytes { input_bytes: 1 },
                format!("the document is 7 bytes, more than 16777216 (16 MiB), {most}"),
            ),
            (
                BudgetBreach::RecordedAnchorEvents {
                    recorded_anchor_events: 1,
                },
                format!("the document's anchors hold more than 1000000 values to repeat, {most}"),
            ),
            (
                BudgetBreach::RecordedAnchorBytes {
                    recorded_anchor_bytes: 1,
                },
                format!("the document's anchors hold more than 67108864 bytes to repeat, {most}"),
            ),
            (
                BudgetBreach::PropertyExpansionDepth {
                    depth: 1,
                    max_depth: 1,
                },
                "invalid yaml: properties (`${name}`) are not supported".to_string(),
            ),
            (
                BudgetBreach::PropertyInterpolationWork {
                    work: 1,
                    max_work: 1,
                },
                "invalid yaml: properties (`${name}`) are not supported".to_string(),
            ),
        ];
        for (breach, expected) in table {
            let shown = format!("{breach:?}");
            assert_eq!(message(breach), expected, "{shown}");
        }
        let replay = serde_saphyr::Error::AliasReplayLimitExceeded {
            total_replayed_events: 2,
            max_total_replayed_events: 1,
            location: Location::UNKNOWN,
        };
        assert_eq!(
            yaml_limit(&replay, &budget, 7).unwrap().1,
            format!("the document's aliases repeat more than 1 YAML events, {most}")
        );
        let stack = serde_saphyr::Error::AliasReplayStackDepthExceeded {
            depth: 65,
            max_depth: 64,
            location: Location::UNKNOWN,
        };
        assert_eq!(
            yaml_limit(&stack, &budget, 7).unwrap().1,
            format!(
                "the document nests aliases (an alias of an anchor holding aliases) more than 64 levels deep, {most}"
            )
        );
    }
}
