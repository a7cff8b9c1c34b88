// `twh schema` in VS Code's own JSON language service (issue 12, part 5:
// "get completion and errors in VS Code from `twh schema`").
//
// vscode-json-languageservice is the library inside VS Code's JSON language
// server: the same parser, schema resolution, `fileMatch` rules,
// diagnostics and completion an editor shows. The schema association is the
// one the README tells users to put in `.vscode/settings.json`, read from
// the README itself, so the test breaks if the README's advice does.
//
//   TWH_BIN=target/debug/twh npm test --prefix tests/editor
//
// Proved here:
// - every resource and environment file in the repository gets its schema
//   through the README's `fileMatch` patterns and shows no problem;
// - a misspelled member is flagged on its own line, naming it;
// - completion inside a spec offers the kind's AWS members, and inside a
//   resource offers `lifecycle`, `moved_from`, `description`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { getLanguageService } from "vscode-json-languageservice";
import { TextDocument } from "vscode-languageserver-textdocument";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TWH =
  process.env.TWH_BIN ||
  path.join(process.env.CARGO_TARGET_DIR || path.join(ROOT, "target"), "debug", "twh");

function twhSchema(...args) {
  return JSON.parse(execFileSync(TWH, ["schema", ...args], { encoding: "utf8" }));
}

// The README's `.vscode/settings.json` block, and the files its `url`s name,
// written the way the README says (`twh schema > .twh/resource.schema.json`).
function readmeSettings() {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const block = [...readme.matchAll(/```json\n([\s\S]*?)```/g)]
    .map((m) => m[1])
    .find((b) => b.includes('"json.schemas"'));
  assert.ok(block, "README.md has a ```json block with \"json.schemas\"");
  return JSON.parse(block)["json.schemas"];
}

const SCHEMA_FILES = {
  "./.twh/resource.schema.json": twhSchema(),
  "./.twh/environment.schema.json": twhSchema("--environment"),
};

// One workspace per repository twh loads (the root, each example), as if
// each were opened in its own VS Code window.
function workspaceService(folder) {
  const ls = getLanguageService({
    workspaceContext: {
      resolveRelativePath: (rel, resource) => new URL(rel, resource).toString(),
    },
  });
  const schemas = readmeSettings().map((s) => {
    const schema = SCHEMA_FILES[s.url];
    assert.ok(schema, `the README's url ${s.url} is one of the files it tells users to write`);
    return {
      uri: new URL(s.url.replace(/^\.\//, ""), pathToFileURL(folder + "/")).toString(),
      // VS Code matches settings patterns relative to the workspace folder.
      fileMatch: s.fileMatch.map((p) =>
        p.startsWith("!") ? "!" + pathToFileURL(folder).toString() + "/" + p.slice(1)
          : pathToFileURL(folder).toString() + "/" + p,
      ),
      schema,
    };
  });
  ls.configure({ validate: true, allowComments: false, schemas });
  return ls;
}

function open(file, text) {
  return TextDocument.create(pathToFileURL(file).toString(), "json", 1, text ?? readFileSync(file, "utf8"));
}

async function problems(ls, doc) {
  const json = ls.parseJSONDocument(doc);
  return ls.doValidation(doc, json, { schemaValidation: "error", trailingCommas: "error" });
}

async function matchedSchema(ls, doc) {
  const json = ls.parseJSONDocument(doc);
  const ids = await ls.getMatchingSchemas(doc, json);
  return ids.length;
}

function jsonFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...jsonFiles(p));
    else if (name.endsWith(".json")) out.push(p);
  }
  return out;
}

function workspaces() {
  const out = [ROOT];
  for (const name of readdirSync(path.join(ROOT, "examples")).sort()) {
    const d = path.join(ROOT, "examples", name);
    if (existsSync(path.join(d, "resources"))) out.push(d);
  }
  return out;
}

const CRAWLER = path.join(ROOT, "resources/glue/crawlers");

function aCrawlerFile() {
  const f = jsonFiles(CRAWLER).find((p) => readFileSync(p, "utf8").includes('"Schedule"'));
  assert.ok(f, "a crawler file with a Schedule");
  return f;
}

test("every file in the repository gets its schema from the README's settings and shows no problem", async () => {
  let files = 0;
  for (const folder of workspaces()) {
    const ls = workspaceService(folder);
    for (const file of jsonFiles(path.join(folder, "resources"))) {
      const doc = open(file);
      const found = await problems(ls, doc);
      assert.ok((await matchedSchema(ls, doc)) > 0, `${file}: no schema associated`);
      assert.deepEqual(
        found.map((d) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`),
        [],
        `${path.relative(ROOT, file)} shows problems in the editor`,
      );
      files += 1;
    }
  }
  assert.ok(files >= 20, `only ${files} files checked`);
});

test("an environment file is checked against the environment schema, not the resource one", async () => {
  const ls = workspaceService(ROOT);
  const file = path.join(ROOT, "resources/environments/dev.json");
  const env = JSON.parse(readFileSync(file, "utf8"));
  env.reigon = "us-east-1";
  const found = await problems(ls, open(file, JSON.stringify(env, null, 2)));
  assert.ok(
    found.some((d) => d.message.includes("reigon")),
    `a misspelled environment member is flagged: ${JSON.stringify(found.map((d) => d.message))}`,
  );
});

test("a misspelled member is flagged on its line, naming it", async () => {
  const ls = workspaceService(ROOT);
  const file = aCrawlerFile();
  const lines = readFileSync(file, "utf8").split("\n");
  const at = lines.findIndex((l) => l.includes('"Schedule"'));
  lines[at] = lines[at].replace('"Schedule"', '"Schedul"');
  const found = await problems(ls, open(file, lines.join("\n")));
  const hit = found.filter((d) => d.message.includes("Schedul"));
  assert.equal(hit.length, 1, `one problem names Schedul: ${JSON.stringify(found.map((d) => d.message))}`);
  assert.equal(hit[0].range.start.line, at, "on the misspelled member's own line");
});

test("completion offers the kind's AWS members inside a spec, and twh's members inside a resource", async () => {
  const ls = workspaceService(ROOT);
  const file = aCrawlerFile();
  const text = readFileSync(file, "utf8");
  // An empty member added at the top of the first spec, cursor inside its quotes.
  const specAt = text.indexOf('"spec": {') + '"spec": {'.length;
  const inSpec = text.slice(0, specAt) + '\n        "",' + text.slice(specAt);
  const specDoc = open(file, inSpec);
  const specPos = specDoc.positionAt(specAt + '\n        "'.length);
  const specItems = (await ls.doComplete(specDoc, specPos, ls.parseJSONDocument(specDoc))).items.map((i) => i.label);
  // The CreateCrawler members the file does not set yet; like VS Code, the
  // service does not offer a member the object already has.
  for (const want of ["LakeFormationConfiguration", "LineageConfiguration", "Classifiers"]) {
    assert.ok(specItems.includes(want), `spec completion offers ${want}: ${specItems.join(", ")}`);
  }
  for (const have of ["Targets", "Role"]) {
    assert.ok(!specItems.includes(have), `spec completion leaves out ${have}, already set`);
  }

  const resAt = text.indexOf('"type": "glue_crawler",');
  const inRes = text.slice(0, resAt) + '"",\n      ' + text.slice(resAt);
  const resDoc = open(file, inRes);
  const resPos = resDoc.positionAt(resAt + 1);
  const resItems = (await ls.doComplete(resDoc, resPos, ls.parseJSONDocument(resDoc))).items.map((i) => i.label);
  for (const want of ["lifecycle", "moved_from", "description"]) {
    assert.ok(resItems.includes(want), `resource completion offers ${want}: ${resItems.join(", ")}`);
  }
  assert.ok(!resItems.includes("depends_on"), "depends_on is set already and not offered again");
});
