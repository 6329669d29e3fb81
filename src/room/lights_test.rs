//! A technician's lights test under way: the pattern's first step goes out at once, and each
//! later step falls due when the one before has faded, for every target together. The core
//! only says what is due when; the shell waits for the deadline and sends the orders, so the
//! engine's loop never waits and a test runs in virtual time in a unit test.

use std::collections::VecDeque;

use crate::protocol::TestStep;

/// One light order of the test: a target (a zone or a light) to a step's look.
#[derive(Clone, Debug, PartialEq)]
pub struct TestOrder {
    pub target: String,
    pub step: TestStep,
}

/// The steps still to come, each with the monotonic time (ms) it falls due.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LightsTest {
    due: VecDeque<(u64, Vec<TestOrder>)>,
}

impl LightsTest {
    /// Begins `steps` on `targets` at `now_ms`: the first step's orders, to send now, and the
    /// test holding the rest.
    pub fn begin(targets: &[String], steps: &[TestStep], now_ms: u64) -> (Vec<TestOrder>, LightsTest) {
        let orders = |step: TestStep| -> Vec<TestOrder> {
            targets
                .iter()
                .map(|target| TestOrder {
                    target: target.clone(),
                    step,
                })
                .collect()
        };
        let Some((first, later)) = steps.split_first() else {
            return (Vec::new(), LightsTest::default());
        };
        let mut at = now_ms;
        let mut before = first.fade;
        let mut due = VecDeque::new();
        for step in later {
            at = at.saturating_add(before.0);
            due.push_back((at, orders(*step)));
            before = step.fade;
        }
        (orders(*first), LightsTest { due })
    }

    /// When the next step falls due (monotonic ms); `None` once the test is over.
    pub fn next_deadline(&self) -> Option<u64> {
        self.due.front().map(|(at, _)| *at)
    }

    /// The orders due by `now_ms`, oldest step first; only the latest look per target is
    /// left (a loop that woke late must not send two looks to a light back to back).
    pub fn due(&mut self, now_ms: u64) -> Vec<TestOrder> {
        let mut orders: Vec<TestOrder> = Vec::new();
        while self.due.front().is_some_and(|(at, _)| *at <= now_ms) {
            let (_, step) = self.due.pop_front().expect("checked above");
            for order in step {
                orders.retain(|o| o.target != order.target);
                orders.push(order);
            }
        }
        orders
    }

    pub fn is_over(&self) -> bool {
        self.due.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::test_pattern;

    fn targets(orders: &[TestOrder]) -> Vec<(&str, f32)> {
        orders
            .iter()
            .map(|o| (o.target.as_str(), o.step.look.brightness))
            .collect()
    }

    #[test]
    fn each_step_falls_due_when_the_one_before_has_faded_for_every_target_together() {
        let steps = test_pattern();
        let zones = ["mat-1".to_string(), "room".to_string()];
        let (first, mut test) = LightsTest::begin(&zones, &steps, 1_000);
        assert_eq!(targets(&first), [("mat-1", 30.0), ("room", 30.0)]);
        assert_eq!(test.next_deadline(), Some(1_000 + steps[0].fade.0));
        assert!(test.due(1_000 + steps[0].fade.0 - 1).is_empty());
        let second = test.due(1_000 + steps[0].fade.0);
        assert_eq!(targets(&second), [("mat-1", 60.0), ("room", 60.0)]);
        let end = 1_000 + steps[0].fade.0 + steps[1].fade.0;
        assert_eq!(test.next_deadline(), Some(end));
        assert_eq!(targets(&test.due(end)), [("mat-1", 0.0), ("room", 0.0)]);
        assert!(test.is_over());
        assert_eq!(test.next_deadline(), None);
    }

    #[test]
    fn a_late_wake_sends_each_target_only_its_latest_look() {
        let steps = test_pattern();
        let (_, mut test) = LightsTest::begin(&["lamp".to_string()], &steps, 0);
        let late = test.due(60_000);
        assert_eq!(targets(&late), [("lamp", 0.0)]);
        assert!(test.is_over());
    }
}
