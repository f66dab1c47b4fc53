//! Structured log lines from the rooms (the core redacts; this only prints).

use connvo_shared::log::{Level, LogLine};

pub fn emit(level: Level, msg: &str, meeting_id: &str, fields: &[(&str, String)]) {
    let mut line = LogLine::new(level, msg, "room").field("meeting_id", meeting_id);
    for (k, v) in fields {
        line = line.field(k, v.as_str());
    }
    let json = line.to_json();
    match level {
        Level::Error => worker::console_error!("{}", json),
        Level::Warn => worker::console_warn!("{}", json),
        Level::Debug | Level::Info => worker::console_log!("{}", json),
    }
}
