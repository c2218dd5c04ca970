#ifndef DSV_CPROCESS_H
#define DSV_CPROCESS_H

/// Ends the process with `status` (`_exit`) once the C library's streams are flushed and every
/// file is closed, leaving the unmapping of its memory to a process started for that: one that
/// shares the memory, holds nothing else and ends as soon as this one has. Falls back to
/// unmapping it here, as any exit does, where that process cannot be started or might never be
/// reaped (in a container's PID namespace), and to the C library's `exit` under a sanitizer.
_Noreturn void dsv_exit_leaving_memory(int status);

/// 1 when this code was built under AddressSanitizer or ThreadSanitizer, else 0.
int dsv_sanitized(void);

/// Has a signal that ends the process (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE — those whose
/// action is still the default) remove `path` first: a file, or with `folder` a folder and all
/// it holds. Returns the registration to forget once the path is renamed into place or removed,
/// or -1 when the path is too long or a thousand are registered already (it is then left).
int dsv_temporary_register(const char *path, int folder);

/// Forgets a registration of `dsv_temporary_register` (-1 is ignored); forgetting it again, even
/// after its slot was reused, changes nothing.
void dsv_temporary_forget(int registration);

/// 1 while `registration` is registered and not forgotten.
int dsv_temporary_is_registered(int registration);

#endif
