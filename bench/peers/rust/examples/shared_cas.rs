// shared-cas: a u64 little-endian counter under "bench_counter" incremented with
// compare-and-swap on every request (up to 8 attempts).
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel, Status};

struct SharedCas;

impl Context for SharedCas {}

impl HttpContext for SharedCas {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        for _ in 0..8 {
            let (value, cas) = self.get_shared_data("bench_counter");
            let current = match value {
                Some(bytes) if bytes.len() == 8 => {
                    let mut raw = [0u8; 8];
                    raw.copy_from_slice(&bytes);
                    u64::from_le_bytes(raw)
                }
                _ => 0,
            };
            let next = (current + 1).to_le_bytes();
            match self.set_shared_data("bench_counter", Some(&next), cas) {
                Err(Status::CasMismatch) => continue,
                _ => break,
            }
        }
        Action::Continue
    }
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(SharedCas) });
}}
