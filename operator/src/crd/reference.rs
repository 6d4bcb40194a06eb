//! The CRD reference (`docs/crds.md`), rendered from the same schemas the API server gets, so
//! that what a user reads is what `kubectl explain` shows and the API server enforces. A
//! test keeps the file equal to this output.

use serde_json::Value;

/// The whole reference as Markdown, as `sluice crdgen --reference` prints it.
pub fn render_markdown() -> String {
    let mut out = String::from(
        "# CRD reference\n\n\
         Generated from the CRDs' OpenAPI schemas by `sluice crdgen --reference`; a test keeps \
         this page equal to that output. Paths are relative to the resource; `[]` is an item \
         of a list and `{}` a value of a map.\n",
    );
    for crd in super::all() {
        let crd = serde_json::to_value(&crd).unwrap_or_default();
        render_crd(&crd, &mut out);
    }
    out
}

fn render_crd(crd: &Value, out: &mut String) {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let kind = names["kind"].as_str().unwrap_or_default();
    out.push_str(&format!("\n## {kind}\n\n"));
    let short: Vec<String> = strings(&names["shortNames"]).map(|s| format!("`{s}`")).collect();
    out.push_str(&format!(
        "`{}`, {} scope; plural `{}`, short names {}.\n",
        crd["metadata"]["name"].as_str().unwrap_or_default(),
        spec["scope"].as_str().unwrap_or_default(),
        names["plural"].as_str().unwrap_or_default(),
        if short.is_empty() { "none".to_owned() } else { short.join(", ") },
    ));
    for version in spec["versions"].as_array().into_iter().flatten() {
        out.push_str(&format!("\n### {kind} {}\n", version["name"].as_str().unwrap_or_default()));
        let columns: Vec<String> = version["additionalPrinterColumns"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| format!("{} (`{}`)", text(&c["name"]), text(&c["jsonPath"])))
            .collect();
        if !columns.is_empty() {
            out.push_str(&format!("\n`kubectl get` columns: {}.\n", columns.join(", ")));
        }
        let root = &version["schema"]["openAPIV3Schema"];
        // Rules on the whole object (its name, say) come first.
        let mut whole = Vec::new();
        collect_rules("", root, &mut whole);
        if !whole.is_empty() {
            out.push_str("\nValidation rules (CEL) on the whole object:\n\n");
            for (_, rule, message) in whole {
                out.push_str(&format!("- `{rule}`: {message}\n"));
            }
        }
        for part in ["spec", "status"] {
            let schema = &root["properties"][part];
            if schema.is_null() {
                continue;
            }
            out.push_str(&format!("\n#### {part}\n\n"));
            if let Some(d) = schema["description"].as_str() {
                out.push_str(&format!("{}\n\n", one_line(d)));
            }
            out.push_str("| Field | Type | Required | Description |\n|---|---|---|---|\n");
            let mut rules = Vec::new();
            collect_rules(part, schema, &mut rules);
            fields(part, schema, out, &mut rules);
            if !rules.is_empty() {
                out.push_str("\nValidation rules (CEL), checked by the API server:\n\n");
                for (path, rule, message) in rules {
                    out.push_str(&format!("- `{path}`: `{rule}`: {message}\n"));
                }
            }
        }
    }
}

/// One table row per field below `schema`, depth first, in the schema's (sorted) order.
fn fields(path: &str, schema: &Value, out: &mut String, rules: &mut Vec<(String, String, String)>) {
    let required: Vec<&str> = strings(&schema["required"]).collect();
    for (name, field) in schema["properties"].as_object().into_iter().flatten() {
        let field_path = format!("{path}.{name}");
        out.push_str(&format!(
            "| `{field_path}` | {} | {} | {} |\n",
            type_of(field),
            if required.contains(&name.as_str()) { "yes" } else { "" },
            cell(field),
        ));
        collect_rules(&field_path, field, rules);
        descend(&field_path, field, out, rules);
    }
}

/// Into an object's fields, a list's items or a map's values.
fn descend(
    path: &str,
    schema: &Value,
    out: &mut String,
    rules: &mut Vec<(String, String, String)>,
) {
    if schema["properties"].is_object() {
        fields(path, schema, out, rules);
    } else if schema["items"].is_object() {
        let items = &schema["items"];
        let path = format!("{path}[]");
        collect_rules(&path, items, rules);
        descend(&path, items, out, rules);
    } else if schema["additionalProperties"].is_object() {
        let values = &schema["additionalProperties"];
        let path = format!("{path}{{}}");
        collect_rules(&path, values, rules);
        descend(&path, values, out, rules);
    }
}

/// The CEL rules on `schema` itself, at `path`.
fn collect_rules(path: &str, schema: &Value, rules: &mut Vec<(String, String, String)>) {
    for rule in schema["x-kubernetes-validations"].as_array().into_iter().flatten() {
        let at = match rule["fieldPath"].as_str() {
            Some(field) => format!("{path}{field}"),
            None => path.to_owned(),
        };
        rules.push((
            at,
            text(&rule["rule"]),
            one_line(rule["message"].as_str().unwrap_or("invalid")),
        ));
    }
}

fn type_of(schema: &Value) -> String {
    if schema["x-kubernetes-int-or-string"] == true {
        return "integer or string".into();
    }
    match schema["type"].as_str() {
        Some("array") => format!("list of {}", type_of(&schema["items"])),
        Some("object") if schema["additionalProperties"].is_object() => {
            format!("map of {}", type_of(&schema["additionalProperties"]))
        }
        Some(t) => match schema["format"].as_str() {
            Some(format) => format!("{t} ({format})"),
            None => t.to_owned(),
        },
        None => "any".into(),
    }
}

/// The description, then the constraints the schema states.
fn cell(schema: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(d) = schema["description"].as_str() {
        parts.push(one_line(d));
    }
    let values: Vec<String> =
        schema["enum"].as_array().into_iter().flatten().map(|v| format!("`{}`", text(v))).collect();
    if !values.is_empty() {
        parts.push(format!("One of {}.", values.join(", ")));
    }
    if !schema["default"].is_null() {
        parts.push(format!("Default `{}`.", text(&schema["default"])));
    }
    for (key, what) in [
        ("minimum", "At least"),
        ("maximum", "At most"),
        ("minLength", "Length at least"),
        ("maxLength", "Length at most"),
        ("maxItems", "Items at most"),
        ("pattern", "Matches"),
    ] {
        if !schema[key].is_null() {
            parts.push(format!("{what} `{}`.", text(&schema[key])));
        }
    }
    parts.join(" ").replace('|', "\\|")
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A JSON value as a user writes it: strings without their quotes.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        // Bounds come as floats (`1000.0`); a user writes the whole number.
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15) => {
            format!("{}", n.as_f64().unwrap_or_default() as i64)
        }
        other => other.to_string(),
    }
}

fn strings(value: &Value) -> impl Iterator<Item = &str> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_of_every_kind_is_in_the_reference() {
        let doc = render_markdown();
        for kind in ["Connect", "Connector", "Policy"] {
            assert!(doc.contains(&format!("\n## {kind}\n")), "{kind}");
        }
        for path in [
            "`spec.class`",
            "`spec.build.onDemand.plugins.url[].checksum`",
            "`status.conditions[].type`",
        ] {
            assert!(doc.contains(path), "{path}");
        }
        // Every description reaches a row, on one line, so the table stays a table.
        for line in doc.lines().filter(|l| l.starts_with("| `")) {
            assert_eq!(line.matches(" | ").count(), 3, "{line}");
        }
    }
}
