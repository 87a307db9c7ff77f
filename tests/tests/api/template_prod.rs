//! Issue 22 item 4 (in progress).
