//! The commit rule of the owner as a value: whether the owned counts may be committed.
//! They may while they are exactly the last committed checkpoint plus what the open
//! transaction holds. A failed transaction (or lost partitions) makes them *diverged*
//! until a rewind restored every owned partition; a retired worker never commits again.
//! Pure: the owner tells it what happened and asks it before every commit.

/// See the module doc.
#[derive(Debug, Default)]
pub(super) struct CommitGate {
    state: Gate,
}

#[derive(Debug, Default)]
enum Gate {
    #[default]
    Consistent,
    Diverged(String),
    Retired(String),
}

impl CommitGate {
    /// A transaction failed or partitions were lost: no commit until `restored` (the
    /// first reason is kept).
    pub(super) fn diverge(&mut self, why: impl FnOnce() -> String) {
        if let Gate::Consistent = self.state {
            self.state = Gate::Diverged(why());
        }
    }

    /// Every owned partition was restored from the last checkpoint.
    pub(super) fn restored(&mut self) {
        if let Gate::Diverged(_) = self.state {
            self.state = Gate::Consistent;
        }
    }

    /// The worker gives its partitions up: nothing is ever committed again.
    pub(super) fn retire(&mut self, why: &str) {
        if !matches!(self.state, Gate::Retired(_)) {
            self.state = Gate::Retired(why.to_string());
        }
    }

    /// Why nothing may be committed now; `None` when a commit may go ahead.
    pub(super) fn refusal(&self) -> Option<&str> {
        match &self.state {
            Gate::Consistent => None,
            Gate::Diverged(why) | Gate::Retired(why) => Some(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abort_refuses_commits_until_the_rewind() {
        let mut g = CommitGate::default();
        assert_eq!(g.refusal(), None);
        g.diverge(|| "a transaction was aborted".into());
        assert_eq!(g.refusal(), Some("a transaction was aborted"));
        g.restored();
        assert_eq!(g.refusal(), None);
    }

    #[test]
    fn a_failed_rewind_keeps_refusing_through_a_revoke_and_the_final_checkpoint() {
        let mut g = CommitGate::default();
        g.diverge(|| "a checkpoint failed: timed out".into());
        // The rewind fails (no `restored`); a revocation diverges again (kept reason),
        // then the final checkpoint at shutdown asks.
        g.diverge(|| "partitions lost".into());
        assert_eq!(g.refusal(), Some("a checkpoint failed: timed out"));
        assert!(g.refusal().is_some(), "the final checkpoint is refused");
    }

    #[test]
    fn a_retired_worker_never_commits_again() {
        let mut g = CommitGate::default();
        g.diverge(|| "aborted".into());
        g.retire("fenced");
        g.restored();
        assert_eq!(g.refusal(), Some("fenced"));
        g.diverge(|| "later".into());
        assert_eq!(g.refusal(), Some("fenced"));
    }
}
