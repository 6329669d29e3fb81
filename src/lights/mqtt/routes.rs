//! Incoming messages to lights: which lights listen on a topic (several may share one, such as
//! Zigbee2MQTT's bridge state), each decoded by its own driver; malformed payloads logged at
//! most once per light per minute so that a chatty broken device cannot flood the journal.

use std::collections::{BTreeSet, HashMap};

use crate::config::{Family, LightConfig};
use crate::lights::driver::{Driver, Report};
use crate::time::Millis;

const MALFORMED_LOG_EVERY: Millis = Millis(60_000);

pub type DriverFor = fn(Family) -> &'static dyn Driver;

pub struct Routes {
    by_topic: HashMap<String, Vec<usize>>,
    /// When each light's last malformed payload was logged.
    last_malformed_log: Vec<Option<Millis>>,
}

impl Routes {
    pub fn new(lights: &[LightConfig], driver_for: DriverFor) -> Routes {
        let mut by_topic: HashMap<String, Vec<usize>> = HashMap::new();
        for (index, light) in lights.iter().enumerate() {
            for topic in driver_for(light.family).subscriptions(light) {
                by_topic.entry(topic).or_default().push(index);
            }
        }
        Routes {
            by_topic,
            last_malformed_log: vec![None; lights.len()],
        }
    }

    /// Every topic to subscribe to, once each.
    pub fn topics(&self) -> Vec<String> {
        self.by_topic
            .keys()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// What a message says about each light it concerns, as (light index, report).
    pub fn decode(
        &mut self,
        lights: &[LightConfig],
        driver_for: DriverFor,
        now: Millis,
        topic: &str,
        payload: &[u8],
    ) -> Vec<(usize, Report)> {
        let Some(indices) = self.by_topic.get(topic) else {
            return Vec::new();
        };
        let mut reports = Vec::new();
        for &index in indices {
            let light = &lights[index];
            match driver_for(light.family).decode(light, topic, payload) {
                Ok(Some(report)) => reports.push((index, report)),
                Ok(None) => {}
                Err(error) => {
                    let last = &mut self.last_malformed_log[index];
                    if last.is_none_or(|at| now.saturating_sub(at) >= MALFORMED_LOG_EVERY) {
                        *last = Some(now);
                        tracing::warn!(light = %light.name, %error, "lights: malformed message ignored");
                    }
                }
            }
        }
        reports
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::Curve;
    use crate::lights::driver::{DecodeError, DeviceCommand, DeviceState, Publish};

    /// A driver for tests of the adapter alone: one topic per light plus a shared bridge topic,
    /// payloads `on`, `off`, `online`, `offline`, a level `0.25`, anything else malformed.
    struct TestDriver;

    impl Driver for TestDriver {
        fn encode(&self, light: &LightConfig, command: &DeviceCommand) -> Vec<Publish> {
            vec![Publish {
                topic: format!("test/{}/set", light.topic),
                payload: format!(
                    "{} {:.3} {}",
                    command.on,
                    command.level,
                    command.transition.as_millis()
                )
                .into_bytes(),
            }]
        }
        fn stop(&self, light: &LightConfig) -> Vec<Publish> {
            vec![Publish {
                topic: format!("test/{}/set", light.topic),
                payload: b"stop".to_vec(),
            }]
        }
        fn subscriptions(&self, light: &LightConfig) -> Vec<String> {
            vec![format!("test/{}", light.topic), "test/bridge".into()]
        }
        fn decode(
            &self,
            _: &LightConfig,
            topic: &str,
            payload: &[u8],
        ) -> Result<Option<Report>, DecodeError> {
            let text = std::str::from_utf8(payload).unwrap_or("");
            Ok(Some(match text {
                "online" => Report::Availability(true),
                "offline" => Report::Availability(false),
                "on" | "off" => Report::State(DeviceState {
                    on: Some(text == "on"),
                    ..DeviceState::default()
                }),
                "ignored" => return Ok(None),
                other => match other.parse::<f32>() {
                    Ok(level) => Report::State(DeviceState {
                        on: Some(true),
                        level: Some(level),
                        kelvin: None,
                    }),
                    Err(_) => {
                        return Err(DecodeError {
                            topic: topic.into(),
                            reason: format!("`{other}` is not a state"),
                        });
                    }
                },
            }))
        }
    }

    fn test_driver(_: Family) -> &'static dyn Driver {
        &TestDriver
    }

    fn light(name: &str, zone: &str) -> LightConfig {
        LightConfig {
            name: name.into(),
            zone: zone.into(),
            family: Family::Zigbee2Mqtt,
            topic: name.into(),
            group: false,
            kelvin: Some((2200, 6500)),
            max_transition: Duration::from_secs(60),
            min_level: 0.05,
            curve: Curve::Linear,
            network: "zigbee".into(),
            separate_kelvin: false,
        }
    }

    #[test]
    fn a_shared_topic_reaches_every_light_on_it_and_topics_are_listed_once() {
        let lights = [light("a", "room"), light("b", "room")];
        let mut routes = Routes::new(&lights, test_driver);
        assert_eq!(routes.topics(), ["test/a", "test/b", "test/bridge"]);
        let reports = routes.decode(&lights, test_driver, Millis(0), "test/bridge", b"offline");
        assert_eq!(
            reports,
            [(0, Report::Availability(false)), (1, Report::Availability(false))]
        );
        let reports = routes.decode(&lights, test_driver, Millis(0), "test/b", b"0.25");
        assert_eq!(reports.len(), 1);
        assert_eq!(reports[0].0, 1);
    }

    #[test]
    fn malformed_and_unknown_messages_give_nothing() {
        let lights = [light("a", "room")];
        let mut routes = Routes::new(&lights, test_driver);
        for now in [0, 10, 70_000] {
            assert!(
                routes
                    .decode(&lights, test_driver, Millis(now), "test/a", b"{garbage")
                    .is_empty()
            );
        }
        assert_eq!(routes.last_malformed_log[0], Some(Millis(70_000)));
        assert!(
            routes
                .decode(&lights, test_driver, Millis(0), "elsewhere", b"on")
                .is_empty()
        );
        assert!(
            routes
                .decode(&lights, test_driver, Millis(0), "test/a", b"ignored")
                .is_empty()
        );
    }
}
