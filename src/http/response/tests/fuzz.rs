//! Random and mutated input, fed in random splits: the parser always
//! terminates, and agrees with itself however the bytes are cut.

use super::*;

/// xorshift64: enough randomness for a deterministic fuzz test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Feeds `input` in pieces cut at `cuts`, starting a new response after each
/// one completes, until an error or EOF. Returns each response's outcome.
fn drive_pipelined(p: &mut ResponseParser, input: &[u8], cuts: &[usize]) -> Vec<Outcome> {
    let mut out = Vec::new();
    p.start(false);
    let mut at = 0;
    let mut resp_start = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(input.len()));
    for end in ends {
        let mut piece = &input[at..end];
        loop {
            match p.feed(piece) {
                Ok(Step::NeedMore) => {
                    assert_eq!(p.bytes(), (end - resp_start) as u64);
                    break;
                }
                Ok(Step::Done { response, consumed }) => {
                    assert!(consumed <= piece.len());
                    let done_at = end - piece.len() + consumed;
                    assert_eq!(response.bytes, (done_at - resp_start) as u64);
                    out.push(Outcome::Done(response, done_at));
                    resp_start = done_at;
                    piece = &piece[consumed..];
                    p.start(false);
                    if piece.is_empty() {
                        break;
                    }
                }
                Err(_) => {
                    out.push(Outcome::Err);
                    return out;
                }
            }
        }
        at = end;
    }
    out.push(match p.finish_on_eof() {
        Ok(r) => Outcome::Eof(r),
        Err(_) => Outcome::EofErr,
    });
    out
}

/// Errors may surface in `feed` or only at EOF depending on the split.
fn failed(o: &Outcome) -> bool {
    matches!(o, Outcome::Err | Outcome::EofErr)
}

#[test]
fn fuzz_random_and_mutated_inputs() {
    let seeds: [&[u8]; 8] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhi",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil close",
        b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\nx\n0\n\n",
    ];
    let alphabet = b"\r\n\r\n0123456789abcdefABCDEF;:, \t=\"HTTP/1.chunked-Length";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut p = ResponseParser::new();
    let mut q = ResponseParser::new();
    for iter in 0..20_000 {
        let mut input: Vec<u8> = if iter % 10 == 0 {
            (0..rng.below(64)).map(|_| rng.next() as u8).collect()
        } else {
            seeds[rng.below(seeds.len())].to_vec()
        };
        for _ in 0..=rng.below(4) {
            let len = input.len();
            match rng.below(6) {
                0 if len > 0 => {
                    let i = rng.below(len);
                    input[i] = rng.next() as u8;
                }
                1 => {
                    let i = rng.below(len + 1);
                    let b = alphabet[rng.below(alphabet.len())];
                    input.insert(i, b);
                }
                2 if len > 0 => {
                    input.remove(rng.below(len));
                }
                3 => input.truncate(rng.below(len + 1)),
                4 if len > 0 => {
                    let a = rng.below(len);
                    let b = a + rng.below(len - a);
                    let seg = input[a..b].to_vec();
                    let at = rng.below(len + 1);
                    input.splice(at..at, seg);
                }
                _ => {
                    let i = rng.below(len + 1);
                    input.insert(i, alphabet[rng.below(alphabet.len())]);
                }
            }
        }

        let whole = drive_pipelined(&mut p, &input, &[]);
        let mut cuts: Vec<usize> = (0..rng.below(6))
            .map(|_| rng.below(input.len() + 1))
            .collect();
        cuts.sort_unstable();
        let split = drive_pipelined(&mut q, &input, &cuts);
        let bytewise: Vec<usize> = if iter % 8 == 0 {
            (1..input.len()).collect()
        } else {
            Vec::new()
        };
        let byte = drive_pipelined(&mut q, &input, &bytewise);
        for other in [&split, &byte] {
            assert_eq!(whole.len(), other.len(), "input {input:?}");
            for (a, b) in whole.iter().zip(other.iter()) {
                assert!(a == b || (failed(a) && failed(b)), "input {input:?}");
            }
        }
    }
}
