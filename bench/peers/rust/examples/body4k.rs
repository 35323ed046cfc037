// body4k: the whole request body read once and replaced with as many bytes. The headers go
// on at once; Envoy buffers the body while on_http_request_body returns Pause.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

struct Body4k;

impl Context for Body4k {}

impl HttpContext for Body4k {
    fn on_http_request_body(&mut self, body_size: usize, end_of_stream: bool) -> Action {
        if !end_of_stream {
            return Action::Pause;
        }
        if let Some(body) = self.get_http_request_body(0, body_size) {
            let replacement = vec![b'b'; body.len()];
            self.set_http_request_body(0, body_size, &replacement);
        }
        Action::Continue
    }
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Body4k) });
}}
