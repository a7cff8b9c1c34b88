//! The dependency graph between resources: edges from references
//! (`${ref:...}`) and `depends_on`. Gives a deterministic topological order
//! and names a cycle in a stable form when there is one.

use std::collections::{BTreeMap, BTreeSet};

use crate::addr::Address;

#[derive(Debug, Default, Clone)]
pub struct Graph {
    /// node → the nodes it depends on.
    deps: BTreeMap<Address, BTreeSet<Address>>,
    /// node → the nodes depending on it (kept so `dependents` is not a scan).
    rdeps: BTreeMap<Address, BTreeSet<Address>>,
}

impl Graph {
    pub fn add_node(&mut self, a: Address) {
        self.deps.entry(a).or_default();
    }

    /// `from` depends on `to`.
    pub fn add_edge(&mut self, from: Address, to: Address) {
        self.deps.entry(to.clone()).or_default();
        self.rdeps
            .entry(to.clone())
            .or_default()
            .insert(from.clone());
        self.deps.entry(from).or_default().insert(to);
    }

    pub fn dependencies(&self, a: &Address) -> impl Iterator<Item = &Address> {
        self.deps.get(a).into_iter().flatten()
    }

    /// Every node that depends on `a`, directly or not.
    pub fn dependents(&self, a: &Address) -> BTreeSet<Address> {
        let mut out = BTreeSet::new();
        let mut todo = vec![a.clone()];
        while let Some(x) = todo.pop() {
            for n in self.rdeps.get(&x).into_iter().flatten() {
                if out.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        out
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Address> {
        self.deps.keys()
    }

    /// Dependencies first; ties broken by address so output is stable.
    /// `Err` holds one cycle, rotated to start at its smallest address.
    pub fn topo_order(&self) -> Result<Vec<Address>, Vec<Address>> {
        let mut remaining: BTreeMap<&Address, usize> =
            self.deps.iter().map(|(n, d)| (n, d.len())).collect();
        let mut dependents: BTreeMap<&Address, Vec<&Address>> = BTreeMap::new();
        for (n, ds) in &self.deps {
            for d in ds {
                dependents.entry(d).or_default().push(n);
            }
        }
        let mut ready: BTreeSet<&Address> = remaining
            .iter()
            .filter(|(_, c)| **c == 0)
            .map(|(n, _)| *n)
            .collect();
        let mut order = Vec::with_capacity(self.deps.len());
        while let Some(n) = ready.pop_first() {
            order.push(n.clone());
            for d in dependents.get(n).into_iter().flatten() {
                if let Some(c) = remaining.get_mut(d) {
                    *c -= 1;
                    if *c == 0 {
                        ready.insert(d);
                    }
                }
            }
        }
        if order.len() == self.deps.len() {
            Ok(order)
        } else {
            let done: BTreeSet<_> = order.iter().collect();
            Err(self.find_cycle(&done))
        }
    }

    fn find_cycle(&self, done: &BTreeSet<&Address>) -> Vec<Address> {
        // Every node left has a dependency that is also left, so walking
        // dependencies from any of them must revisit a node.
        let Some(start) = self.deps.keys().find(|n| !done.contains(n)) else {
            return Vec::new();
        };
        let mut path: Vec<&Address> = vec![start];
        loop {
            let cur = path[path.len() - 1];
            let Some(next) = self.deps[cur].iter().find(|d| !done.contains(d)) else {
                return Vec::new();
            };
            if let Some(i) = path.iter().position(|p| *p == next) {
                let mut cycle: Vec<Address> = path[i..].iter().map(|a| (*a).clone()).collect();
                let min = cycle
                    .iter()
                    .enumerate()
                    .min_by_key(|(_, a)| *a)
                    .map_or(0, |(i, _)| i);
                cycle.rotate_left(min);
                return cycle;
            }
            path.push(next);
        }
    }
}

/// `a → b → a`.
pub fn cycle_text(cycle: &[Address]) -> String {
    let mut parts: Vec<String> = cycle.iter().map(ToString::to_string).collect();
    if let Some(first) = parts.first().cloned() {
        parts.push(first);
    }
    parts.join(" → ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Address {
        s.parse().expect("address")
    }

    #[test]
    fn orders_dependencies_first() {
        let mut g = Graph::default();
        g.add_edge(a("glue_crawler.c"), a("glue_database.d"));
        g.add_edge(a("glue_crawler.c"), a("iam_role.r"));
        g.add_edge(a("athena_view.v"), a("glue_database.d"));
        let order = g.topo_order().expect("acyclic");
        let pos = |s| order.iter().position(|x| *x == a(s)).expect("present");
        assert!(pos("glue_database.d") < pos("glue_crawler.c"));
        assert!(pos("iam_role.r") < pos("glue_crawler.c"));
        assert_eq!(g.dependents(&a("glue_database.d")).len(), 2);
    }

    #[test]
    fn names_a_cycle_canonically() {
        let mut g = Graph::default();
        g.add_edge(a("x.c"), a("x.a"));
        g.add_edge(a("x.a"), a("x.b"));
        g.add_edge(a("x.b"), a("x.c"));
        g.add_edge(a("x.d"), a("x.a"));
        let cycle = g.topo_order().expect_err("cyclic");
        assert_eq!(cycle_text(&cycle), "x.a → x.b → x.c → x.a");
    }
}
