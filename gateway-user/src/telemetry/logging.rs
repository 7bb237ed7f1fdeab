//! The daemon's own logs: JSON lines on stderr (stdout is the default access log).
//!
//! Each line is `{"time":…,"level":…,"msg":…,<fields>…,"target":…}` so operators can
//! grep for `"msg":"config applied"` and feed the lines to the same pipeline as the
//! access log. The level comes from `GATEWAY_LOG` (or `RUST_LOG`), default `info`.
use std::{fmt, time::SystemTime};

use serde_json::Value;
use tracing::{
    Event, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{
    EnvFilter,
    fmt::{FmtContext, FormatEvent, FormatFields, format::Writer},
    registry::LookupSpan,
};

use super::time::rfc3339_millis;

/// Installs the JSON logger as the global subscriber; a no-op if one is already set.
pub fn init() {
    let filter = std::env::var("GATEWAY_LOG")
        .ok()
        .or_else(|| std::env::var("RUST_LOG").ok())
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(JsonLines)
        .try_init();
}

/// Formats events as one flat JSON object per line.
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writer.write_str(&render(event))?;
        writer.write_char('\n')
    }
}

/// Renders an event as a JSON object with `time`, `level` and `msg` first.
fn render(event: &Event<'_>) -> String {
    let meta = event.metadata();
    let mut fields = Fields::default();
    event.record(&mut fields);
    let mut out = String::with_capacity(256);
    out.push('{');
    push_pair(
        &mut out,
        "time",
        &Value::from(rfc3339_millis(SystemTime::now())),
    );
    out.push(',');
    push_pair(
        &mut out,
        "level",
        &Value::from(meta.level().as_str().to_ascii_lowercase()),
    );
    out.push(',');
    push_pair(
        &mut out,
        "msg",
        &Value::from(fields.message.unwrap_or_default()),
    );
    for (key, value) in &fields.rest {
        out.push(',');
        push_pair(&mut out, key, value);
    }
    out.push(',');
    push_pair(&mut out, "target", &Value::from(meta.target()));
    out.push('}');
    out
}

fn push_pair(out: &mut String, key: &str, value: &Value) {
    out.push_str(&Value::from(key).to_string());
    out.push(':');
    out.push_str(&value.to_string());
}

#[derive(Default)]
struct Fields {
    message: Option<String>,
    rest: Vec<(&'static str, Value)>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        } else {
            self.rest.push((field.name(), value));
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::from(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buf {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(data);
            }
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn events_are_flat_json_with_a_msg_key() {
        let buf = Buf::default();
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .event_format(JsonLines)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                digest = "abc",
                source = "sighup",
                n = 3u64,
                "config applied"
            );
        });
        let text = String::from_utf8(buf.0.lock().map(|b| b.clone()).unwrap_or_default())
            .unwrap_or_default();
        let v: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(v["msg"], "config applied");
        assert_eq!(v["level"], "info");
        assert_eq!(v["digest"], "abc");
        assert_eq!(v["source"], "sighup");
        assert_eq!(v["n"], 3);
        assert!(text.starts_with("{\"time\":"));
    }
}
