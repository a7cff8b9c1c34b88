//! The facts about AWS input shapes that validation needs (members, required,
//! enums, limits), as static data emitted by the generator (`cargo xtask codegen`)
//! from the AWS service models. Hand-written: only these type definitions.

/// One shape of an AWS service model (botocore `service-2.json` naming).
#[derive(Debug)]
pub struct Shape {
    pub name: &'static str,
    pub kind: ShapeKind,
}

/// A structure member: its JSON name and the shape it refers to.
#[derive(Debug)]
pub struct Member {
    pub name: &'static str,
    pub shape: &'static str,
    pub required: bool,
}

#[derive(Debug)]
pub enum ShapeKind {
    Structure {
        members: &'static [Member],
    },
    List {
        member: &'static str,
        min: Option<i64>,
        max: Option<i64>,
    },
    Map {
        key: &'static str,
        value: &'static str,
        min: Option<i64>,
        max: Option<i64>,
    },
    String {
        /// Empty when the string is not an enum.
        enum_values: &'static [&'static str],
        min: Option<i64>,
        max: Option<i64>,
        pattern: Option<&'static str>,
    },
    /// integer and long.
    Integer {
        min: Option<i64>,
        max: Option<i64>,
    },
    /// float and double.
    Float {
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean,
    /// Accepted as an RFC 3339 string or epoch seconds.
    Timestamp,
    /// Base64 text.
    Blob,
    /// Any JSON.
    Document,
}

/// Every shape of one service that twh uses, sorted by name.
#[derive(Debug)]
pub struct ServiceShapes {
    pub service: &'static str,
    pub shapes: &'static [Shape],
}

impl ServiceShapes {
    pub fn get(&self, name: &str) -> Option<&'static Shape> {
        self.shapes
            .binary_search_by(|s| s.name.cmp(name))
            .ok()
            .map(|i| &self.shapes[i])
    }
}
