//! `sluice-componentize <core.wasm> <component.wasm>`
//!
//! Policies are built for `wasm32-unknown-unknown` rather than `wasm32-wasip2`: Rust's std
//! on wasip2 imports a dozen WASI interfaces that a policy never uses, and each would make
//! the host build a WASI context per call. wit-bindgen embeds the world's type information
//! in the core module; this wraps the module into a component from it, with validation.

use anyhow::Context as _;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        anyhow::bail!("usage: sluice-componentize <core.wasm> <component.wasm>");
    };
    let module = std::fs::read(input).with_context(|| format!("reading {input}"))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .with_context(|| {
            format!("{input} carries no component type information (built with wit-bindgen?)")
        })?
        .validate(true)
        .encode()
        .with_context(|| format!("encoding {input} as a component"))?;
    std::fs::write(output, component).with_context(|| format!("writing {output}"))?;
    Ok(())
}
