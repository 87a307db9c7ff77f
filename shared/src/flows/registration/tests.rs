//! Unit tests of the registration steps.
