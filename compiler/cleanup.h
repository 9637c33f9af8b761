/* cleanup: mpc's temporary files and directories are removed when mpc is
 * interrupted (SIGINT, SIGTERM, SIGHUP, SIGQUIT, and every other signal
 * that would end it), and mpc then dies by the same signal so that its
 * caller sees it. SIGXFSZ is ignored: a write past ulimit -f fails. A child mpc waits for (the C
 * compiler, the program of `mpc run`) gets the signal too. */
#ifndef MPC_CLEANUP_H
#define MPC_CLEANUP_H

#include <stdbool.h>
#include <sys/types.h>

/* Installs the handlers; once, at start. */
void cleanup_install(void);

/* Holds the signals off while a temporary is created and registered, or a
 * child is started and registered, so none can be left behind. */
void cleanup_hold(void);
void cleanup_release(void);

/* Registers a temporary file or (empty) directory to remove on a signal;
 * returns its slot, or -1 when the path does not fit (then it is simply
 * not cleaned up on a signal). Directories are removed after files. */
int cleanup_add(const char *path, bool is_dir);
void cleanup_forget(int slot);
void cleanup_forget_all(void);

/* The child being waited for (0: none). A signal that arrives meanwhile is
 * passed on to it and acted upon by cleanup_after_child. */
void cleanup_child(pid_t pid);

/* In a child just forked, before exec: the parent's temporaries are not
 * its own to remove, and the signals are released. */
void cleanup_in_child(void);

/* After a child was waited for: if a signal arrived, removes the
 * temporaries and dies by that signal. */
void cleanup_after_child(void);

#endif
