//! The verdict as JUnit XML: one `<testcase>` per check, so CI systems
//! show them as tests. Each carries its measured value and limit (as
//! properties, and its sentence as output), and a `<failure>` if it failed
//! or `<skipped>` if it could not decide.

use super::verdict::{Status, Verdict};
use crate::xml::escape;

pub(crate) const SUITE: &str = "stampede check";

pub(crate) fn render(verdicts: &[Verdict]) -> String {
    let count = |s: Status| verdicts.iter().filter(|v| v.status == s).count();
    let (failures, skipped) = (count(Status::Fail), count(Status::Inconclusive));
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuite name=\"{SUITE}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n",
        verdicts.len()
    ));
    for v in verdicts {
        // The name stays the same from run to run (CI systems track a
        // test's history by it); the figure goes in properties and output.
        let name = escape(&format!("{} {}", v.name, v.limit));
        out.push_str(&format!(
            "  <testcase classname=\"{SUITE}\" name=\"{name}\">\n    <properties>\n"
        ));
        for (key, value) in [("measured", &v.measured), ("limit", &v.limit)] {
            out.push_str(&format!(
                "      <property name=\"{key}\" value=\"{}\"/>\n",
                escape(value)
            ));
        }
        out.push_str("    </properties>\n");
        match v.status {
            Status::Pass => {}
            Status::Fail => out.push_str(&format!(
                "    <failure message=\"{}\">{}</failure>\n",
                escape(&v.message),
                escape(&format!("measured {}, limit {}", v.measured, v.limit))
            )),
            // JUnit has no "undecided": skipped is what CI pages show apart
            // from both passes and failures.
            Status::Inconclusive => out.push_str(&format!(
                "    <skipped message=\"inconclusive: {}\"/>\n",
                escape(&v.message)
            )),
        }
        out.push_str(&format!(
            "    <system-out>{}</system-out>\n  </testcase>\n",
            escape(&v.message)
        ));
    }
    out.push_str("</testsuite>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(name: &str, status: Status, message: &str) -> Verdict {
        Verdict {
            name: name.into(),
            limit: "<= 5ms".into(),
            measured: "6.00ms".into(),
            status,
            message: message.into(),
        }
    }

    #[test]
    fn one_testcase_per_check_each_with_its_measured_value() {
        let xml = render(&[
            v("p99", Status::Pass, "p99 is 6.00ms, within"),
            v("p50 [POST /a?x=1&y=<2>]", Status::Fail, "p50 is \"slow\""),
        ]);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuite name=\"stampede check\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\">\n  \
             <testcase classname=\"stampede check\" name=\"p99 &lt;= 5ms\">\n    \
             <properties>\n      \
             <property name=\"measured\" value=\"6.00ms\"/>\n      \
             <property name=\"limit\" value=\"&lt;= 5ms\"/>\n    \
             </properties>\n    \
             <system-out>p99 is 6.00ms, within</system-out>\n  \
             </testcase>\n  \
             <testcase classname=\"stampede check\" name=\"p50 [POST /a?x=1&amp;y=&lt;2&gt;] &lt;= 5ms\">\n    \
             <properties>\n      \
             <property name=\"measured\" value=\"6.00ms\"/>\n      \
             <property name=\"limit\" value=\"&lt;= 5ms\"/>\n    \
             </properties>\n    \
             <failure message=\"p50 is &quot;slow&quot;\">measured 6.00ms, limit &lt;= 5ms</failure>\n    \
             <system-out>p50 is &quot;slow&quot;</system-out>\n  \
             </testcase>\n\
             </testsuite>\n"
        );
    }

    #[test]
    fn an_inconclusive_check_is_skipped() {
        let xml = render(&[v("p99 vs baseline", Status::Inconclusive, "too short")]);
        assert!(
            xml.contains("failures=\"0\" errors=\"0\" skipped=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains("<skipped message=\"inconclusive: too short\"/>"),
            "{xml}"
        );
        assert!(xml.contains("value=\"6.00ms\""), "{xml}");
    }

    #[test]
    fn an_empty_verdict_is_still_a_suite() {
        assert!(render(&[]).contains("tests=\"0\" failures=\"0\""));
    }
}
