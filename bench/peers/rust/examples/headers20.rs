// headers20: read 20 request headers (x-bench-in-0..19), add 20 (x-bench-out-0..19),
// remove the 20 read.
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::{Action, LogLevel};

const COUNT: usize = 20;

struct Headers20 {
    in_names: Vec<String>,
    out_names: Vec<String>,
    out_values: Vec<String>,
}

impl Context for Headers20 {}

impl HttpContext for Headers20 {
    fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        let mut seen = 0;
        for name in &self.in_names {
            if self.get_http_request_header(name).is_some() {
                seen += 1;
            }
        }
        for i in 0..COUNT {
            self.add_http_request_header(&self.out_names[i], &self.out_values[i]);
        }
        for name in &self.in_names {
            self.set_http_request_header(name, None);
        }
        let _ = seen;
        Action::Continue
    }
}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> {
        Box::new(Headers20 {
            in_names: (0..COUNT).map(|i| format!("x-bench-in-{}", i)).collect(),
            out_names: (0..COUNT).map(|i| format!("x-bench-out-{}", i)).collect(),
            out_values: (0..COUNT).map(|i| format!("value-{}", i)).collect(),
        })
    });
}}
