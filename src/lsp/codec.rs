//! The LSP base protocol read by us: `Content-Length` framing and JSON-RPC 2.0 validation.
//!
//! tower-lsp-server's own framing ends the session at the first frame it cannot decode (its
//! `FramedRead` stops after an error), so one stray byte from an editor or a wrapper script
//! took the server down. [`Framer`] cuts the raw byte stream into message bodies and reports
//! every problem instead of failing: a header block that is not one, a missing, non-numeric or
//! too large `Content-Length`, a body cut short by the next message's header, garbage between
//! frames. After a problem it resynchronises on the next `Content-Length` header. [`validate`]
//! then checks one body against JSON-RPC 2.0 and either hands back a message tower-lsp-server
//! is sure to read (re-serialised, so the inner transport never sees a malformed frame) or the
//! error response the specification asks for: -32700 (parse error, id null) or -32600
//! (invalid request, with the id when one is known).
//!
//! Pure and synchronous (the fuzz target `lsp_decoder` drives it directly); `stdio` does the
//! I/O. Problems are described without quoting the input, so no secret reaches a log.

use memchr::memmem;
use serde_json::{Map, Value, json};
use tower_lsp_server::jsonrpc::{Request, Response};

/// The largest message body accepted: above it a frame is skipped (with its error) rather than
/// buffered, so a bad `Content-Length` cannot make the server allocate gigabytes. 64 MiB holds
/// a 20 MB document sent in `didOpen`, JSON escapes included.
pub const MAX_BODY: usize = 64 << 20;

/// A body at least this long is handed over in the buffer's own allocation (`take_body`).
const BIG_BODY: usize = 1 << 20;

/// A header block longer than this is garbage, not headers (real ones are under 100 bytes).
const MAX_HEADER: usize = 4096;

const CONTENT_LENGTH: &[u8] = b"Content-Length";
const END_OF_HEADERS: &[u8] = b"\r\n\r\n";

/// What the framer found next in the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// One message body, exactly as long as its `Content-Length` said.
    Body(Vec<u8>),
    /// Something that was meant as a message but cannot be one: the client gets a parse error.
    Malformed(String),
    /// Bytes skipped while looking for the next header: logged, not answered.
    Skipped(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a header block (or of garbage).
    Header,
    /// Inside a body of this many bytes; `checked` bytes of it were searched for a new header.
    Body { length: usize, checked: usize },
    /// Looking for the next `Content-Length`, `skipped` bytes dropped so far.
    Resync { skipped: usize },
}

/// Cuts a byte stream into LSP frames. Feed it with [`Framer::push`], drain it with
/// [`Framer::next_frame`]; it never holds more than one frame (at most [`MAX_BODY`]) plus
/// what arrived after it.
pub struct Framer {
    buffer: Vec<u8>,
    start: usize,
    state: State,
}

impl Default for Framer {
    fn default() -> Self {
        Framer {
            buffer: Vec::new(),
            start: 0,
            state: State::Header,
        }
    }
}

impl Framer {
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && (self.start >= self.buffer.len() / 2 || self.start > 1 << 20) {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next frame or problem, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            let available = &self.buffer[self.start..];
            match self.state {
                State::Header => {
                    if available.is_empty() {
                        return None;
                    }
                    match header_block(available) {
                        HeaderBlock::Incomplete => return None,
                        HeaderBlock::NotHeaders => {
                            // Skip at least one byte so the same spot is not tried again.
                            self.start += 1;
                            self.state = State::Resync { skipped: 1 };
                        }
                        HeaderBlock::Complete { length, consumed } => {
                            self.start += consumed;
                            match length {
                                Ok(length) => {
                                    // Room for exactly this body: a 20 MB `didOpen` takes
                                    // 20 MB, not the 32 MB that doubling would reach.
                                    let missing =
                                        (self.start + length).saturating_sub(self.buffer.len());
                                    self.buffer.reserve_exact(missing);
                                    self.state = State::Body { length, checked: 0 };
                                }
                                Err(problem) => {
                                    self.state = State::Resync { skipped: 0 };
                                    return Some(Frame::Malformed(problem));
                                }
                            }
                        }
                    }
                }
                State::Body { length, checked } => {
                    if available.len() >= length {
                        let body = self.take_body(length);
                        self.state = State::Header;
                        if body.is_empty() {
                            return Some(Frame::Malformed(
                                "an empty message (Content-Length: 0)".to_owned(),
                            ));
                        }
                        return Some(Frame::Body(body));
                    }
                    // A body that contains a complete `Content-Length: N` header line cannot be
                    // JSON (a raw line break is not allowed inside a JSON string, and the word
                    // is not allowed outside one): the frame was shorter than it said and the
                    // next message has begun. Resume there instead of waiting forever.
                    let from = checked.saturating_sub(CONTENT_LENGTH.len() + 24);
                    if let Some(at) = interrupting_header(&available[from..]) {
                        let at = from + at;
                        self.start += at;
                        self.state = State::Header;
                        return Some(Frame::Malformed(format!(
                            "a message cut short: Content-Length said {length} bytes, a new \
                             message began after {at}"
                        )));
                    }
                    self.state = State::Body {
                        length,
                        checked: available.len(),
                    };
                    return None;
                }
                State::Resync { skipped } => match memmem::find(available, CONTENT_LENGTH) {
                    Some(at) => {
                        self.start += at;
                        self.state = State::Header;
                        if skipped + at > 0 {
                            return Some(Frame::Skipped(skipped + at));
                        }
                    }
                    None => {
                        // Keep only what could be the beginning of a `Content-Length`.
                        let keep = available.len().min(CONTENT_LENGTH.len() - 1);
                        let dropped = available.len() - keep;
                        self.start += dropped;
                        self.state = State::Resync {
                            skipped: skipped + dropped,
                        };
                        return None;
                    }
                },
            }
        }
    }

    /// Cuts the `length` bytes at `start` out of the buffer. A big body takes the buffer's
    /// allocation with it (no copy), and the buffer starts afresh with what followed: the
    /// framer does not keep a body-sized allocation for the rest of the session.
    fn take_body(&mut self, length: usize) -> Vec<u8> {
        let end = self.start + length;
        if length < BIG_BODY {
            let body = self.buffer[self.start..end].to_vec();
            self.start = end;
            return body;
        }
        let rest = self.buffer[end..].to_vec();
        let mut body = std::mem::replace(&mut self.buffer, rest);
        body.truncate(end);
        body.drain(..self.start);
        self.start = 0;
        body
    }

    /// At the end of the stream: what was left unread, if anything (for the log).
    pub fn leftover(&self) -> Option<String> {
        let left = self.buffer.len() - self.start;
        match self.state {
            State::Body { length, .. } => Some(format!(
                "the input ended inside a message ({left} of {length} bytes)"
            )),
            State::Resync { skipped } if skipped + left > 0 => Some(format!(
                "{} bytes at the end of the input were not a message",
                skipped + left
            )),
            State::Header if left > 0 => Some(format!(
                "{left} bytes at the end of the input were not a message"
            )),
            _ => None,
        }
    }
}

enum HeaderBlock {
    Incomplete,
    NotHeaders,
    Complete {
        length: Result<usize, String>,
        consumed: usize,
    },
}

/// Reads the header block at the start of `bytes`: `Name: value` lines ended by an empty line.
fn header_block(bytes: &[u8]) -> HeaderBlock {
    let window = &bytes[..bytes.len().min(MAX_HEADER)];
    let Some(end) = memmem::find(window, END_OF_HEADERS) else {
        // Whatever arrived so far must look like the start of a header line.
        let first_line = window.split(|&b| b == b'\r').next().unwrap_or_default();
        if bytes.len() >= MAX_HEADER || !could_start_header_line(first_line) {
            return HeaderBlock::NotHeaders;
        }
        return HeaderBlock::Incomplete;
    };
    let mut length = Err("a header without Content-Length".to_owned());
    let mut seen_length = false;
    for line in window[..end].split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return HeaderBlock::NotHeaders;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_token(b)) {
            return HeaderBlock::NotHeaders;
        }
        // A header named in the middle of a line: this was garbage running into a header.
        if memmem::find_iter(line, CONTENT_LENGTH).any(|at| at > 0) {
            return HeaderBlock::NotHeaders;
        }
        if name.eq_ignore_ascii_case(CONTENT_LENGTH) {
            length = if seen_length {
                Err("two Content-Length headers".to_owned())
            } else {
                content_length(value)
            };
            seen_length = true;
        }
    }
    HeaderBlock::Complete {
        length,
        consumed: end + END_OF_HEADERS.len(),
    }
}

fn content_length(value: &[u8]) -> Result<usize, String> {
    let value = value.trim_ascii();
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return Err("a Content-Length that is not a non-negative decimal number".to_owned());
    }
    // All digits: parsing fails only on overflow, which is "too large" as well.
    match std::str::from_utf8(value)
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        Some(length) if length <= MAX_BODY => Ok(length),
        _ => Err(format!(
            "a Content-Length over the {} MiB limit; the message is skipped",
            MAX_BODY >> 20
        )),
    }
}

fn could_start_header_line(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(colon) => colon > 0 && line[..colon].iter().all(|&b| is_token(b)),
        None => line.iter().all(|&b| is_token(b)),
    }
}

/// An HTTP token character (header names).
fn is_token(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte)
}

/// Where a complete `Content-Length: N` line starts inside `bytes`, if one does.
fn interrupting_header(bytes: &[u8]) -> Option<usize> {
    memmem::find_iter(bytes, CONTENT_LENGTH).find(|&at| {
        let rest = &bytes[at + CONTENT_LENGTH.len()..];
        let Some(rest) = rest.trim_ascii_start().strip_prefix(b":") else {
            return false;
        };
        let rest = rest.trim_ascii_start();
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        digits > 0 && rest[digits..].starts_with(b"\r\n")
    })
}

/// A body that passed validation, ready for tower-lsp-server.
#[derive(Debug)]
pub enum Message {
    Request(Request),
    Response(Response),
}

impl Message {
    /// The message as one frame body tower-lsp-server will decode.
    pub fn to_body(&self) -> Vec<u8> {
        let serialised = match self {
            Message::Request(request) => serde_json::to_vec(request),
            Message::Response(response) => serde_json::to_vec(response),
        };
        // Serialising these types cannot fail (string keys, no maps with other keys).
        serialised.unwrap_or_default()
    }
}

/// Why a body was rejected, and what to answer.
#[derive(Debug, PartialEq)]
pub struct Rejection {
    /// -32700 or -32600.
    pub code: i64,
    /// The id to answer with (`null` when none is known or it is not a valid id).
    pub id: Value,
    /// What was wrong, without quoting the input.
    pub reason: String,
    /// False for a malformed response from the client: responses are never answered.
    pub answer: bool,
}

impl Rejection {
    pub fn parse_error(reason: String) -> Rejection {
        Rejection {
            code: -32700,
            id: Value::Null,
            reason,
            answer: true,
        }
    }

    fn invalid(id: Value, reason: impl Into<String>) -> Rejection {
        Rejection {
            code: -32600,
            id,
            reason: reason.into(),
            answer: true,
        }
    }

    /// The error response's body.
    pub fn response_body(&self) -> Vec<u8> {
        let message = if self.code == -32700 {
            "Parse error"
        } else {
            "Invalid Request"
        };
        json!({
            "jsonrpc": "2.0",
            "id": self.id,
            "error": {"code": self.code, "message": format!("{message}: {}", self.reason)},
        })
        .to_string()
        .into_bytes()
    }
}

/// Checks one body against JSON-RPC 2.0 (and what tower-lsp-server can represent).
pub fn validate(body: &[u8]) -> Result<Message, Rejection> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        Rejection::parse_error(format!(
            "not valid JSON ({} at line {}, column {})",
            match error.classify() {
                serde_json::error::Category::Eof => "unexpected end",
                _ if std::str::from_utf8(body).is_err() => "invalid UTF-8",
                _ => "syntax error",
            },
            error.line(),
            error.column()
        ))
    })?;
    let object = match value {
        Value::Object(object) => object,
        Value::Array(_) => {
            return Err(Rejection::invalid(
                Value::Null,
                "a batch (JSON array); the Language Server Protocol sends one message per frame",
            ));
        }
        other => {
            return Err(Rejection::invalid(
                Value::Null,
                format!("{} instead of an object", kind(&other)),
            ));
        }
    };
    let id = object.get("id");
    let known_id = match id {
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => id.clone(),
        _ => Value::Null,
    };
    let is_response = !object.contains_key("method")
        && (object.contains_key("result") || object.contains_key("error"));
    let reject = |reason: String| {
        let mut rejection = Rejection::invalid(known_id.clone(), reason);
        rejection.answer = !is_response;
        rejection
    };
    if object.get("jsonrpc") != Some(&Value::String("2.0".to_owned())) {
        return Err(reject(match object.get("jsonrpc") {
            None => "no \"jsonrpc\": \"2.0\" member".to_owned(),
            Some(other) => format!("\"jsonrpc\" is {}, not \"2.0\"", kind(other)),
        }));
    }
    if let Some(id) = id {
        match id {
            Value::String(_) | Value::Null => {}
            Value::Number(number) if number.is_i64() => {}
            Value::Number(_) => {
                return Err(reject(
                    "an id that is not an integer (the Language Server Protocol uses integers \
                     or strings)"
                        .to_owned(),
                ));
            }
            other => {
                return Err(reject(format!(
                    "an id that is {} (it must be a string, an integer or null)",
                    kind(other)
                )));
            }
        }
    }
    if is_response {
        return response(object).map_err(reject);
    }
    match object.get("method") {
        Some(Value::String(_)) => {}
        Some(other) => {
            return Err(reject(format!(
                "a \"method\" that is {}, not a string",
                kind(other)
            )));
        }
        None => {
            return Err(reject(
                "neither a request (no \"method\") nor a response (no \"result\" or \"error\")"
                    .to_owned(),
            ));
        }
    }
    match object.get("params") {
        None | Some(Value::Object(_) | Value::Array(_) | Value::Null) => {}
        Some(other) => {
            return Err(reject(format!(
                "\"params\" that are {}, not an object or an array",
                kind(other)
            )));
        }
    }
    serde_json::from_value::<Request>(Value::Object(object))
        .map(Message::Request)
        .map_err(|_| reject("a request the server cannot read".to_owned()))
}

fn response(object: Map<String, Value>) -> Result<Message, String> {
    if !object.contains_key("id") {
        return Err("a response without an id".to_owned());
    }
    if object.contains_key("result") == object.contains_key("error") {
        return Err("a response with both \"result\" and \"error\"".to_owned());
    }
    serde_json::from_value::<Response>(Value::Object(object))
        .map(Message::Response)
        .map_err(|_| "a response the server cannot read (a malformed error object?)".to_owned())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<Frame> {
        let mut framer = Framer::default();
        let mut out = Vec::new();
        // Byte by byte, the hardest way the stream can arrive.
        for byte in input {
            framer.push(std::slice::from_ref(byte));
            while let Some(frame) = framer.next_frame() {
                out.push(frame);
            }
        }
        out
    }

    fn framed(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    const PING: &str = r#"{"jsonrpc":"2.0","id":9,"method":"shutdown"}"#;

    fn ends_with_ping(frames: &[Frame]) {
        assert_eq!(
            frames.last(),
            Some(&Frame::Body(PING.as_bytes().to_vec())),
            "{frames:?}"
        );
    }

    #[test]
    fn well_formed_frames_pass_whole() {
        let input = format!(
            "{}Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n{}",
            framed("{}"),
            framed(PING)
        );
        let got = frames(input.as_bytes());
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0], Frame::Body(b"{}".to_vec()));
        ends_with_ping(&got);
    }

    #[test]
    fn bad_headers_are_reported_and_the_next_frame_is_read() {
        for header in [
            "Content-Length: abc\r\n\r\n{}",
            "Content-Length: -5\r\n\r\n{}",
            "Content-Length: 99999999999999999999999\r\n\r\n{}",
            "Content-Length: 1073741824\r\n\r\n{}",
            "Content-Type: text/plain\r\n\r\n{}",
            "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
        ] {
            let got = frames(format!("{header}{}", framed(PING)).as_bytes());
            assert!(matches!(got[0], Frame::Malformed(_)), "{header}: {got:?}");
            ends_with_ping(&got);
        }
    }

    #[test]
    fn garbage_is_skipped_up_to_the_next_header() {
        let got = frames(format!("\u{1b}[2J garbage\r\n\r\n\0\u{ff}{}", framed(PING)).as_bytes());
        assert!(matches!(got[0], Frame::Skipped(n) if n > 10), "{got:?}");
        ends_with_ping(&got);
        let mut raw = b"\xff\xfe\x00binary".to_vec();
        raw.extend(framed(PING).as_bytes());
        ends_with_ping(&frames(&raw));
    }

    #[test]
    fn a_body_shorter_or_longer_than_its_length_does_not_swallow_the_next_message() {
        let short = format!("Content-Length: 5\r\n\r\n{PING}{}", framed(PING));
        let got = frames(short.as_bytes());
        assert_eq!(got[0], Frame::Body(PING.as_bytes()[..5].to_vec()));
        ends_with_ping(&got);
        let long = format!("Content-Length: 500\r\n\r\n{PING}{}", framed(PING));
        let got = frames(long.as_bytes());
        assert!(matches!(&got[0], Frame::Malformed(m) if m.contains("cut short")));
        ends_with_ping(&got);
    }

    #[test]
    fn a_body_quoting_a_header_inside_a_string_is_not_cut() {
        let body = r#"{"jsonrpc":"2.0","method":"x","params":{"text":"Content-Length: 5\r\n"}}"#;
        let got = frames(framed(body).as_bytes());
        assert_eq!(got, vec![Frame::Body(body.as_bytes().to_vec())]);
    }

    #[test]
    fn leftovers_are_described() {
        let mut framer = Framer::default();
        framer.push(b"Content-Length: 10\r\n\r\n{");
        assert_eq!(framer.next_frame(), None);
        assert!(framer.leftover().unwrap().contains("inside a message"));
    }

    fn rejected(body: &str) -> Rejection {
        validate(body.as_bytes()).expect_err(body)
    }

    #[test]
    fn json_rpc_errors_carry_the_id_when_it_is_known() {
        for (body, code, id) in [
            (r#"{"jsonrpc":"2.0","#, -32700, Value::Null),
            ("[1,2]", -32600, Value::Null),
            ("[]", -32600, Value::Null),
            (r#""hello""#, -32600, Value::Null),
            ("{}", -32600, Value::Null),
            (r#"{"id":7,"method":"initialize"}"#, -32600, json!(7)),
            (
                r#"{"jsonrpc":"1.0","id":"a","method":"x"}"#,
                -32600,
                json!("a"),
            ),
            (
                r#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#,
                -32600,
                Value::Null,
            ),
            (
                r#"{"jsonrpc":"2.0","id":[1],"method":"x"}"#,
                -32600,
                Value::Null,
            ),
            (
                r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
                -32600,
                json!(1.5),
            ),
            (r#"{"jsonrpc":"2.0","id":3,"method":5}"#, -32600, json!(3)),
            (
                r#"{"jsonrpc":"2.0","id":4,"method":"x","params":"p"}"#,
                -32600,
                json!(4),
            ),
        ] {
            let rejection = rejected(body);
            assert_eq!((rejection.code, &rejection.id), (code, &id), "{body}");
            assert!(rejection.answer);
            let response: Value = serde_json::from_slice(&rejection.response_body()).unwrap();
            assert_eq!(response["error"]["code"], code);
            assert_eq!(response["id"], id);
        }
        let utf8 = validate(b"{\"jsonrpc\":\"2.0\",\"method\":\"x\",\"params\":[\"\xff\"]}");
        assert_eq!(utf8.unwrap_err().code, -32700);
    }

    #[test]
    fn malformed_responses_are_logged_not_answered() {
        let rejection = rejected(r#"{"jsonrpc":"2.0","id":1,"result":1,"error":{}}"#);
        assert!(!rejection.answer);
        let rejection = rejected(r#"{"jsonrpc":"2.0","result":1}"#);
        assert!(!rejection.answer);
    }

    #[test]
    fn valid_messages_are_reserialised() {
        let Ok(Message::Request(request)) = validate(PING.as_bytes()) else {
            panic!("a valid request");
        };
        assert_eq!(request.method(), "shutdown");
        let body = Message::Request(request).to_body();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["id"], 9);
        let response = validate(br#"{"jsonrpc":"2.0","id":"s","result":null}"#).unwrap();
        assert!(matches!(response, Message::Response(_)));
        let notification = br#"{"jsonrpc":"2.0","method":"exit","params":null}"#;
        assert!(matches!(validate(notification), Ok(Message::Request(_))));
    }

    #[test]
    fn reasons_never_quote_the_input() {
        let secret = "hunter2-secret";
        for body in [
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":"{secret}"}}"#),
            format!(r#"{{"jsonrpc":"{secret}","id":1,"method":"x"}}"#),
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"x","params":{{"a":"{secret}"#),
        ] {
            let rejection = rejected(&body);
            assert!(!rejection.reason.contains("hunter"), "{}", rejection.reason);
        }
    }
}
