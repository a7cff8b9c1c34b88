//! What the AWS SDK crate in `Cargo.lock` actually offers, read from its source.
//!
//! The botocore model says what AWS accepts; the SDK crate twh compiles against may be
//! older or newer, and some facts only the SDK knows: whether a required member is an
//! `Option` in the Rust struct, which fields are boxed, whether a builder's `build()` can
//! fail, and which structures are Rust enums (unions). Reading the crate's generated source
//! (stable, machine-written text) gives those facts exactly, so the emitted conversions
//! compile by construction, and an SDK upgrade without a regeneration makes the freshness
//! test fail instead of a build break somewhere else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::Result;

/// One SDK crate's source directory, as resolved by `Cargo.lock`.
#[derive(Debug)]
pub struct SdkCrate {
    pub package: String,
    pub version: String,
    dir: PathBuf,
}

/// A Rust type as written in the SDK's struct fields and enum variants.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    Option(Box<Ty>),
    Vec(Box<Ty>),
    HashMap(Box<Ty>, Box<Ty>),
    Box(Box<Ty>),
    String,
    I32,
    I64,
    F32,
    F64,
    Bool,
    DateTime,
    Blob,
    Document,
    /// `crate::types::Name`: a structure, union or string enum.
    Named(String),
}

/// A type definition in the SDK: a struct with a builder, or a union as a Rust enum.
#[derive(Debug, Clone)]
pub enum Def {
    Struct {
        /// Field name (with `r#` for keywords) → type.
        fields: BTreeMap<String, Ty>,
        /// `build()` returns `Result<_, BuildError>` (the struct has required members).
        fallible_build: bool,
    },
    Union {
        /// Variant name → payload type.
        variants: BTreeMap<String, Ty>,
    },
}

impl Def {
    /// The SDK's name for model member `member` (Rust field name `ident`): the field itself
    /// in a struct, the upper-camel-case variant in a union.
    pub fn key(&self, member: &str, ident: &str) -> String {
        match self {
            Def::Struct { .. } => ident.to_owned(),
            Def::Union { .. } => crate::naming::type_name(member),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Ty> {
        match self {
            Def::Struct { fields, .. } => fields.get(key),
            Def::Union { variants } => variants.get(key),
        }
    }

    /// Every field or variant name.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        match self {
            Def::Struct { fields, .. } => fields.keys(),
            Def::Union { variants } => variants.keys(),
        }
    }
}

impl SdkCrate {
    /// Finds `package`'s version in `Cargo.lock` and its unpacked source under
    /// `$CARGO_HOME/registry/src/` (present whenever the workspace has been built or fetched).
    pub fn locate(repo: &Path, package: &str) -> Result<SdkCrate> {
        let lock = std::fs::read_to_string(repo.join("Cargo.lock"))
            .map_err(|e| format!("Cargo.lock: {e}"))?;
        let versions: Vec<&str> = lock
            .split("[[package]]")
            .filter(|block| block.contains(&format!("\nname = \"{package}\"\n")))
            .filter_map(|block| block.lines().find_map(|l| l.strip_prefix("version = \"")))
            .filter_map(|v| v.strip_suffix('"'))
            .collect();
        let [version] = versions[..] else {
            return Err(format!(
                "Cargo.lock has {} versions of {package}, expected one",
                versions.len()
            )
            .into());
        };
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
            .ok_or("neither CARGO_HOME nor HOME is set")?;
        let registries = cargo_home.join("registry").join("src");
        let mut candidates: Vec<PathBuf> = std::fs::read_dir(&registries)
            .map_err(|e| format!("{}: {e}", registries.display()))?
            .filter_map(|entry| {
                entry
                    .ok()
                    .map(|e| e.path().join(format!("{package}-{version}")))
            })
            .filter(|dir| dir.join("src").is_dir())
            .collect();
        candidates.sort();
        let dir = candidates.into_iter().next().ok_or_else(|| {
            format!(
                "the source of {package} {version} is not under {}; run `cargo fetch`",
                registries.display()
            )
        })?;
        Ok(SdkCrate {
            package: package.to_owned(),
            version: version.to_owned(),
            dir,
        })
    }

    /// The Rust path of the crate (`aws_sdk_glue`).
    pub fn krate(&self) -> String {
        self.package.replace('-', "_")
    }

    /// `crate::types::{name}`, defined in `src/types/_{file_stem}.rs`; `None` if the crate
    /// has no such type (the model is newer than the SDK).
    pub fn type_def(&self, name: &str, file_stem: &str) -> Result<Option<Def>> {
        let path = self.dir.join("src/types").join(format!("_{file_stem}.rs"));
        if !path.exists() {
            return Ok(None);
        }
        parse_def(&path, name)
    }

    /// The input struct of operation `op_snake` (`create_database` → `CreateDatabaseInput`).
    pub fn operation_input(&self, op_snake: &str, input_name: &str) -> Result<Option<Def>> {
        let path = self
            .dir
            .join("src/operation")
            .join(op_snake)
            .join(format!("_{op_snake}_input.rs"));
        if !path.exists() {
            return Ok(None);
        }
        parse_def(&path, input_name)
    }
}

fn parse_def(path: &Path, name: &str) -> Result<Option<Def>> {
    let source = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let err = |what: String| format!("{}: {what}", path.display());
    if let Some(body) = block(&source, &format!("pub struct {name} {{")) {
        let mut fields = BTreeMap::new();
        let mut lines = body.lines();
        while let Some(line) = lines.next() {
            // `    pub field_name: Type,`, or with the type on the next line when long.
            let Some(rest) = line.strip_prefix("    pub ") else {
                continue;
            };
            let (field, ty) = match rest.split_once(':') {
                Some((field, "")) => (field, lines.next().unwrap_or_default().trim()),
                Some((field, ty)) => (field, ty.trim()),
                None => return Err(err(format!("odd field line `{line}`")).into()),
            };
            let ty = ty.strip_suffix(',').unwrap_or(ty);
            fields.insert(
                field.to_owned(),
                parse_ty(ty).map_err(|e| err(format!("{name}.{field}: {e}")))?,
            );
        }
        let builder = block(&source, &format!("impl {name}Builder {{")).unwrap_or_default();
        let build = builder
            .split("pub fn build(")
            .nth(1)
            .ok_or_else(|| err(format!("no `{name}Builder::build`")))?;
        let returns = build
            .split_once("->")
            .map(|(_, r)| r.trim_start())
            .unwrap_or_default();
        let fallible_build = returns.starts_with("::std::result::Result<");
        return Ok(Some(Def::Struct {
            fields,
            fallible_build,
        }));
    }
    if let Some(body) = block(&source, &format!("pub enum {name} {{")) {
        let mut variants = BTreeMap::new();
        for line in body.lines() {
            // `    VariantName(crate::types::Payload),`; skips docs, attributes and `Unknown,`.
            let Some(rest) = line.strip_prefix("    ").and_then(|l| l.strip_suffix("),")) else {
                continue;
            };
            let Some((variant, ty)) = rest.split_once('(') else {
                continue;
            };
            if variant.chars().all(|c| c.is_ascii_alphanumeric()) {
                variants.insert(
                    variant.to_owned(),
                    parse_ty(ty).map_err(|e| err(format!("{name}::{variant}: {e}")))?,
                );
            }
        }
        return Ok(Some(Def::Union { variants }));
    }
    Ok(None)
}

/// The text after the line `opening` up to the next line that is exactly `}`.
fn block<'a>(source: &'a str, opening: &str) -> Option<&'a str> {
    let start = source.find(&format!("\n{opening}\n"))? + opening.len() + 2;
    let rest = &source[start..];
    Some(&rest[..rest.find("\n}\n").map_or(rest.len(), |end| end + 1)])
}

fn parse_ty(text: &str) -> Result<Ty> {
    let (ty, rest) = parse_ty_prefix(text.trim())?;
    if !rest.trim().is_empty() {
        return Err(format!("trailing `{rest}` in type `{text}`").into());
    }
    Ok(ty)
}

/// Parses one type from the start of `text`, returning it and the unparsed rest.
fn parse_ty_prefix(text: &str) -> Result<(Ty, &str)> {
    let end = text.find(['<', ',', '>']).unwrap_or(text.len());
    let (path, mut rest) = (text[..end].trim(), &text[end..]);
    let mut args = Vec::new();
    if let Some(after) = rest.strip_prefix('<') {
        rest = after;
        loop {
            let (arg, after) = parse_ty_prefix(rest.trim_start())?;
            args.push(arg);
            rest = after.trim_start();
            if let Some(after) = rest.strip_prefix(',') {
                rest = after;
            } else if let Some(after) = rest.strip_prefix('>') {
                rest = after;
                break;
            } else {
                return Err(format!("unbalanced generics in `{text}`").into());
            }
        }
    }
    let one = |args: &mut Vec<Ty>| -> Result<Box<Ty>> {
        match args.len() {
            1 => Ok(Box::new(args.remove(0))),
            n => Err(format!("`{path}` with {n} type arguments").into()),
        }
    };
    let ty = match path {
        "::std::option::Option" => Ty::Option(one(&mut args)?),
        "::std::vec::Vec" => Ty::Vec(one(&mut args)?),
        "::std::boxed::Box" => Ty::Box(one(&mut args)?),
        "::std::collections::HashMap" if args.len() == 2 => {
            let value = args.remove(1);
            Ty::HashMap(Box::new(args.remove(0)), Box::new(value))
        }
        "::std::string::String" => Ty::String,
        "i32" => Ty::I32,
        "i64" => Ty::I64,
        "f32" => Ty::F32,
        "f64" => Ty::F64,
        "bool" => Ty::Bool,
        "::aws_smithy_types::DateTime" => Ty::DateTime,
        "::aws_smithy_types::Blob" => Ty::Blob,
        "::aws_smithy_types::Document" => Ty::Document,
        _ => match path.strip_prefix("crate::types::") {
            Some(name) if args.is_empty() => Ty::Named(name.to_owned()),
            _ => return Err(format!("unknown SDK type `{path}`").into()),
        },
    };
    Ok((ty, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sdk_field_types() {
        let t = "::std::option::Option<::std::collections::HashMap<::std::string::String, ::std::vec::Vec<crate::types::Column>>>";
        assert_eq!(
            parse_ty(t).ok(),
            Some(Ty::Option(Box::new(Ty::HashMap(
                Box::new(Ty::String),
                Box::new(Ty::Vec(Box::new(Ty::Named("Column".into()))))
            ))))
        );
        assert_eq!(
            parse_ty("::std::option::Option<::std::boxed::Box<crate::types::Table>>").ok(),
            Some(Ty::Option(Box::new(Ty::Box(Box::new(Ty::Named(
                "Table".into()
            ))))))
        );
    }
}
