//! Which task a request runs: drawn by weight for every request, or, with
//! `--sequence`, each user going through the tasks in file order.

use crate::plan::Task;
use crate::rng::Rng;

pub(super) struct TaskPicker {
    /// Running totals of the weights, one per task.
    cumulative: Vec<u64>,
    sequence: bool,
}

impl TaskPicker {
    pub(super) fn new(tasks: &[Task], sequence: bool) -> TaskPicker {
        let cumulative = tasks
            .iter()
            .scan(0u64, |sum, t| {
                *sum += u64::from(t.weight.max(1));
                Some(*sum)
            })
            .collect();
        TaskPicker {
            cumulative,
            sequence,
        }
    }

    /// The task for a user's next request, after `last` (None for a user's
    /// first request since it started).
    pub(super) fn pick(&self, rng: &mut Rng, last: Option<u16>) -> u16 {
        let count = self.cumulative.len();
        if count <= 1 {
            return 0;
        }
        if self.sequence {
            return last.map_or(0, |t| ((t as usize + 1) % count) as u16);
        }
        let total = self.cumulative[count - 1];
        let draw = rng.between(0, total - 1);
        self.cumulative.partition_point(|&c| c <= draw) as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::RequestSpec;

    fn tasks(weights: &[u32]) -> Vec<Task> {
        weights
            .iter()
            .map(|&weight| Task {
                name: format!("w{weight}"),
                request: RequestSpec {
                    method: "GET".into(),
                    authority: "h".into(),
                    target: "/".into(),
                    headers: Vec::new(),
                    body: Vec::new(),
                    values: Vec::new(),
                    capture: None,
                },
                weight,
                expect: Default::default(),
            })
            .collect()
    }

    #[test]
    fn weights_set_the_odds() {
        let picker = TaskPicker::new(&tasks(&[3, 1]), false);
        let mut rng = Rng::new(9);
        let mut counts = [0u32; 2];
        for _ in 0..40_000 {
            counts[picker.pick(&mut rng, None) as usize] += 1;
        }
        // 30000 expected for the first; the standard deviation is about 87.
        assert!((29_500..=30_500).contains(&counts[0]), "{counts:?}");
    }

    #[test]
    fn sequence_goes_in_order_and_wraps() {
        let picker = TaskPicker::new(&tasks(&[5, 1, 1]), true);
        let mut rng = Rng::new(1);
        let mut last = None;
        let order: Vec<u16> = (0..7)
            .map(|_| {
                let t = picker.pick(&mut rng, last);
                last = Some(t);
                t
            })
            .collect();
        assert_eq!(order, vec![0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn one_task_is_always_task_zero() {
        let picker = TaskPicker::new(&tasks(&[7]), false);
        assert_eq!(picker.pick(&mut Rng::new(3), Some(0)), 0);
    }
}
