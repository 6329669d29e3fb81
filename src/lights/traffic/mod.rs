//! The light traffic planner: a pure core, given `now`, that turns zone looks and fades into
//! per-light device commands: long fades as a few native-transition segments, software steps
//! only for lights without transitions, a token bucket per network, and only the latest
//! desired state per light ever waiting to be sent.
