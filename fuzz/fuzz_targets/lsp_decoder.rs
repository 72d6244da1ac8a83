//! The language server's input codec: framing and JSON-RPC validation on any byte stream,
//! delivered in chunks whose sizes the input also chooses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use neon_lsp::lsp::codec::{self, Frame, Framer};

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut framer = Framer::default();
    for piece in stream.chunks(chunk) {
        framer.push(piece);
        while let Some(frame) = framer.next_frame() {
            match frame {
                Frame::Body(body) => {
                    assert!(body.len() <= codec::MAX_BODY);
                    match codec::validate(&body) {
                        Ok(message) => {
                            // What is passed on must itself be valid.
                            assert!(codec::validate(&message.to_body()).is_ok());
                        }
                        Err(rejection) => {
                            let _ = rejection.response_body();
                        }
                    }
                }
                Frame::Malformed(_) | Frame::Skipped(_) => {}
            }
        }
    }
    let _ = framer.leftover();
});
