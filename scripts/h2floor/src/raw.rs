//! A hand-written HTTP/2 server for unary gRPC, as lean as one can be:
//! one task a connection, one read buffer, every frame of a read parsed
//! in place, every answer of a read written with one `write_all`. It
//! speaks what an HTTP/2 client needs from a unary gRPC server (the
//! preface, SETTINGS and their ACKs, PING, WINDOW_UPDATE, HEADERS with
//! HPACK, DATA, RST_STREAM, GOAWAY), and no more: no CONTINUATION, no
//! limits, no timeouts. A prototype to price what a unary-only server
//! would save against hyper's, not a server to run: what the agent would
//! need on top (limits, CONTINUATION, the trust work of
//! `docs/security.md`) costs little per request, so this bounds the gain.

use std::collections::HashMap;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA: u8 = 0;
const HEADERS: u8 = 1;
const RST_STREAM: u8 = 3;
const SETTINGS: u8 = 4;
const PING: u8 = 6;
const GOAWAY: u8 = 7;
const WINDOW_UPDATE: u8 = 8;
const END_STREAM: u8 = 1;
const ACK: u8 = 1;
const END_HEADERS: u8 = 4;
const PADDED: u8 = 8;
const PRIORITY: u8 = 0x20;

/// The window this server gives each stream and the connection: a 25 KB
/// request never waits for one, and the connection's is topped up once
/// half is used.
const WINDOW: u32 = 1 << 20;

fn frame_header(out: &mut Vec<u8>, len: usize, kind: u8, flags: u8, stream: u32) {
    out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    out.extend_from_slice(&[kind, flags]);
    out.extend_from_slice(&stream.to_be_bytes());
}

/// The answer to a unary call: `:status 200` (static table entry 8),
/// `content-type: application/grpc` (name from the static table, entry
/// 31, value literal, not indexed), an empty message, then trailers
/// `grpc-status: 0` (literal name and value, not indexed).
fn answer(out: &mut Vec<u8>, stream: u32) {
    const HEAD: &[u8] = b"\x88\x0f\x10\x10application/grpc";
    const TRAILERS: &[u8] = b"\x00\x0bgrpc-status\x010";
    frame_header(out, HEAD.len(), HEADERS, END_HEADERS, stream);
    out.extend_from_slice(HEAD);
    frame_header(out, 5, DATA, 0, stream);
    out.extend_from_slice(&[0; 5]);
    frame_header(out, TRAILERS.len(), HEADERS, END_HEADERS | END_STREAM, stream);
    out.extend_from_slice(TRAILERS);
}

/// A frame's payload without its padding; `None` (the connection is
/// dropped) when the padding claims more than is there.
fn unpadded(payload: &[u8], flags: u8) -> Option<&[u8]> {
    if flags & PADDED == 0 {
        return Some(payload);
    }
    let (&pad, rest) = payload.split_first()?;
    rest.get(..rest.len().checked_sub(usize::from(pad))?)
}

/// Serves one connection; `decode_headers: false` leaves header blocks
/// undecoded (unsafe for a real server, whose HPACK table would go out of
/// step: it prices the framing and the system calls alone).
pub async fn serve(mut socket: TcpStream, decode_headers: bool) -> std::io::Result<()> {
    let mut buf = BytesMut::with_capacity(512 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(4096);
    // Our SETTINGS: MAX_FRAME_SIZE 256 KiB, INITIAL_WINDOW_SIZE 1 MiB;
    // and the connection's window raised to 1 MiB.
    let mut settings = Vec::new();
    settings.extend_from_slice(&[0, 5]);
    settings.extend_from_slice(&(256u32 * 1024).to_be_bytes());
    settings.extend_from_slice(&[0, 4]);
    settings.extend_from_slice(&WINDOW.to_be_bytes());
    frame_header(&mut out, settings.len(), SETTINGS, 0, 0);
    out.extend_from_slice(&settings);
    frame_header(&mut out, 4, WINDOW_UPDATE, 0, 0);
    out.extend_from_slice(&(WINDOW - 65_535).to_be_bytes());
    socket.write_all(&out).await?;
    out.clear();

    let mut decoder = hpack::Decoder::new();
    // Streams whose request has not ended: what of the body came so far.
    let mut bodies: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut consumed = 0u32;
    let mut preface = false;
    let mut start = 0;
    loop {
        if start > 0 {
            buf.advance(start);
            start = 0;
        }
        if buf.capacity() - buf.len() < 64 * 1024 {
            buf.reserve(256 * 1024);
        }
        let n = socket.read_buf(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        if !preface {
            if buf.len() < PREFACE.len() {
                continue;
            }
            if &buf[..PREFACE.len()] != PREFACE {
                return Ok(());
            }
            preface = true;
            start = PREFACE.len();
        }
        while let Some(head) = buf.get(start..start + 9) {
            let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
            let (kind, flags) = (head[3], head[4]);
            let stream = u32::from_be_bytes([head[5], head[6], head[7], head[8]]) & 0x7fff_ffff;
            let Some(payload) = buf.get(start + 9..start + 9 + len) else { break };
            match kind {
                SETTINGS if flags & ACK == 0 => frame_header(&mut out, 0, SETTINGS, ACK, 0),
                PING if flags & ACK == 0 => {
                    frame_header(&mut out, 8, PING, ACK, 0);
                    out.extend_from_slice(payload);
                }
                HEADERS => {
                    let Some(mut block) = unpadded(payload, flags) else { return Ok(()) };
                    if flags & PRIORITY != 0 {
                        let Some(rest) = block.get(5..) else { return Ok(()) };
                        block = rest;
                    }
                    // Decoded for the dynamic table's sake, and for the
                    // path, as a server must.
                    let mut path_len = block.len();
                    if decode_headers {
                        let decoded = decoder.decode_with_cb(block, |name, value| {
                            if &name[..] == b":path" {
                                path_len = value.len();
                            }
                        });
                        if decoded.is_err() {
                            return Ok(());
                        }
                    }
                    std::hint::black_box(path_len);
                    if flags & END_STREAM != 0 {
                        answer(&mut out, stream);
                    } else {
                        bodies.insert(stream, Vec::new());
                    }
                }
                DATA => {
                    consumed += len as u32;
                    let Some(data) = unpadded(payload, flags) else { return Ok(()) };
                    if flags & END_STREAM != 0 {
                        match bodies.remove(&stream) {
                            // The whole message in one frame: read where it lies.
                            Some(body) if body.is_empty() => std::hint::black_box(data.len()),
                            Some(mut body) => {
                                body.extend_from_slice(data);
                                std::hint::black_box(body.len())
                            }
                            None => 0,
                        };
                        answer(&mut out, stream);
                    } else if let Some(body) = bodies.get_mut(&stream) {
                        body.extend_from_slice(data);
                    }
                }
                RST_STREAM => {
                    bodies.remove(&stream);
                }
                GOAWAY => return Ok(()),
                _ => {}
            }
            start += 9 + len;
        }
        if consumed >= WINDOW / 2 {
            frame_header(&mut out, 4, WINDOW_UPDATE, 0, 0);
            out.extend_from_slice(&consumed.to_be_bytes());
            consumed = 0;
        }
        if !out.is_empty() {
            socket.write_all(&out).await?;
            out.clear();
        }
    }
}
