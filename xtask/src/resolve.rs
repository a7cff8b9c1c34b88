//! Joins a service's model, its roots and its SDK crate into the list of shapes to emit.
//!
//! A member is kept only when the SDK crate has it: a field twh could deserialize but never
//! send would be silently dropped, which is the failure generated types exist to prevent.
//! What is left out is listed in the generated file's header, so it is reviewed on every
//! regeneration and shrinks when the SDK is upgraded.

use std::collections::{BTreeMap, BTreeSet};

use crate::Result;
use crate::botocore::{Kind, Member, Model, Shape};
use crate::naming;
use crate::roots::{self, ExtraShape};
use crate::sdk::{Def, SdkCrate, Ty};

pub struct Service {
    pub config: &'static roots::Service,
    pub sdk: SdkCrate,
    /// Every reachable shape, sorted by name (the facts table's order).
    pub shapes: BTreeMap<String, Shape>,
    /// Structure shape → what is emitted for it.
    pub structures: BTreeMap<String, Structure>,
    /// Structures converted to the SDK (reachable from an input root).
    pub to_sdk: BTreeSet<String>,
    /// Structures converted from the SDK (reachable from an output root).
    pub from_sdk: BTreeSet<String>,
    /// `Shape.Member` pairs of reachable structures the SDK crate lacks.
    pub left_out: Vec<String>,
    /// std type names (`Option`…) that a generated type shadows inside `types`.
    pub shadowed: BTreeSet<&'static str>,
}

impl Service {
    /// How `types` refers to std's `name`: bare, or by full path when a shape shadows it.
    pub fn std(&self, name: &'static str) -> String {
        match (self.shadowed.contains(name), name) {
            (false, _) => name.to_owned(),
            (true, "Option") => "::std::option::Option".to_owned(),
            (true, "String") => "::std::string::String".to_owned(),
            (true, "Vec") => "::std::vec::Vec".to_owned(),
            (true, _) => "::std::boxed::Box".to_owned(),
        }
    }
}

pub struct Structure {
    pub type_name: String,
    pub doc: Option<String>,
    pub fields: Vec<Field>,
    pub sdk: SdkSide,
}

pub enum SdkSide {
    /// A shape twh synthesizes: no SDK counterpart.
    None,
    /// `aws_sdk_x::types::{type_name}`.
    Type(Def),
    /// The input of operation `op` (`CreateDatabase`): `aws_sdk_x::operation::{op_snake}`.
    OperationInput { op: String, def: Def },
}

impl SdkSide {
    pub fn def(&self) -> Option<&Def> {
        match self {
            SdkSide::Type(def) | SdkSide::OperationInput { def, .. } => Some(def),
            SdkSide::None => None,
        }
    }
}

pub struct Field {
    pub member: Member,
    /// Rust field name (`r#type`).
    pub ident: String,
    /// Boxed because the member's structure contains this one (directly or not).
    pub boxed: bool,
    /// The SDK struct field's type or union variant's payload (`None` when synthesized).
    pub sdk_ty: Option<Ty>,
}

impl Service {
    pub fn resolve(
        config: &'static roots::Service,
        mut model: Model,
        sdk: SdkCrate,
    ) -> Result<Service> {
        add_synthesized(config, &mut model)?;
        let mut structures = BTreeMap::new();
        let mut left_out = Vec::new();
        let all_roots = config
            .inputs
            .iter()
            .chain(config.outputs)
            .copied()
            .chain(config.synthesized.iter().map(|s| s.name));
        let mut shapes = BTreeMap::new();
        let mut queue: Vec<String> = all_roots.map(str::to_owned).collect();
        while let Some(name) = queue.pop() {
            if shapes.contains_key(&name) {
                continue;
            }
            let shape = model.shape(&name)?.clone();
            match &shape.kind {
                Kind::Structure { members } => {
                    let structure =
                        structure(config, &model, &sdk, &name, &shape, members, &mut left_out)?;
                    queue.extend(structure.fields.iter().map(|f| f.member.shape.clone()));
                    structures.insert(name.clone(), structure);
                }
                Kind::List { member } => queue.push(member.clone()),
                Kind::Map { key, value } => queue.extend([key.clone(), value.clone()]),
                _ => {}
            }
            shapes.insert(name, shape);
        }
        let reach =
            |roots: &[&str]| reachable(&shapes, &structures, roots.iter().map(|r| (*r).to_owned()));
        let to_sdk = reach(config.inputs);
        let from_sdk = reach(config.outputs);
        box_cycles(&shapes, &mut structures);
        let shadowed = check_type_names(&structures)?;
        left_out.sort();
        Ok(Service {
            config,
            sdk,
            shapes,
            structures,
            to_sdk,
            from_sdk,
            left_out,
            shadowed,
        })
    }
}

/// Adds the service's synthesized structures and the shapes only they use to the model.
fn add_synthesized(config: &roots::Service, model: &mut Model) -> Result<()> {
    let add = |model: &mut Model, name: &str, shape: Shape| -> Result<()> {
        if model.shapes.insert(name.to_owned(), shape).is_some() {
            return Err(format!("synthesized shape `{name}` clashes with a model shape").into());
        }
        Ok(())
    };
    let bare = |doc: &str, kind: Kind| Shape {
        doc: Some(doc.to_owned()),
        kind,
        min: None,
        max: None,
        pattern: None,
    };
    for extra in config.extra_shapes {
        match extra {
            ExtraShape::Document { name, doc } => add(model, name, bare(doc, Kind::Document))?,
            ExtraShape::Map {
                name,
                key,
                value,
                doc,
            } => {
                add(
                    model,
                    name,
                    bare(
                        doc,
                        Kind::Map {
                            key: (*key).to_owned(),
                            value: (*value).to_owned(),
                        },
                    ),
                )?;
            }
        }
    }
    for synth in config.synthesized {
        let Kind::Structure { members } = &model.shape(synth.base)?.kind else {
            return Err(format!("`{}` is not a structure", synth.base).into());
        };
        let mut members = members.clone();
        for replacement in synth.replace {
            let member = members
                .iter_mut()
                .find(|m| m.name == replacement.name)
                .ok_or_else(|| format!("`{}` has no member `{}`", synth.base, replacement.name))?;
            *member = synth_member(replacement);
        }
        members.extend(synth.extra.iter().map(synth_member));
        add(
            model,
            synth.name,
            bare(synth.doc, Kind::Structure { members }),
        )?;
    }
    Ok(())
}

fn synth_member(m: &roots::SynthMember) -> Member {
    Member {
        name: m.name.to_owned(),
        shape: m.shape.to_owned(),
        doc: Some(m.doc.to_owned()),
        required: m.required,
    }
}

/// The SDK definition of a model structure: an operation's input struct or a `types` item.
fn sdk_def(model: &Model, sdk: &SdkCrate, name: &str) -> Result<SdkSide> {
    if let Some(op) = model.operation_for_input(name) {
        let input = format!("{}Input", naming::type_name(op));
        let def = sdk
            .operation_input(&naming::snake(op), &input)?
            .ok_or_else(|| {
                format!(
                    "{} {} has no operation input `{input}`",
                    sdk.package, sdk.version
                )
            })?;
        return Ok(SdkSide::OperationInput {
            op: op.to_owned(),
            def,
        });
    }
    let type_name = naming::type_name(name);
    let def = sdk
        .type_def(&type_name, &naming::snake(name))?
        .ok_or_else(|| {
            format!(
                "{} {} has no type `{type_name}` for shape `{name}`",
                sdk.package, sdk.version
            )
        })?;
    Ok(SdkSide::Type(def))
}

fn structure(
    config: &roots::Service,
    model: &Model,
    sdk: &SdkCrate,
    name: &str,
    shape: &Shape,
    members: &[Member],
    left_out: &mut Vec<String>,
) -> Result<Structure> {
    let synthesized = config.synthesized.iter().find(|s| s.name == name);
    // Members are checked against the structure's SDK definition; a synthesized structure
    // has none, so its copied members are checked against its base's, and its own pass.
    let (side, def) = match synthesized {
        Some(synth) => (
            SdkSide::None,
            sdk_def(model, sdk, synth.base)?.def().cloned(),
        ),
        None => {
            let side = sdk_def(model, sdk, name)?;
            let def = side.def().cloned();
            (side, def)
        }
    };
    let own: BTreeSet<&str> = synthesized
        .map(|s| s.replace.iter().chain(s.extra).map(|m| m.name).collect())
        .unwrap_or_default();
    let mut fields = Vec::new();
    let mut matched = BTreeSet::new();
    for member in members {
        let ident = naming::field(&member.name).map_err(|e| format!("{name}: {e}"))?;
        let mut sdk_ty = None;
        if let Some(def) = def.as_ref().filter(|_| !own.contains(member.name.as_str())) {
            let key = def.key(&member.name, &ident);
            let Some(ty) = def.get(&key) else {
                left_out.push(format!("{name}.{}", member.name));
                continue;
            };
            matched.insert(key);
            sdk_ty = Some(ty.clone());
        }
        fields.push(Field {
            member: member.clone(),
            ident,
            boxed: false,
            // Synthesized structures are never converted: they need no SDK types.
            sdk_ty: sdk_ty.filter(|_| synthesized.is_none()),
        });
    }
    // An SDK field no model member matched means the naming rule broke or the SDK is newer
    // than the models; either way the generator must not guess.
    if let Some(def) = def.as_ref().filter(|_| synthesized.is_none()) {
        let unmatched: Vec<&String> = def.keys().filter(|k| !matched.contains(*k)).collect();
        if !unmatched.is_empty() {
            return Err(format!(
                "{} {}: `{name}` has fields the model lacks: {unmatched:?} \
                 (refresh the models: `cargo xtask fetch-models`)",
                sdk.package, sdk.version
            )
            .into());
        }
    }
    // Operation inputs carry no documentation of their own in the model.
    let doc = match &side {
        SdkSide::OperationInput { op, .. } if shape.doc.is_none() => {
            Some(format!("The input of the <code>{op}</code> operation."))
        }
        _ => shape.doc.clone(),
    };
    Ok(Structure {
        type_name: naming::type_name(name),
        doc,
        fields,
        sdk: side,
    })
}

/// Structures reachable from `roots` through kept members.
fn reachable(
    shapes: &BTreeMap<String, Shape>,
    structures: &BTreeMap<String, Structure>,
    roots: impl Iterator<Item = String>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = roots.collect();
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        match shapes.get(&name).map(|s| &s.kind) {
            Some(Kind::Structure { .. }) => {
                queue.extend(
                    structures[&name]
                        .fields
                        .iter()
                        .map(|f| f.member.shape.clone()),
                );
            }
            Some(Kind::List { member }) => queue.push(member.clone()),
            Some(Kind::Map { key, value }) => queue.extend([key.clone(), value.clone()]),
            _ => {}
        }
    }
    seen.retain(|name| structures.contains_key(name));
    seen
}

/// Boxes every member whose structure leads back to its owner through structure members
/// (lists and maps already allocate), which is what makes recursive types sized.
fn box_cycles(shapes: &BTreeMap<String, Shape>, structures: &mut BTreeMap<String, Structure>) {
    let direct = |s: &Structure| -> Vec<String> {
        s.fields
            .iter()
            .filter(|f| matches!(shapes[&f.member.shape].kind, Kind::Structure { .. }))
            .map(|f| f.member.shape.clone())
            .collect()
    };
    let edges: BTreeMap<String, Vec<String>> = structures
        .iter()
        .map(|(n, s)| (n.clone(), direct(s)))
        .collect();
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut queue = vec![from.to_owned()];
        while let Some(n) = queue.pop() {
            if n == to {
                return true;
            }
            if seen.insert(n.clone()) {
                queue.extend(edges[&n].iter().cloned());
            }
        }
        false
    };
    for (name, structure) in structures.iter_mut() {
        for field in &mut structure.fields {
            if edges[name].contains(&field.member.shape) {
                field.boxed = reaches(&field.member.shape, name);
            }
        }
    }
}

/// Generated type names must be distinct. Returns the std names among them (glue has a
/// shape `Option`), which the `types` module then spells with their full paths.
fn check_type_names(structures: &BTreeMap<String, Structure>) -> Result<BTreeSet<&'static str>> {
    const STD: &[&str] = &["Option", "String", "Vec", "Box"];
    let mut seen = BTreeMap::new();
    let mut shadowed = BTreeSet::new();
    for (shape, s) in structures {
        if let Some(name) = STD.iter().find(|n| **n == s.type_name) {
            shadowed.insert(*name);
        }
        if let Some(other) = seen.insert(s.type_name.clone(), shape) {
            return Err(format!(
                "shapes `{other}` and `{shape}` both map to `{}`",
                s.type_name
            )
            .into());
        }
    }
    Ok(shadowed)
}
