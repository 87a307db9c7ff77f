//! Ops commands: bootstrap the table and the SES identity, import the Convenzione's lines
//! and the accounts of earlier Convenzioni, and the help desk's commands (`helpdesk`).

pub mod bootstrap;
pub mod csv_input;
pub mod helpdesk;
pub mod identity;
pub mod import_accounts;
pub mod import_lines;
