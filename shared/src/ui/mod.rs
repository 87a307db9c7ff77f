//! The maud layout shared by the static public area and the flow pages.
