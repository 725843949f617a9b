//! Keeping the values a named request's reply gives its user
//! (`{{login.response.body.$.token}}` in the requests after it).

use super::capture::Captured;
use super::json_path::{Miss, text_of};
use super::{Journey, Part, Source, User};

impl Journey {
    /// Keep, for `user`, the values a whole reply to `task` gives. Err:
    /// the first value it lacks, in words; the reply then fails (`check`),
    /// and the user's earlier value, if any, stays.
    pub(crate) fn keep_values(
        &self,
        user: &mut User,
        task: u16,
        got: &Captured,
    ) -> Result<(), String> {
        for (id, source) in self.values.iter().enumerate() {
            let Source::Reply { task: giver, part } = source;
            if *giver != task {
                continue;
            }
            match part {
                Part::Body if got.truncated => {
                    return Err(format!(
                        "the body is longer than {} KiB, the most a reference keeps",
                        super::capture::BODY_PREFIX_MAX >> 10
                    ));
                }
                Part::Body => user.set(id as u16, &got.body),
                Part::Header(name) => match got.header_values(name).next() {
                    Some(value) => user.set(id as u16, value),
                    None => return Err(format!("no header {name} in the reply")),
                },
                Part::Json(path) => match path.lookup(got) {
                    Ok(value) => user.set(id as u16, text_of(&value).as_bytes()),
                    Err(miss) => {
                        let why = match miss {
                            Miss::Truncated => format!(
                                "the body is longer than {} KiB, the most a reference reads",
                                super::capture::BODY_PREFIX_MAX >> 10
                            ),
                            Miss::NotJson => "the body is not JSON".to_string(),
                            Miss::Missing => "no such value in the body".to_string(),
                        };
                        return Err(format!("{path}: {why}"));
                    }
                },
            }
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
        j.value_id(reply(Part::Json(JsonPath::parse("$.token").unwrap())))
            .unwrap();
        j.value_id(reply(Part::Header("x-id".into()))).unwrap();
        j.value_id(reply(Part::Body)).unwrap();
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
        let view = UserView { user: &user };
        assert_eq!(view.value(0), b"t-1");
        assert_eq!(view.value(1), b"7");
        assert_eq!(view.value(2), br#"{"token": "t-1", "n": 2}"#);
        // A later reply without the token fails and keeps the old one.
        let e = j
            .keep_values(&mut user, 0, &reply("{}", &[("x-id", "8")]))
            .unwrap_err();
        assert_eq!(e, "$.token: no such value in the body");
        assert_eq!(UserView { user: &user }.value(0), b"t-1");
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
}
