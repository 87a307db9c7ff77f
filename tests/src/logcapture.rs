//! Captures this test process's logs in the production format (JSON, level `info`), so a
//! test can assert on what ops would see — and on what must never be there.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

static LOGS: OnceLock<Captured> = OnceLock::new();

/// The capture, if this process has one (not under `E2E_LOG`).
pub fn captured() -> Option<&'static Captured> {
    LOGS.get()
}

/// Installs the capture as this process's subscriber (once) and returns it.
///
/// Every portal the harness starts calls it first (`install`), so the subscriber is in place
/// before any request or outbox invocation opens its span: a span opened under no subscriber
/// is a no-op, and a line logged inside it after the capture was installed by another test
/// would carry no request id.
pub fn capture() -> &'static Captured {
    LOGS.get_or_init(|| {
        let c = Captured::default();
        let filter = tracing_subscriber::EnvFilter::new("info");
        tracing::subscriber::set_global_default(web::runtime::json_subscriber(c.clone(), filter))
            .expect("first subscriber");
        c
    })
}

/// The capture, unless `E2E_LOG` asks for the readable test writer while debugging.
pub fn install() {
    if std::env::var_os("E2E_LOG").is_none() {
        capture();
    }
}
