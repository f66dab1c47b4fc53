//! Writes the core's structured log lines to the console, where workerd (and
//! `wrangler tail` in production) picks them up. Redaction happens in the core.

use connvo_shared::log::{Level, LogLine};

pub fn emit(line: &LogLine, level: Level) {
    let json = line.to_json();
    match level {
        Level::Error => worker::console_error!("{}", json),
        Level::Warn => worker::console_warn!("{}", json),
        Level::Debug | Level::Info => worker::console_log!("{}", json),
    }
}
