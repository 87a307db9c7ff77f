//! Domain types that exist only when valid ("parse, don't validate").
