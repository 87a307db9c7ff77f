//! Ops commands: bootstrap the table and the SES identity, import the Convenzione's lines.

pub mod bootstrap;
pub mod import_lines;
