//! The CLI's side of remote control: one request to a room over the broker and its reply,
//! matched by MQTT 5 correlation data; and the rooms online, from their retained state.
