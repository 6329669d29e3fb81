//! Shrinking a failing script: steps are dropped, in chunks halving in size (delta
//! debugging), for as long as the run still breaks the same invariant.

use super::run::Failure;
use super::script::Script;

/// The shortest script found that still fails as `failure` did, with its own failure;
/// `run` plays a script.
pub fn shrink(
    script: &Script,
    failure: &Failure,
    run: impl Fn(&Script) -> Result<(), Failure>,
) -> (Script, Failure) {
    let same = |f: &Failure| f.violation.invariant == failure.violation.invariant;
    let mut best = script.clone();
    let mut best_failure = failure.clone();
    let cut_after = |s: &mut Script, f: &Failure| {
        if let Some(i) = f.step {
            s.steps.truncate(i + 1);
        }
    };
    cut_after(&mut best, &best_failure);
    let mut chunks = 2;
    while best.steps.len() >= 2 {
        let len = best.steps.len();
        let size = len.div_ceil(chunks);
        let mut reduced = false;
        for start in (0..len).step_by(size) {
            let mut candidate = best.clone();
            candidate.steps.drain(start..(start + size).min(len));
            if let Err(f) = run(&candidate)
                && same(&f)
            {
                cut_after(&mut candidate, &f);
                best = candidate;
                best_failure = f;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
        }
        if !reduced {
            if chunks >= len {
                break;
            }
            chunks = (chunks * 2).min(len);
        }
    }
    (best, best_failure)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Violation;
    use crate::sim::script::Step;
    use crate::time::Millis;

    #[test]
    fn only_the_steps_the_failure_needs_are_kept() {
        let mut steps: Vec<Step> = (0..40).map(|i| Step::Wait(Millis(i))).collect();
        steps[7] = Step::DiskReadOnly;
        steps[31] = Step::BrokerDown;
        let script = Script {
            scene: 0,
            reserve: 0,
            steps,
        };
        // Fails once both faults have happened, at the later of them.
        let run = |s: &Script| {
            let disk = s.steps.iter().position(|s| *s == Step::DiskReadOnly);
            let broker = s.steps.iter().position(|s| *s == Step::BrokerDown);
            match (disk, broker) {
                (Some(a), Some(b)) => Err(Failure {
                    step: Some(a.max(b)),
                    violation: Violation::new("both", String::new()),
                }),
                _ => Ok(()),
            }
        };
        let failure = run(&script).unwrap_err();
        let (shrunk, last) = shrink(&script, &failure, run);
        assert_eq!(shrunk.steps, [Step::DiskReadOnly, Step::BrokerDown]);
        assert_eq!(last.step, Some(1));
    }
}
