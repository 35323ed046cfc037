// properties5: five Envoy attributes read per request.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

const PATHS: [[&str; 2]; 5] = [
    ["request", "path"],
    ["request", "method"],
    ["request", "host"],
    ["request", "protocol"],
    ["source", "address"],
];

struct Properties5;

impl Context for Properties5 {}

impl HttpContext for Properties5 {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let mut bytes = 0;
        for path in PATHS.iter() {
            if let Some(value) = self.get_property(path.to_vec()) {
                bytes += value.len();
            }
        }
        let _ = bytes;
        Action::Continue
    }
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Properties5) });
}}
