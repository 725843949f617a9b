pub fn render(_report: &super::Report, _title: &str) -> String {
    String::new()
}
