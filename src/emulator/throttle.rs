//! The emulator throttling like a gateway: a token bucket that admits `rate` APIG requests per
//! second with a burst of `burst`, and answers the others 429 `APIGW.0308` (with a `Retry-After`
//! when set) — what a real gateway's per-tenant or per-API flow control does.

use serde_json::{Value, json};
use std::time::Instant;

/// APIG's code for a request over the throttling threshold.
pub const THROTTLED_CODE: &str = "APIGW.0308";

/// The throttle's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Throttle {
    /// Requests admitted per second (more than 0).
    pub rate: f64,
    /// How many may come at once after a quiet spell (at least 1).
    pub burst: f64,
    /// The `Retry-After` of a throttled answer (seconds), if any.
    pub retry_after: Option<u32>,
}

impl Throttle {
    /// `RATE[/BURST][:RETRY_AFTER]`, as `apig-emulator --throttle` takes it: `50/10`, `50/10:1`,
    /// `50` (a burst of one second's worth).
    pub fn parse(text: &str) -> Result<Throttle, String> {
        let (numbers, retry_after) = match text.split_once(':') {
            Some((numbers, retry_after)) => {
                let seconds = retry_after
                    .parse::<u32>()
                    .map_err(|_| format!("retry-after {retry_after:?} is not whole seconds"))?;
                (numbers, Some(seconds))
            }
            None => (text, None),
        };
        let (rate, burst) = match numbers.split_once('/') {
            Some((rate, burst)) => (rate, Some(burst)),
            None => (numbers, None),
        };
        let number = |what: &str, text: &str| -> Result<f64, String> {
            text.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n > 0.0)
                .ok_or(format!("{what} {text:?} is not a number above 0"))
        };
        let rate = number("rate", rate)?;
        let burst = match burst {
            Some(burst) => number("burst", burst)?,
            None => rate.max(1.0),
        };
        Throttle::new(rate, burst, retry_after)
    }

    /// The settings, checked.
    pub fn new(rate: f64, burst: f64, retry_after: Option<u32>) -> Result<Throttle, String> {
        if !(rate.is_finite() && rate > 0.0 && rate <= 1e6) {
            return Err("rate must be above 0 and at most 1000000 requests per second".into());
        }
        if !(burst.is_finite() && (1.0..=1e6).contains(&burst)) {
            return Err("burst must be 1 to 1000000 requests".into());
        }
        Ok(Throttle { rate, burst, retry_after })
    }

    /// From the control API's JSON: `{"rate": 50, "burst": 10, "retry_after": 1}`.
    pub fn from_json(value: &Value) -> Result<Throttle, String> {
        let rate = value.get("rate").and_then(Value::as_f64).ok_or("rate (a number) is required")?;
        let burst = match value.get("burst") {
            None | Some(Value::Null) => rate.max(1.0),
            Some(v) => v.as_f64().ok_or("burst must be a number")?,
        };
        let retry_after = match value.get("retry_after") {
            None | Some(Value::Null) => None,
            Some(v) => Some(v.as_u64().and_then(|s| u32::try_from(s).ok()).ok_or("retry_after must be whole seconds")?),
        };
        Throttle::new(rate, burst, retry_after)
    }

    /// The control API's JSON form.
    pub fn to_json(&self) -> Value {
        json!({"rate": self.rate, "burst": self.burst, "retry_after": self.retry_after})
    }
}

/// The throttle at work: its settings and its bucket.
pub(super) struct Bucket {
    pub throttle: Throttle,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    /// A full bucket.
    pub fn new(throttle: Throttle) -> Bucket {
        Bucket { tokens: throttle.burst, last: Instant::now(), throttle }
    }

    /// Whether a request arriving now is admitted (it takes a token).
    pub fn admit(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.throttle.rate;
        self.tokens = (self.tokens + refill).min(self.throttle.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_form() {
        assert_eq!(Throttle::parse("50/10:1").unwrap(), Throttle { rate: 50.0, burst: 10.0, retry_after: Some(1) });
        assert_eq!(Throttle::parse("50/10").unwrap().retry_after, None);
        assert_eq!(Throttle::parse("0.5").unwrap().burst, 1.0);
        for bad in ["", "x", "0/1", "50/0", "50/10:x", "-1", "inf", "50/10:-1"] {
            assert!(Throttle::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_bucket_admits_its_burst_then_its_rate() {
        let mut bucket = Bucket::new(Throttle::new(1.0, 3.0, None).unwrap());
        let admitted = (0..10).filter(|_| bucket.admit()).count();
        assert_eq!(admitted, 3, "the burst, then nothing within the same instant");
    }
}
