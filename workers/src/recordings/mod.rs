//! Recordings and transcript files (docs/recordings.md): starting and
//! stopping a meeting's recording and transcription through Stream, the
//! recordings of a meeting and one recording with its signed download URLs,
//! the file route those URLs point at, the size of a new file (`size`),
//! and the transcript as a file. Each
//! handler is load → plan (`connvo_shared::recordings`) → execute → respond.

mod control;
mod export;
mod files;
mod size;

pub use control::{auto_start, start, stop};
pub use export::transcript;
/// The signed-URL secret, for the other modules that issue file URLs (privacy exports).
pub(crate) use files::secret as file_url_secret;
pub use files::{file, get, list};
pub use size::probe as probe_size;
