//! Size bounds of free-form fields. The API server refuses an object over about 1.5 MiB
//! (etcd's request limit) only as a whole, with a message that names no field; these bound
//! each field, so the refusal says which one is too large, and what Sluice copies from a
//! spec into a worker's properties or a policy's input stays small.

/// Entries of a connector's `configs`: Kafka connectors take tens, a few hundred at most.
pub const MAX_CONFIG_ENTRIES: u32 = 1000;
/// One `configs` value: room for an inline schema or certificate, not for a file.
pub const MAX_CONFIG_VALUE_BYTES: u32 = 128 << 10;
/// Entries of a plugin's `settings`.
pub const MAX_SETTINGS_ENTRIES: u32 = 100;
/// One plugin setting.
pub const MAX_SETTING_BYTES: u32 = 4096;
/// Top-level keys of a Policy's free-form `settings`.
pub const MAX_POLICY_SETTINGS: u32 = 256;
/// Lines of one `configOverrides` list, and the length of each.
pub const MAX_OVERRIDE_LINES: u32 = 500;
pub const MAX_OVERRIDE_LINE_BYTES: u32 = 4096;

/// A connector's `configs`: a map of strings, bounded in entries and value length.
pub fn connector_configs(_: &mut schemars::generate::SchemaGenerator) -> schemars::Schema {
    string_map(MAX_CONFIG_ENTRIES, MAX_CONFIG_VALUE_BYTES)
}

/// A plugin's `settings`: a map of strings, bounded in entries and value length.
pub fn plugin_settings(_: &mut schemars::generate::SchemaGenerator) -> schemars::Schema {
    string_map(MAX_SETTINGS_ENTRIES, MAX_SETTING_BYTES)
}

/// A Policy's `settings`: any JSON object, bounded in top-level keys.
pub fn policy_settings(_: &mut schemars::generate::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "maxProperties": MAX_POLICY_SETTINGS,
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// One `configOverrides` list.
pub fn override_lines(_: &mut schemars::generate::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "maxItems": MAX_OVERRIDE_LINES,
        "items": { "type": "string", "maxLength": MAX_OVERRIDE_LINE_BYTES },
    })
}

fn string_map(entries: u32, value_bytes: u32) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "maxProperties": entries,
        "additionalProperties": { "type": "string", "maxLength": value_bytes },
    })
}
