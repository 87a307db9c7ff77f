//! Ops commands: bootstrap the table and the SES identity, import the Convenzione's lines
//! and the accounts of earlier Convenzioni.

pub mod bootstrap;
pub mod csv_input;
pub mod import_accounts;
pub mod import_lines;
