//! The plugin installer run by `sluice install-plugins` in the Connect pods' init container.
