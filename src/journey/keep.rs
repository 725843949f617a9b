//! Keeping the values a named request's reply gives its user
//! (`{{login.response.body.$.token}}` in the requests after it).

use serde_json::Value;

use super::capture::{BODY_PREFIX_MAX, Captured};
use super::json_path::{self, Miss, text_of};
use super::{Journey, Part, Source, User};

impl Journey {
    /// Keep, for `user`, the values a whole reply to `task` gives: all of
    /// them, or none. Err: the first value it lacks, in words; the reply
    /// then fails (`check`), and the user's earlier values stay.
    pub(crate) fn keep_values(
        &self,
        user: &mut User,
        task: u16,
        got: &Captured,
    ) -> Result<(), String> {
        // The body is parsed once, for all the paths into it.
        let mut json: Option<Result<Value, Miss>> = None;
        let mut kept = Vec::new();
        for (id, source) in self.values.iter().enumerate() {
            let Source::Reply { task: giver, part } = source else {
                continue; // a data file's column: no reply gives it
            };
            if *giver != task {
                continue;
            }
            let value = match part {
                Part::Body if got.truncated => {
                    return Err(format!(
                        "the body is longer than {} KiB, the most a reference keeps",
                        BODY_PREFIX_MAX >> 10
                    ));
                }
                Part::Body => got.body.clone(),
                Part::Header(name) => match got.header_values(name).next() {
                    Some(value) => value.to_vec(),
                    None => return Err(format!("no header {name} in the reply")),
                },
                Part::Json(path) => {
                    let body = json.get_or_insert_with(|| json_path::body(got));
                    match body
                        .as_ref()
                        .map_err(|&miss| miss)
                        .and_then(|v| path.find(v))
                    {
                        Ok(value) => text_of(value).into_bytes(),
                        Err(miss) => {
                            let why = match miss {
                                Miss::Truncated => format!(
                                    "the body is longer than {} KiB, the most a reference reads",
                                    BODY_PREFIX_MAX >> 10
                                ),
                                Miss::NotJson => "the body is not JSON".to_string(),
                                Miss::Missing => "no such value in the body".to_string(),
                            };
                            return Err(format!("{path}: {why}"));
                        }
                    }
                }
            };
            if self.in_head(id as u16) && value.iter().any(|&b| b == b'\r' || b == b'\n') {
                return Err(format!(
                    "{part}: the value holds a line break, which cannot go in a request head"
                ));
            }
            kept.push((id as u16, value));
        }
        for (id, value) in kept {
            user.set(id, &value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::UserView;
    use crate::journey::json_path::JsonPath;

    fn journey() -> Journey {
        let mut j = Journey::default();
        let reply = |part| Source::Reply { task: 0, part };
        for part in [
            Part::Json(JsonPath::parse("$.token").unwrap()),
            Part::Header("x-id".into()),
            Part::Body,
        ] {
            j.value_id(reply(part)).unwrap();
        }
        j.note_read(1, 0);
        j.note_read(1, 1);
        j
    }

    fn reply(body: &str, headers: &[(&str, &str)]) -> Captured {
        Captured {
            status: 200,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: body.as_bytes().to_vec(),
            truncated: false,
        }
    }

    #[test]
    fn a_reply_gives_its_values_and_the_reader_waits_for_them() {
        let j = journey();
        let mut user = User::new(&j);
        assert_eq!(j.first_needed(&user, 1), Some(0), "login first");
        assert_eq!(j.first_needed(&user, 0), None);
        let got = reply(r#"{"token": "t-1", "n": 2}"#, &[("x-id", "7")]);
        j.keep_values(&mut user, 0, &got).unwrap();
        assert_eq!(j.first_needed(&user, 1), None);
        let view = UserView::of(&user, &j);
        assert_eq!(view.value(0), b"t-1");
        assert_eq!(view.value(1), b"7");
        assert_eq!(view.value(2), br#"{"token": "t-1", "n": 2}"#);
        // A later reply without the token fails and keeps the old one.
        let e = j
            .keep_values(&mut user, 0, &reply("{}", &[("x-id", "8")]))
            .unwrap_err();
        assert_eq!(e, "$.token: no such value in the body");
        assert_eq!(UserView::of(&user, &j).value(0), b"t-1");
        user.reset();
        assert_eq!(j.first_needed(&user, 1), Some(0), "a new user starts bare");
    }

    #[test]
    fn a_reply_that_lacks_a_value_says_which() {
        let j = journey();
        let mut user = User::new(&j);
        for (got, says) in [
            (
                reply("not json", &[("x-id", "1")]),
                "$.token: the body is not JSON",
            ),
            (reply(r#"{"token": 1}"#, &[]), "no header x-id in the reply"),
        ] {
            assert_eq!(j.keep_values(&mut user, 0, &got).unwrap_err(), says);
        }
        let mut cut = reply(r#"{"token": "t"}"#, &[("x-id", "1")]);
        cut.truncated = true;
        let e = j.keep_values(&mut user, 0, &cut).unwrap_err();
        assert!(e.contains("longer than 64 KiB"), "{e}");
        // A task that gives nothing keeps nothing.
        j.keep_values(&mut user, 1, &reply("", &[])).unwrap();
    }

    #[test]
    fn a_value_for_a_request_head_cannot_hold_a_line_break() {
        // Sent in a head, "t\r\n\r\nGET /x" would end it and start a
        // second request, whose reply the connection would then take for
        // the next request's (another user's, with --pipeline).
        let mut j = journey();
        j.note_in_head(0);
        let mut user = User::new(&j);
        let got = reply("{\"token\": \"t\\r\\n\\r\\nGET /x\"}", &[("x-id", "1")]);
        let e = j.keep_values(&mut user, 0, &got).unwrap_err();
        assert_eq!(
            e,
            "$.token: the value holds a line break, which cannot go in a request head"
        );
        assert!(!user.has(0) && !user.has(1), "nothing of the reply is kept");
        // In a body only, it goes as it is; so does the whole body.
        let j = journey();
        j.keep_values(&mut user, 0, &got).unwrap();
        assert_eq!(UserView::of(&user, &j).value(0), b"t\r\n\r\nGET /x");
    }

    #[test]
    fn a_reply_gives_all_its_values_or_none() {
        let j = journey();
        let mut user = User::new(&j);
        let first = reply(r#"{"token": "t-1"}"#, &[("x-id", "1")]);
        j.keep_values(&mut user, 0, &first).unwrap();
        // The token is there, the header is not: the user keeps the first
        // reply's values together, not a new token with an old id.
        let second = reply(r#"{"token": "t-2"}"#, &[]);
        j.keep_values(&mut user, 0, &second).unwrap_err();
        let view = UserView::of(&user, &j);
        assert_eq!((view.value(0), view.value(1)), (&b"t-1"[..], &b"1"[..]));
    }
}
