//! ALSA's own error messages kept off stderr. Trying a sound card that is not there, alsa-lib
//! prints its lookups (`ALSA lib confmisc.c:855:(parse_card) cannot find card '0'`, eight lines)
//! straight to stderr, ahead of the daemon's one clear line that there is no sound card. They
//! go to the log at debug instead, where they help whoever looks for them.

/// Routes ALSA's messages from the calling thread to the log. alsa-lib keeps this handler per
/// thread, so it is called on the thread that opens the device, before each attempt.
#[cfg(target_os = "linux")]
pub fn route_to_log() {
    // SAFETY: installs a handler for this thread; `to_log` has the signature alsa-lib calls.
    unsafe {
        alsa_sys::snd_lib_error_set_local(Some(to_log));
    }
}

#[cfg(not(target_os = "linux"))]
pub fn route_to_log() {}

/// alsa-lib's local handler: the message formatted by alsa-lib itself, then logged.
#[cfg(target_os = "linux")]
unsafe extern "C" fn to_log(
    file: *const std::ffi::c_char,
    line: std::ffi::c_int,
    function: *const std::ffi::c_char,
    err: std::ffi::c_int,
    fmt: *const std::ffi::c_char,
    args: *mut alsa_sys::__va_list_tag,
) {
    // SAFETY: alsa-lib passes valid C strings (or null) and the va_list that goes with `fmt`,
    // used once, here, while the call lasts.
    let message = unsafe { format_message(fmt, args) };
    // SAFETY: as above.
    let (file, function) = unsafe { (text(file), text(function)) };
    tracing::debug!(target: "alsa", %file, line, %function, err, "{message}");
}

/// The message `fmt` and `args` make, through an alsa-lib memory buffer (Rust cannot read a
/// va_list on stable).
#[cfg(target_os = "linux")]
unsafe fn format_message(fmt: *const std::ffi::c_char, args: *mut alsa_sys::__va_list_tag) -> String {
    let mut buffer = std::ptr::null_mut();
    // SAFETY: a buffer output alsa-lib allocates, written once and closed below.
    if unsafe { alsa_sys::snd_output_buffer_open(&mut buffer) } < 0 || buffer.is_null() {
        // SAFETY: `fmt` is alsa-lib's format string.
        return unsafe { text(fmt) };
    }
    let mut start = std::ptr::null_mut();
    // SAFETY: `buffer` is open; `fmt` and `args` belong together, as alsa-lib passed them.
    let message = unsafe {
        alsa_sys::snd_output_vprintf(buffer, fmt, args);
        let length = alsa_sys::snd_output_buffer_string(buffer, &mut start);
        let bytes = if start.is_null() {
            &[][..]
        } else {
            std::slice::from_raw_parts(start.cast::<u8>(), length)
        };
        String::from_utf8_lossy(bytes).into_owned()
    };
    // SAFETY: closed once, after its text was copied out.
    unsafe {
        alsa_sys::snd_output_close(buffer);
    }
    message
}

/// A C string from alsa-lib, or nothing for null.
#[cfg(target_os = "linux")]
unsafe fn text(s: *const std::ffi::c_char) -> String {
    if s.is_null() {
        return String::new();
    }
    // SAFETY: non-null strings from alsa-lib end in NUL.
    unsafe { std::ffi::CStr::from_ptr(s) }
        .to_string_lossy()
        .into_owned()
}
