//! A restart policy for `sluice:policy@0.2.0`, an ABI version this operator does not serve.

wit_bindgen::generate!({ world: "restart-policy", path: "wit" });

pub struct Next;

impl exports::sluice::policy::restart::Guest for Next {
    fn decide(input: String) -> String {
        input
    }
}

#[cfg(target_arch = "wasm32")]
export!(Next);
