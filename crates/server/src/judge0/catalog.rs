//! What this Judge0 is: its languages (Judge0's ids for our lanes), its
//! statuses, and its configuration with the defaults and maxima of every
//! limit (`/about`, `/config_info`, `/languages`, `/statuses`).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::VERSION;
use crate::oneshot;
use crate::{App, Caller};

/// Judge0's language ids for our lanes: (id, name, lane, source file).
pub(super) const LANGUAGES: &[(u32, &str, &str, &str)] = &[
    (46, "Bash (capsa sh)", oneshot::SHELL, "script.sh"),
    (50, "C (Clang 22.0.0)", "c", "main.c"),
    (52, "C++ (Clang 22.0.0)", "cpp", "main.cpp"),
    (54, "C++ (Clang 22.0.0)", "cpp", "main.cpp"),
    (60, "Go (yaegi 0.14.3, Go 1.21)", "go", "main.go"),
    (63, "JavaScript (QuickJS-ng 0.16.2)", "javascript", "script.js"),
    (64, "Lua (5.4.9)", "lua", "script.lua"),
    (71, "Python (3.15.0)", "python", "script.py"),
    (74, "TypeScript (6.0.3)", "typescript", "script.ts"),
];

/// Judge0's statuses.
pub(super) const STATUSES: &[(u8, &str)] = &[
    (1, "In Queue"),
    (2, "Processing"),
    (3, "Accepted"),
    (4, "Wrong Answer"),
    (5, "Time Limit Exceeded"),
    (6, "Compilation Error"),
    (7, "Runtime Error (SIGSEGV)"),
    (8, "Runtime Error (SIGXFSZ)"),
    (9, "Runtime Error (SIGFPE)"),
    (10, "Runtime Error (SIGABRT)"),
    (11, "Runtime Error (NZEC)"),
    (12, "Runtime Error (Other)"),
    (13, "Internal Error"),
    (14, "Exec Format Error"),
];

/// Defaults and maxima, as `/config_info` shows them.
pub(super) const CPU_TIME_LIMIT: f64 = 5.0;
pub(super) const MAX_CPU_TIME_LIMIT: f64 = 15.0;
pub(super) const WALL_TIME_LIMIT: f64 = 10.0;
pub(super) const MAX_WALL_TIME_LIMIT: f64 = 20.0;
pub(super) const MEMORY_LIMIT_KB: u64 = 256_000;
pub(super) const MAX_MEMORY_LIMIT_KB: u64 = 1_024_000;
pub(super) const STACK_LIMIT_KB: u64 = 64_000;
pub(super) const MAX_STACK_LIMIT_KB: u64 = 128_000;
pub(super) const MAX_PROCESSES: usize = 60;
pub(super) const MAX_MAX_PROCESSES: usize = 120;
pub(super) const MAX_FILE_SIZE_KB: u64 = 1024;
pub(super) const MAX_MAX_FILE_SIZE_KB: u64 = 4096;
pub(super) const MAX_BATCH: usize = 20;

pub(crate) async fn about(_caller: Caller) -> Json<Value> {
    Json(json!({
        "version": VERSION,
        "homepage": "https://judge0.com",
        "source_code": "capsa (a Judge0 CE-compatible API)",
        "maintainer": "capsa",
    }))
}

pub(crate) async fn config_info(State(app): State<Arc<App>>, _caller: Caller) -> Json<Value> {
    Json(json!({
        "maintenance_mode": false,
        "enable_wait_result": true,
        "enable_compiler_options": false,
        "allowed_languages_for_compile_options": [],
        "enable_command_line_arguments": true,
        "enable_submission_delete": false,
        "enable_callbacks": !app.judge0.callback_hosts.is_empty(),
        "callbacks_max_tries": 3,
        "callbacks_timeout": 5.0,
        "enable_additional_files": false,
        "max_queue_size": app.max_queued,
        "cpu_time_limit": CPU_TIME_LIMIT,
        "max_cpu_time_limit": MAX_CPU_TIME_LIMIT,
        "cpu_extra_time": 0.0,
        "max_cpu_extra_time": 0.0,
        "wall_time_limit": WALL_TIME_LIMIT,
        "max_wall_time_limit": MAX_WALL_TIME_LIMIT,
        "memory_limit": MEMORY_LIMIT_KB,
        "max_memory_limit": MAX_MEMORY_LIMIT_KB,
        "stack_limit": STACK_LIMIT_KB,
        "max_stack_limit": MAX_STACK_LIMIT_KB,
        "max_processes_and_or_threads": MAX_PROCESSES,
        "max_max_processes_and_or_threads": MAX_MAX_PROCESSES,
        "enable_per_process_and_thread_time_limit": false,
        "allow_enable_per_process_and_thread_time_limit": false,
        "enable_per_process_and_thread_memory_limit": false,
        "allow_enable_per_process_and_thread_memory_limit": false,
        "max_file_size": MAX_FILE_SIZE_KB,
        "max_max_file_size": MAX_MAX_FILE_SIZE_KB,
        "number_of_runs": 1,
        "max_number_of_runs": 1,
        "redirect_stderr_to_stdout": false,
        "max_extract_size": 0,
        "enable_batched_submissions": true,
        "max_submission_batch_size": MAX_BATCH,
        "submission_cache_duration": app.judge0.retention.as_secs_f64(),
        "use_docs_as_homepage": false,
        "enable_network": false,
        "allow_enable_network": false,
    }))
}

pub(crate) async fn languages(_caller: Caller) -> Json<Value> {
    let list: Vec<Value> = LANGUAGES.iter().map(|(id, name, ..)| json!({"id": id, "name": name})).collect();
    Json(json!(list))
}

pub(crate) async fn language(_caller: Caller, Path(id): Path<u32>) -> Response {
    match LANGUAGES.iter().find(|l| l.0 == id) {
        Some((id, name, _, source_file)) => Json(json!({
            "id": id, "name": name, "is_archived": false, "source_file": source_file,
            "compile_cmd": null, "run_cmd": null,
        }))
        .into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "language not found"}))).into_response(),
    }
}

pub(crate) async fn statuses(_caller: Caller) -> Json<Value> {
    Json(json!(STATUSES.iter().map(|(id, d)| json!({"id": id, "description": d})).collect::<Vec<_>>()))
}
