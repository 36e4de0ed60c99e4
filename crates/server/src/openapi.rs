//! `GET /v1/openapi.json`: the API's schema (OpenAPI 3.1), written beside
//! the handlers it describes; a test checks that every route is in it.

use serde_json::{Value, json};

/// The document.
pub fn document() -> Value {
    let error = json!({"$ref": "#/components/schemas/Error"});
    let err = |what: &str| json!({"description": what, "content": {"application/json": {"schema": error}}});
    let json_ok =
        |what: &str, schema: Value| json!({"description": what, "content": {"application/json": {"schema": schema}}});
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "string"}});
    let path = json!({"name": "path", "in": "path", "required": true, "schema": {"type": "string"},
        "description": "an absolute path in the sandbox, without its leading /"});
    let pid = json!({"name": "pid", "in": "path", "required": true, "schema": {"type": "integer"}});
    let snapshot = json!({"name": "snapshot", "in": "path", "required": true, "schema": {"type": "string"}});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "capsa serve", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Sandboxes a program drives: commands, files, snapshots. Every /v1 call but health needs `Authorization: Bearer TOKEN`."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                    "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Size": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "examples": ["256MiB"]}]},
                "Time": {"oneOf": [{"type": "number", "minimum": 0}, {"type": "string", "examples": ["30s", "500ms"]}]},
                "Limits": {"type": "object", "additionalProperties": false, "properties": {
                    "cpu": {"$ref": "#/components/schemas/Time"}, "timeout": {"$ref": "#/components/schemas/Time"},
                    "memory": {"$ref": "#/components/schemas/Size"}, "stack": {"$ref": "#/components/schemas/Size"},
                    "max_stdout": {"$ref": "#/components/schemas/Size"}, "max_stderr": {"$ref": "#/components/schemas/Size"},
                    "disk": {"$ref": "#/components/schemas/Size"}, "inodes": {"type": "integer"},
                    "fds": {"type": "integer"}, "processes": {"type": "integer"}, "fuel": {"type": "integer"}}},
                "SandboxSpec": {"type": "object", "additionalProperties": false, "properties": {
                    "persistent": {"type": "boolean", "default": false},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                    "limits": {"$ref": "#/components/schemas/Limits"},
                    "allow_net": {"type": "array", "items": {"type": "string", "examples": ["example.org:443"]}},
                    "idle_timeout_s": {"type": "integer", "default": 600},
                    "ttl_s": {"type": "integer"},
                    "from_snapshot": {"type": "string"},
                    "mounts": {"type": "array", "items": {"type": "string"}, "description": "names of the operator's mounts, at /mnt/NAME"},
                    "root": {"type": "boolean", "default": false}}},
                "Sandbox": {"type": "object", "properties": {
                    "id": {"type": "string"}, "state": {"enum": ["running", "paused"]},
                    "persistent": {"type": "boolean"}, "created": {"type": "integer"}, "idle_s": {"type": "integer"},
                    "calls_running": {"type": "integer"},
                    "usage": {"type": ["object", "null"], "properties": {
                        "memory_bytes": {"type": "integer"}, "memory_peak_bytes": {"type": "integer"},
                        "disk_bytes": {"type": "integer"}, "disk_names": {"type": "integer"}, "cpu_ms": {"type": "integer"}}},
                    "spec": {"$ref": "#/components/schemas/SandboxSpec"}}},
                "ExecRequest": {"type": "object", "additionalProperties": false, "required": ["command"], "properties": {
                    "command": {"type": "string"}, "stdin": {"type": "string"}, "stdin_b64": {"type": "string"},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                    "cwd": {"type": "string"}, "timeout_s": {"type": "number"}}},
                "ExecResult": {"type": "object", "properties": {
                    "exit_code": {"type": "integer"}, "stdout": {"type": "string"}, "stdout_b64": {"type": "string"},
                    "stderr": {"type": "string"}, "stderr_b64": {"type": "string"},
                    "duration_ms": {"type": "integer"}, "cpu_ms": {"type": "integer"},
                    "killed": {"type": ["string", "null"]}, "truncated": {"type": "boolean"}}},
                "Process": {"type": "object", "properties": {
                    "pid": {"type": "integer"}, "command": {"type": "string"}, "started": {"type": "integer"},
                    "running": {"type": "boolean"}, "exit": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/ExecResult"}]}}},
                "Snapshot": {"type": "object", "properties": {
                    "id": {"type": "string"}, "sandbox": {"type": "string"}, "created": {"type": "integer"},
                    "bytes": {"type": "integer"}, "tenant": {"type": "string"}}},
                "Listing": {"type": "object", "properties": {"entries": {"type": "array", "items": {"type": "object", "properties": {
                    "name": {"type": "string"}, "type": {"enum": ["file", "dir", "symlink", "other"]},
                    "size": {"type": "integer"}, "mode": {"type": "string"}, "mtime": {"type": "integer"}}}}}}
            }
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/health": {"get": {"security": [], "responses": {"200": json_ok("up", json!({"type": "object"}))}}},
            "/metrics": {"get": {"security": [], "responses": {"200": {"description": "Prometheus text"}}}},
            "/v1/openapi.json": {"get": {"security": [], "responses": {"200": {"description": "this document"}}}},
            "/v1/sandboxes": {
                "post": {"requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/SandboxSpec"}}}},
                         "responses": {"201": json_ok("created", json!({"$ref": "#/components/schemas/Sandbox"})),
                                       "400": err("bad spec"), "401": err("no or wrong token"),
                                       "404": err("no such snapshot"), "429": err("over a quota or the queue is full")}},
                "get": {"responses": {"200": json_ok("the tenant's sandboxes", json!({"type": "object",
                        "properties": {"sandboxes": {"type": "array", "items": {"$ref": "#/components/schemas/Sandbox"}}}}))}}},
            "/v1/sandboxes/{id}": {"parameters": [id],
                "get": {"responses": {"200": json_ok("the sandbox", json!({"$ref": "#/components/schemas/Sandbox"})), "404": err("not the tenant's")}},
                "delete": {"responses": {"204": {"description": "deleted"}, "404": err("not the tenant's")}}},
            "/v1/sandboxes/{id}/exec": {"parameters": [id],
                "post": {"description": "A shell command line. With `Accept: text/event-stream`: SSE events `stdout` and `stderr` ({\"data\"} or {\"data_b64\"}) as written, then `exit` (ExecResult without the output) or `error`.",
                         "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExecRequest"}}}},
                         "responses": {"200": json_ok("how it ended", json!({"$ref": "#/components/schemas/ExecResult"})),
                                       "400": err("bad request"), "404": err("no such sandbox"), "429": err("busy")}}},
            "/v1/sandboxes/{id}/files/{path}": {"parameters": [id, path],
                "get": {"responses": {"200": {"description": "a file's bytes (application/octet-stream), or a directory's Listing (application/json)"},
                                      "404": err("no such file"), "413": err("larger than the body cap")}},
                "put": {"requestBody": {"content": {"application/octet-stream": {}}},
                        "responses": {"201": json_ok("written, parents made", json!({"type": "object"})),
                                      "403": err("permission denied"), "507": err("over the sandbox's disk")}},
                "delete": {"responses": {"204": {"description": "removed (a directory with its contents)"}, "404": err("no such file")}}},
            "/v1/sandboxes/{id}/snapshots": {"parameters": [id],
                "post": {"responses": {"201": json_ok("taken", json!({"$ref": "#/components/schemas/Snapshot"}))}},
                "get": {"responses": {"200": json_ok("the sandbox's snapshots", json!({"type": "object",
                        "properties": {"snapshots": {"type": "array", "items": {"$ref": "#/components/schemas/Snapshot"}}}}))}}},
            "/v1/snapshots": {
                "get": {"responses": {"200": json_ok("the tenant's snapshots", json!({"type": "object",
                        "properties": {"snapshots": {"type": "array", "items": {"$ref": "#/components/schemas/Snapshot"}}}}))}}},
            "/v1/snapshots/{snapshot}": {"parameters": [snapshot],
                "get": {"responses": {"200": json_ok("the snapshot", json!({"$ref": "#/components/schemas/Snapshot"})), "404": err("not the tenant's")}},
                "delete": {"responses": {"204": {"description": "deleted"}, "404": err("not the tenant's")}}},
            "/v1/sandboxes/{id}/processes": {"parameters": [id],
                "post": {"description": "Starts a background process (an exec's body, without stdin).",
                         "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ExecRequest"}}}},
                         "responses": {"201": json_ok("started", json!({"type": "object", "properties": {"pid": {"type": "integer"}}})),
                                       "429": err("16 are running")}},
                "get": {"responses": {"200": json_ok("its processes", json!({"type": "object",
                        "properties": {"processes": {"type": "array", "items": {"$ref": "#/components/schemas/Process"}}}}))}}},
            "/v1/sandboxes/{id}/processes/{pid}": {"parameters": [id, pid],
                "get": {"responses": {"200": json_ok("the process", json!({"$ref": "#/components/schemas/Process"})), "404": err("no such process")}}},
            "/v1/sandboxes/{id}/processes/{pid}/events": {"parameters": [id, pid],
                "get": {"description": "SSE: `stdout`, `stderr` ({\"data\"} or {\"data_b64\"}) and `exit`, replayed from the start, then live.",
                        "responses": {"200": {"description": "text/event-stream"}}}},
            "/v1/sandboxes/{id}/processes/{pid}/stdin": {"parameters": [id, pid, {"name": "eof", "in": "query", "schema": {"type": "integer"}}],
                "post": {"requestBody": {"content": {"application/octet-stream": {}}},
                         "responses": {"204": {"description": "queued (and closed with eof=1)"}, "409": err("stdin is closed"), "429": err("stdin is full")}}},
            "/v1/sandboxes/{id}/processes/{pid}/kill": {"parameters": [id, pid, {"name": "signal", "in": "query", "schema": {"type": "integer", "default": 9}}],
                "post": {"responses": {"202": {"description": "signalled, with what it started"}}}},
            "/v1/sandboxes/{id}/python": {"parameters": [id],
                "post": {"description": "Runs a cell in the sandbox's persistent Python interpreter (started on first use; variables and imports persist). The result is a final expression's repr; error is {name, value, traceback}; a cell past timeout_s (default 60) has the interpreter stopped and the next call starts a fresh one (interpreter.fresh).",
                         "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}, "timeout_s": {"type": "number"}}}}}},
                         "responses": {"200": json_ok("the cell's outcome", json!({"type": "object", "properties": {"stdout": {"type": "string"}, "stderr": {"type": "string"}, "result": {"type": ["string", "null"]}, "error": {"type": ["object", "null"]}, "interpreter": {"type": "object"}}})),
                                       "409": err("the Python lane is not installed"), "429": err("the sandbox runs too many processes")}}},
            "/v1/sandboxes/{id}/shell": {"parameters": [id], "get": {
                "description": "Upgrades to a WebSocket running the interactive shell. Client frames (JSON text): {type: line, data}, {type: stdin, data|data_b64}, {type: eof}, {type: interrupt}. Server frames: {type: ready, cwd, user, home}, {type: stdout|stderr, data|data_b64}, {type: done, exit_code, cwd, killed}, {type: more}, {type: exit, exit_code}, {type: error, code, message}.",
                "responses": {"101": {"description": "switching to the WebSocket protocol"}, "404": err("no such sandbox")}}},
            "/v1/sandboxes/{id}/archive": {"parameters": [id, {"name": "path", "in": "query", "required": true, "schema": {"type": "string"}}],
                "get": {"responses": {"200": {"description": "a tar of the file or directory (application/x-tar)"}, "404": err("no such path"), "413": err("larger than the body cap")}},
                "put": {"description": "Unpacks a tar or .tar.gz into the directory, made if missing. Checked whole first: absolute names, `..`, links leading out, writes through symlinks, devices and archives larger than the sandbox's free disk are refused (400) and nothing is written.",
                        "requestBody": {"content": {"application/x-tar": {}, "application/gzip": {}}},
                        "responses": {"200": json_ok("unpacked", json!({"type": "object", "properties": {"entries": {"type": "integer"}, "bytes": {"type": "integer"}}})),
                                      "400": err("the archive was refused")}}}
        }
    })
}
