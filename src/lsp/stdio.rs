//! The server's stdin and stdout: our [`codec`](super::codec) in front of tower-lsp-server.
//!
//! tower-lsp-server's transport still runs the session (concurrency, `$/cancelRequest`, the
//! server-to-client requests), but over two in-memory pipes: [`read_input`] frames and
//! validates what the editor sends and writes only well-formed frames into the transport's
//! input; [`write_output`] copies the transport's frames to stdout, interleaved whole with the
//! error responses for what was rejected. A bad message is answered (when JSON-RPC says so),
//! logged and skipped; only the end of stdin and `exit` end the session.
//!
//! It also makes the server tolerant of clients that send `initialized`, `didOpen`, … before
//! they read the `initialize` response: tower-lsp-server drops notifications that arrive while
//! `initialize` is still running, so such a session never analysed anything. Those messages
//! are held here until the response has gone out (responses to the server's own requests pass,
//! so `initialize` can still ask the client something).

use super::codec::{Frame, Framer, Message, Rejection, validate};
use super::log::{Level, Logger};
use serde_json::Value;
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream};
use tokio::sync::{mpsc, oneshot, watch};
use tower::Service;
use tower_lsp_server::jsonrpc::{Request, Response};
use tower_lsp_server::{Client, ClientSocket, Server};

/// Capacity of each in-memory pipe; a bigger frame just passes in several writes.
const PIPE: usize = 1 << 16;

/// Error responses for the writer, each with a signal back once it is written.
type Answers = mpsc::UnboundedSender<(Vec<u8>, oneshot::Sender<()>)>;

/// Where the `initialize` exchange is.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    NotYet,
    /// Sent to the server with this id; its response has not gone out yet.
    Waiting(Value),
    Answered,
}

/// Where transport problems are reported: the server log and, when there is a client, its
/// window/logMessage.
pub(super) struct Log {
    pub(super) logger: Arc<Logger>,
    pub(super) client: Option<Client>,
}

impl Log {
    async fn warn(&self, message: String) {
        match &self.client {
            Some(client) => self.logger.log(client, Level::Warning, message).await,
            None => self.logger.log_to_file(Level::Warning, &message),
        }
    }
}

/// Serves `service` on `input` and `output` until the input ends or `exit` arrives and every
/// response has been written.
pub(super) async fn serve<S, I, O>(service: S, socket: ClientSocket, input: I, output: O, log: Log)
where
    S: Service<Request, Response = Option<Response>> + Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send,
    I: AsyncRead + Unpin,
    O: AsyncWrite + Unpin,
{
    let (to_server, server_input) = tokio::io::duplex(PIPE);
    let (server_output, from_server) = tokio::io::duplex(PIPE);
    let (answers, answered) = mpsc::unbounded_channel();
    let phase = Arc::new(watch::Sender::new(Phase::NotYet));
    let server = Server::new(server_input, server_output, socket).serve(service);
    let reader = read_input(input, to_server, answers, phase.clone(), log);
    let writer = write_output(from_server, answered, output, phase);
    tokio::join!(server, reader, writer);
}

/// Reads the editor's bytes, passes valid messages to the transport and answers the rest.
/// Returns (closing the transport's input) at the end of the input or after `exit`.
async fn read_input<I: AsyncRead + Unpin>(
    mut input: I,
    mut to_server: DuplexStream,
    answers: Answers,
    phase: Arc<watch::Sender<Phase>>,
    log: Log,
) {
    let mut framer = Framer::default();
    let mut chunk = vec![0u8; PIPE];
    let mut held: VecDeque<Vec<u8>> = VecDeque::new();
    let mut answered = phase.subscribe();
    let mut number = 0u64;
    loop {
        let read = if held.is_empty() {
            input.read(&mut chunk).await
        } else {
            tokio::select! {
                read = input.read(&mut chunk) => read,
                _ = answered.wait_for(|phase| *phase == Phase::Answered) => {
                    while let Some(body) = held.pop_front() {
                        if write_frame(&mut to_server, &body).await.is_err() {
                            return;
                        }
                    }
                    continue;
                }
            }
        };
        let read = match read {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) => {
                log.warn(format!("cannot read stdin ({error}); ending the session"))
                    .await;
                break;
            }
        };
        framer.push(&chunk[..read]);
        while let Some(frame) = framer.next_frame() {
            let body = match frame {
                Frame::Body(body) => body,
                Frame::Skipped(bytes) => {
                    log.warn(format!(
                        "skipped {bytes} bytes of input that were not a message (looking for \
                         the next Content-Length header)"
                    ))
                    .await;
                    continue;
                }
                Frame::Malformed(reason) => {
                    number += 1;
                    reject(&log, &answers, number, Rejection::parse_error(reason)).await;
                    continue;
                }
            };
            number += 1;
            let message = match validate(&body) {
                Ok(message) => message,
                Err(rejection) => {
                    reject(&log, &answers, number, rejection).await;
                    continue;
                }
            };
            let (method, id) = match &message {
                Message::Request(request) => (Some(request.method().to_owned()), request.id()),
                Message::Response(_) => (None, None),
            };
            let body = message.to_body();
            let waiting = matches!(*phase.borrow(), Phase::Waiting(_));
            if waiting && method.is_some() {
                if held.is_empty() {
                    log.warn(
                        "the client sent messages before it read the initialize response (the \
                         protocol says to wait); they are held until the response has gone out"
                            .to_owned(),
                    )
                    .await;
                }
                held.push_back(body);
                continue;
            }
            let first = *phase.borrow() == Phase::NotYet;
            if method.as_deref() == Some("initialize")
                && let Some(id) = id
                && first
            {
                let id = serde_json::to_value(id).unwrap_or_default();
                phase.send_replace(Phase::Waiting(id));
            }
            if write_frame(&mut to_server, &body).await.is_err() {
                return;
            }
            if method.as_deref() == Some("exit") {
                return;
            }
        }
    }
    if let Some(leftover) = framer.leftover() {
        log.warn(leftover).await;
    }
    // The editor went away: what it sent last still gets handled.
    for body in held {
        if write_frame(&mut to_server, &body).await.is_err() {
            return;
        }
    }
}

async fn reject(log: &Log, answers: &Answers, number: u64, rejection: Rejection) {
    let what = if rejection.code == -32700 {
        "parse error"
    } else {
        "invalid request"
    };
    let answer = if rejection.answer {
        " (answered with an error)"
    } else {
        ""
    };
    log.warn(format!(
        "message {number} from the client skipped, {what}: {}{answer}",
        rejection.reason
    ))
    .await;
    if rejection.answer {
        // Wait until the answer is out, so it precedes the responses to later requests.
        let (written, was_written) = oneshot::channel();
        if answers.send((rejection.response_body(), written)).is_ok() {
            let _ = was_written.await;
        }
    }
}

/// Copies the transport's frames to `output`, with the error responses in between.
async fn write_output<O: AsyncWrite + Unpin>(
    mut from_server: DuplexStream,
    mut answers: mpsc::UnboundedReceiver<(Vec<u8>, oneshot::Sender<()>)>,
    mut output: O,
    phase: Arc<watch::Sender<Phase>>,
) {
    let mut framer = Framer::default();
    let mut chunk = vec![0u8; PIPE];
    let (mut server_open, mut answers_open) = (true, true);
    loop {
        tokio::select! {
            read = from_server.read(&mut chunk), if server_open => {
                match read {
                    Ok(0) | Err(_) => server_open = false,
                    Ok(read) => framer.push(&chunk[..read]),
                }
                while let Some(frame) = framer.next_frame() {
                    // The transport writes nothing but whole frames.
                    let Frame::Body(body) = frame else { continue };
                    if write_frame(&mut output, &body).await.is_err() {
                        return;
                    }
                    note_initialize_response(&phase, &body);
                }
            }
            answer = answers.recv(), if answers_open => match answer {
                Some((body, written)) => {
                    if write_frame(&mut output, &body).await.is_err() {
                        return;
                    }
                    let _ = written.send(());
                }
                None => answers_open = false,
            },
            else => return,
        }
    }
}

/// Opens the gate for held messages once the `initialize` response is out.
fn note_initialize_response(phase: &watch::Sender<Phase>, body: &[u8]) {
    let id = match &*phase.borrow() {
        Phase::Waiting(id) => id.clone(),
        _ => return,
    };
    if let Ok(message) = serde_json::from_slice::<Value>(body)
        && message.get("method").is_none()
        && message.get("id") == Some(&id)
    {
        phase.send_replace(Phase::Answered);
    }
}

async fn write_frame<W: AsyncWrite + Unpin>(writer: &mut W, body: &[u8]) -> std::io::Result<()> {
    writer
        .write_all(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await?;
    writer.write_all(body).await?;
    writer.flush().await
}
