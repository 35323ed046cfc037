// empty: an HTTP context that overrides nothing (the per-request cost of a Wasm filter).
use proxy_wasm::traits::{Context, HttpContext};
use proxy_wasm::types::LogLevel;

struct Empty;

impl Context for Empty {}

impl HttpContext for Empty {}

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Warn);
    proxy_wasm::set_http_context(|_, _| -> Box<dyn HttpContext> { Box::new(Empty) });
}}
